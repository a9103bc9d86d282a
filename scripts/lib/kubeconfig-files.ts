/**
 * Kubeconfig files as kubectl reads them. A KUBECONFIG that lists several files is one merged configuration
 * (client-go's loading rules): missing files are skipped; for a context, cluster or user name the first file that
 * defines it wins, whole; current-context comes from the first file that sets one; relative file paths inside an
 * entry are relative to the file that holds it.
 *
 * helm's and kubectl's --kubeconfig take one file, and deckhand passes one explicitly to every call. When the chosen
 * context, its cluster and its user all come from one of the files, that file is passed. Otherwise deckhand writes
 * those three entries — the merge kubectl would make, reduced to this context — to a private file (0600 in a 0700
 * folder, removed when deckhand exits) and passes that.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { UsageError } from './errors.ts';
import { deckhand } from './hints.ts';

export interface NamedEntry {
  name: string;
  [field: string]: unknown;
}

export interface KubeconfigDocument {
  'current-context'?: string;
  contexts?: (NamedEntry & { context?: { cluster?: string; namespace?: string; user?: string } })[];
  clusters?: (NamedEntry & { cluster?: { server?: string } & Record<string, unknown> })[];
  users?: (NamedEntry & { user?: Record<string, unknown> })[];
}

/** The merged view: every name once, with the file it came from. */
export interface MergedKubeconfig {
  files: readonly string[];
  currentContext?: { name: string; file: string };
  contexts: ReadonlyMap<string, { entry: NonNullable<KubeconfigDocument['contexts']>[number]; file: string }>;
  clusters: ReadonlyMap<string, { entry: NonNullable<KubeconfigDocument['clusters']>[number]; file: string }>;
  users: ReadonlyMap<string, { entry: NonNullable<KubeconfigDocument['users']>[number]; file: string }>;
}

/** Reads one kubeconfig; `source` says where its path came from, for the messages. */
export function readKubeconfig(file: string, source: string): KubeconfigDocument {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(
        `No kubeconfig at ${file} (from ${source}).`,
        `Get one with \`${deckhand('kubeconfig')}\`, pass --kubeconfig FILE, or try everything against a simulated cluster: npm run sim -- --kubeconfig /tmp/sim.yaml`,
      );
    }
    if (code === 'EISDIR') {
      throw new UsageError(
        `The kubeconfig ${file} (from ${source}) is a folder, not a file.`,
        'Name the kubeconfig file itself, e.g. --kubeconfig ~/.kube/config.',
      );
    }
    throw error;
  }
  try {
    return (parseYaml(text) ?? {}) as KubeconfigDocument;
  } catch (error) {
    throw new UsageError(
      `${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`,
      `Download a fresh kubeconfig: ${deckhand('kubeconfig')}`,
    );
  }
}

/** The files a KUBECONFIG value lists, as kubectl takes them: empty items dropped, each file once, in order. */
export function kubeconfigList(value: string, home: string): string[] {
  const files = value
    .split(path.delimiter)
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => path.resolve(item === '~' || item.startsWith('~/') ? path.join(home, item.slice(1)) : item));
  return [...new Set(files)];
}

/** Drops the listed files that do not exist (kubectl skips them too); a folder or an unreadable file is an error. */
export function existingKubeconfigs(files: readonly string[]): string[] {
  return files.filter((file) => {
    try {
      statSync(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  });
}

export function mergeKubeconfigs(
  documents: readonly { file: string; document: KubeconfigDocument }[],
): MergedKubeconfig {
  const contexts = new Map<string, { entry: NonNullable<KubeconfigDocument['contexts']>[number]; file: string }>();
  const clusters = new Map<string, { entry: NonNullable<KubeconfigDocument['clusters']>[number]; file: string }>();
  const users = new Map<string, { entry: NonNullable<KubeconfigDocument['users']>[number]; file: string }>();
  let currentContext: MergedKubeconfig['currentContext'];
  const firstWins = <E extends NamedEntry>(
    into: Map<string, { entry: E; file: string }>,
    entries: E[] | undefined,
    file: string,
  ) => {
    for (const entry of entries ?? []) if (entry?.name && !into.has(entry.name)) into.set(entry.name, { entry, file });
  };
  for (const { file, document } of documents) {
    firstWins(contexts, document.contexts, file);
    firstWins(clusters, document.clusters, file);
    firstWins(users, document.users, file);
    const current = document['current-context'];
    if (!currentContext && current) currentContext = { name: current, file };
  }
  return { files: documents.map(({ file }) => file), currentContext, contexts, clusters, users };
}

/**
 * The one file for a KUBECONFIG value (one file, or several merged) and a context (default: the merge's
 * current-context), for code that hands a single file to kubectl. A list with no existing file gives its first entry,
 * so the caller reports it missing; an unknown context gives the list's first existing file, for kubectl to refuse.
 */
export function singleKubeconfig(
  value: string,
  context: string | undefined,
  home: string,
): { file: string; context?: string } {
  const listed = kubeconfigList(value, home);
  const existing = listed.length > 1 ? existingKubeconfigs(listed) : listed;
  if (existing.length <= 1) return { file: existing[0] ?? listed[0] ?? value, ...(context ? { context } : {}) };
  const merged = mergeKubeconfigs(existing.map((file) => ({ file, document: readKubeconfig(file, 'KUBECONFIG') })));
  const name = context ?? merged.currentContext?.name;
  if (!name || !merged.contexts.has(name)) return { file: existing[0]!, ...(name ? { context: name } : {}) };
  return { file: kubeconfigForContext(merged, name), context: name };
}

/** Where the merged files live, and which files each was made from (for the permission check). */
const written = new Map<string, { file: string; sources: readonly string[] }>();

/**
 * One file for `--kubeconfig` that gives kubectl exactly what the merge gives for `contextName`: the file all three
 * entries came from, or a private file holding them.
 */
export function kubeconfigForContext(merged: MergedKubeconfig, contextName: string): string {
  const context = merged.contexts.get(contextName)!;
  const cluster = merged.clusters.get(context.entry.context?.cluster ?? '');
  const user = merged.users.get(context.entry.context?.user ?? '');
  const origins = new Set([context.file, cluster?.file, user?.file].filter((file) => file !== undefined));
  if (origins.size === 1) return context.file;
  const document = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: cluster ? [resolvePaths(cluster.entry, cluster.file, 'cluster', ['certificate-authority'])] : [],
    users: user ? [resolveUserPaths(user.entry, user.file)] : [],
    contexts: [context.entry],
    'current-context': contextName,
  };
  const text = stringify(document);
  const known = written.get(text);
  if (known) return known.file;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-kubeconfig-'));
  const file = path.join(dir, 'kubeconfig.yaml');
  writeFileSync(file, text, { mode: 0o600 });
  if (written.size === 0) process.once('exit', removeWrittenKubeconfigs);
  written.set(text, { file, sources: [...origins] });
  return file;
}

/** The files a merged kubeconfig was made from, or the file itself. */
export function kubeconfigSources(file: string): readonly string[] {
  for (const entry of written.values()) if (entry.file === file) return entry.sources;
  return [file];
}

function removeWrittenKubeconfigs(): void {
  for (const { file } of written.values()) rmSync(path.dirname(file), { recursive: true, force: true });
  written.clear();
}

/** As client-go's ResolveLocalPaths: a relative path in an entry is relative to the folder of its file. */
function resolvePaths<E extends NamedEntry>(entry: E, file: string, body: string, fields: readonly string[]): E {
  const inner = entry[body] as Record<string, unknown> | undefined;
  if (!inner) return entry;
  const resolved = { ...inner };
  for (const field of fields) {
    const value = resolved[field];
    if (typeof value === 'string' && value !== '' && !path.isAbsolute(value))
      resolved[field] = path.resolve(path.dirname(file), value);
  }
  return { ...entry, [body]: resolved };
}

function resolveUserPaths<E extends NamedEntry>(entry: E, file: string): E {
  const resolved = resolvePaths(entry, file, 'user', ['client-certificate', 'client-key', 'tokenFile']);
  const user = resolved.user as { exec?: { command?: string } } | undefined;
  // An exec plugin named by a path (./bin/login) is relative to the file too; a bare name is looked up on PATH.
  const command = user?.exec?.command;
  if (!user?.exec || !command || !command.includes(path.sep) || path.isAbsolute(command)) return resolved;
  return { ...resolved, user: { ...user, exec: { ...user.exec, command: path.resolve(path.dirname(file), command) } } };
}

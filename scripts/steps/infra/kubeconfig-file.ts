/**
 * Kubeconfig files: reading one (its current context, the credentials to mask), and writing one safely — mode 0600
 * in a 0700 folder, through a temp file and a rename so a crash never leaves half a credential file, nothing written
 * when nothing changed, and merges into ~/.kube/config with a backup first.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DeckhandError } from '../../lib/errors.ts';
import { dryRunLine } from '../../lib/shell.ts';

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'permissions fixed';

// ─── Reading a kubeconfig ──────────────────────────────────────────────────────────────────────────────────────

interface KubeconfigDocument {
  'current-context'?: string;
  contexts?: { name: string; context?: { cluster?: string; user?: string } }[];
  clusters?: { name: string; cluster?: { server?: string } }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  [key: string]: unknown;
}

function parseDocument(text: string, what: string): KubeconfigDocument {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new DeckhandError(`${what} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed))
    throw new DeckhandError(`${what} is not a kubeconfig (a YAML mapping).`);
  return parsed as KubeconfigDocument;
}

/** The current context of a downloaded kubeconfig, with its cluster and API server. */
export function currentEntry(yaml: string): { context: string; cluster: string; server: string } {
  const doc = parseDocument(yaml, 'The downloaded kubeconfig');
  const contextName = doc['current-context'] ?? doc.contexts?.[0]?.name;
  const context = doc.contexts?.find((entry) => entry.name === contextName);
  const cluster = doc.clusters?.find((entry) => entry.name === context?.context?.cluster);
  if (!contextName || !context || !cluster?.cluster?.server) {
    throw new DeckhandError(
      'The downloaded kubeconfig has no usable context (a context whose cluster has a server address).',
      'Download it again in a few minutes; if it stays broken, regenerate it in Cloud Manager (Kubernetes → the cluster → Reset kubeconfig).',
    );
  }
  return { context: contextName, cluster: cluster.name, server: cluster.cluster.server };
}

/** The credentials inside a kubeconfig, to be masked in every output. */
export function kubeconfigSecrets(yaml: string): string[] {
  const doc = parseDocument(yaml, 'The downloaded kubeconfig');
  const secrets: string[] = [];
  for (const user of doc.users ?? []) {
    for (const key of ['token', 'client-key-data', 'password']) {
      const value = user.user?.[key];
      if (typeof value === 'string' && value) secrets.push(value);
    }
  }
  return secrets;
}

export function fileSafe(label: string): string {
  return label.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'lke';
}

// ─── Writing files ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Writes `content` to `file` with mode 0600 (its folder 0700 when created here), through a temp file and a rename.
 * Nothing is written when the content is already there.
 */
export function writeIfChanged(
  file: string,
  content: string,
  options: { dryRun: boolean; backupSuffix?: string },
): WriteOutcome {
  const current = readIfExists(file);
  if (current === content) {
    if ((statSync(file).mode & 0o077) === 0) return 'unchanged';
    if (!options.dryRun) chmodSync(file, 0o600);
    return 'permissions fixed';
  }
  if (options.dryRun) return current === undefined ? 'created' : 'updated';
  writeAtomically(file, content);
  return current === undefined ? 'created' : 'updated';
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, content, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Merges clusters, users and contexts by name into another kubeconfig: entries with the same name are replaced (a
 * fresh download has the current credentials), others are kept, and the current-context is set only when the
 * file had none (merging must not silently switch what plain `kubectl` talks to).
 */
export function mergeKubeconfigs(existingText: string | undefined, incomingText: string): KubeconfigDocument {
  const existing = existingText === undefined ? {} : parseDocument(existingText, 'The existing kubeconfig');
  const incoming = parseDocument(incomingText, 'The downloaded kubeconfig');
  const merged: KubeconfigDocument = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...existing };
  for (const key of ['clusters', 'users', 'contexts'] as const) {
    const entries = [...((existing[key] as { name: string }[] | undefined) ?? [])];
    for (const entry of (incoming[key] as { name: string }[] | undefined) ?? []) {
      const index = entries.findIndex((candidate) => candidate.name === entry.name);
      if (index === -1) entries.push(entry);
      else entries[index] = entry;
    }
    (merged as Record<string, unknown>)[key] = entries;
  }
  merged['current-context'] = existing['current-context'] || incoming['current-context'];
  return merged;
}

/** `--merge`: into ~/.kube/config, with a timestamped backup of the previous file when it changes. */
export function mergeIntoDefault(
  file: string,
  incomingText: string,
  options: { dryRun: boolean; now?: Date },
): { file: string; outcome: WriteOutcome; backup?: string } {
  const existingText = readIfExists(file);
  const merged = mergeKubeconfigs(existingText, incomingText);
  if (existingText !== undefined && isDeepStrictEqual(parseDocument(existingText, 'The existing kubeconfig'), merged)) {
    return { file, outcome: 'unchanged' };
  }
  if (options.dryRun) return { file, outcome: existingText === undefined ? 'created' : 'updated' };
  let backup: string | undefined;
  if (existingText !== undefined) {
    backup = `${file}.backup-${(options.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}`;
    writeFileSync(backup, existingText, { mode: 0o600, flag: 'wx' });
  }
  writeAtomically(file, stringifyYaml(merged));
  return { file, outcome: existingText === undefined ? 'created' : 'updated', backup };
}

export function describeWrite(file: string, outcome: WriteOutcome, dryRun: boolean): string {
  if (outcome === 'unchanged') return `${file} is unchanged.`;
  if (outcome === 'permissions fixed')
    return dryRun
      ? dryRunLine(`set ${file} to mode 0600.`)
      : `${file} is unchanged; set its mode to 0600 (it was readable by others).`;
  return dryRun
    ? dryRunLine(`${outcome === 'created' ? 'create' : 'update'} ${file} (mode 0600).`)
    : `${outcome === 'created' ? 'Wrote' : 'Updated'} ${file} (mode 0600).`;
}

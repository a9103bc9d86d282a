/**
 * `kubeconfig`: fetch the cluster's kubeconfig, keep it private, check that the cluster answers, and record the
 * cluster as the one this project manages (which switches the cluster guard on).
 *
 * Where it comes from, first match wins:
 *   1. --cluster-id ID: linode-cli when installed, else the Linode API;
 *   2. the terraform outputs in terraform/ (after `infra apply`), unless --label names another cluster;
 *   3. --label LABEL: the cluster with that label, looked up through linode-cli or the API.
 *
 * It is written to ~/.kube/<label>-kubeconfig.yaml (0600, in a 0700 folder, through a temp file and a rename so a
 * crash never leaves half a credential file). Running it again changes nothing when nothing changed.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import * as kubectl from '../../kubectl.ts';
import * as linode from '../../linode.ts';
import * as terraform from '../../terraform.ts';
import { stateRoot } from '../../lib/cluster-guard.ts';
import { readManagedCluster, writeManagedCluster, type ManagedCluster } from '../../lib/cluster-state.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { terraformDir } from './infra.ts';

export interface KubeconfigOptions {
  clusterId?: string;
  label?: string;
  merge?: boolean;
  /** Defaults to the user's home folder (tests pass a temporary one through HOME). */
  homeDir?: string;
  /** Tests shorten the waits for a kubeconfig that is not ready yet. */
  retry?: Partial<linode.RetryPolicy>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export type KubeconfigContext = Pick<
  CommandContext,
  'config' | 'shell' | 'ui' | 'prompter' | 'masker' | 'interruption'
>;

export interface DownloadedKubeconfig {
  yaml: string;
  label: string;
  clusterId?: number;
  /** For messages: "terraform outputs", "the Linode API", "linode-cli". */
  source: string;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'permissions fixed';

export interface KubeconfigResult {
  file: string;
  written: WriteOutcome;
  merged?: { file: string; outcome: WriteOutcome; backup?: string };
  managed: ManagedCluster;
  recorded: boolean;
}

export async function runKubeconfig(
  ctx: KubeconfigContext,
  options: KubeconfigOptions = {},
): Promise<KubeconfigResult> {
  const downloaded = await obtainKubeconfig(ctx, options);
  for (const secret of kubeconfigSecrets(downloaded.yaml)) ctx.masker.add(secret);
  const entry = currentEntry(downloaded.yaml);
  const home = options.homeDir ?? os.homedir();
  const file = path.join(home, '.kube', `${fileSafe(downloaded.label)}-kubeconfig.yaml`);
  const { dryRun } = ctx.config;
  ctx.ui.info(
    `Kubeconfig of cluster "${downloaded.label}"${downloaded.clusterId ? ` (id ${downloaded.clusterId})` : ''} from ${downloaded.source}: context "${entry.context}", API server ${entry.server}.`,
  );

  const written = writeIfChanged(file, downloaded.yaml, { dryRun });
  ctx.ui.info(describeWrite(file, written, dryRun));

  let merged: KubeconfigResult['merged'];
  if (options.merge) {
    merged = mergeIntoDefault(path.join(home, '.kube', 'config'), downloaded.yaml, { dryRun });
    ctx.ui.info(
      describeWrite(merged.file, merged.outcome, dryRun) +
        (merged.backup ? ` Backup of the previous file: ${merged.backup}` : ''),
    );
  }

  if (dryRun && written !== 'unchanged')
    ctx.ui.info('[dry run] would check that the cluster answers (kubectl version).');
  else
    await checkClusterAnswers(ctx, {
      kubeconfig: file,
      context: entry.context,
      cluster: entry.cluster,
      server: entry.server,
      namespace: 'default',
      explicit: true,
      kubeconfigSource: 'tasks.ts kubeconfig',
    });

  const managed: ManagedCluster = {
    label: downloaded.label,
    server: entry.server,
    kubeconfig: file,
    context: entry.context,
    clusterId: downloaded.clusterId,
    recordedAt: new Date().toISOString(),
  };
  const recorded = recordManagedCluster(ctx, managed);

  ctx.ui.info(`Use it in this shell with the line below (deckhand itself already uses it by default):`);
  ctx.ui.data(`export KUBECONFIG=${file}`);
  return { file, written, merged, managed, recorded };
}

// ─── Where the kubeconfig comes from ───────────────────────────────────────────────────────────────────────────

async function obtainKubeconfig(ctx: KubeconfigContext, options: KubeconfigOptions): Promise<DownloadedKubeconfig> {
  if (options.clusterId !== undefined)
    return fromLinode(ctx, { clusterId: parseClusterId(options.clusterId) }, options);
  const fromOutputs = await fromTerraform(ctx);
  if (fromOutputs && (!options.label || options.label === fromOutputs.label)) return fromOutputs;
  if (options.label) return fromLinode(ctx, { label: options.label }, options);
  throw new UsageError(
    `Which cluster? There are no terraform outputs with a kubeconfig in ${terraformDir(ctx.config)}, and neither --cluster-id nor --label was given.`,
    'Create the cluster with `npx tsx tasks.ts infra apply`, or name an existing one: --cluster-id ID (Cloud Manager or `linode-cli lke clusters-list` shows it) or --label LABEL.',
  );
}

export function parseClusterId(value: string): number {
  if (!/^\d{1,12}$/.test(value.trim()) || Number(value) === 0) {
    throw new UsageError(
      `--cluster-id must be the numeric id of an LKE cluster, not "${value}".`,
      'Find it in Cloud Manager (Kubernetes → the cluster) or with `linode-cli lke clusters-list`.',
    );
  }
  return Number(value);
}

async function fromTerraform(ctx: KubeconfigContext): Promise<DownloadedKubeconfig | undefined> {
  const dir = terraformDir(ctx.config);
  if (!terraform.hasConfiguration(dir)) return undefined;
  let outputs: terraform.TerraformOutputs;
  try {
    outputs = await terraform.output(ctx.shell, { dir });
  } catch (error) {
    if (!(error instanceof DeckhandError)) throw error;
    if (ctx.config.verbose || !/not installed/.test(error.message))
      ctx.ui.warn(`Could not read the terraform outputs (${error.message.split('\n')[0]}); trying the other sources.`);
    return undefined;
  }
  const encoded = outputs.kubeconfig?.value;
  if (typeof encoded !== 'string' || encoded === '') return undefined;
  ctx.masker.add(encoded);
  const id = Number(outputs.cluster_id?.value);
  const label =
    typeof outputs.cluster_label?.value === 'string'
      ? outputs.cluster_label.value
      : `lke${Number.isFinite(id) ? id : ''}`;
  return {
    yaml: Buffer.from(encoded, 'base64').toString('utf8'),
    label,
    clusterId: Number.isFinite(id) && id > 0 ? id : undefined,
    source: `the terraform outputs in ${dir}`,
  };
}

async function fromLinode(
  ctx: KubeconfigContext,
  which: { clusterId: number } | { label: string },
  options: KubeconfigOptions,
): Promise<DownloadedKubeconfig> {
  const log = (line: string) => ctx.ui.info(line);
  const common = { retry: options.retry, sleep: options.sleep, signal: ctx.interruption.signal, log };
  if (await linode.isCliInstalled(ctx.shell)) {
    // Without a token of ours, linode-cli uses its own configuration (`linode-cli configure`).
    const cliOptions = { ...common, token: linode.findToken(ctx) };
    const clusterId =
      'clusterId' in which
        ? which.clusterId
        : pickOne(await linode.cliFindClustersByLabel(ctx.shell, which.label, cliOptions), which.label).id;
    const cluster = await linode.cliCluster(ctx.shell, clusterId, cliOptions);
    return {
      yaml: await linode.cliKubeconfig(ctx.shell, clusterId, cliOptions),
      label: cluster.label,
      clusterId,
      source: 'linode-cli',
    };
  }
  const token = await linode.resolveToken(ctx, 'to download the kubeconfig');
  const client = linode.createLinodeClient({
    ...common,
    token,
    baseUrl: ctx.config.realEnv.LINODE_API_URL ?? ctx.config.dotenv.LINODE_API_URL,
  });
  const cluster =
    'clusterId' in which
      ? await client.getCluster(which.clusterId)
      : pickOne(await client.findClustersByLabel(which.label), which.label);
  return {
    yaml: await client.getKubeconfig(cluster.id),
    label: cluster.label,
    clusterId: cluster.id,
    source: `the Linode API (${client.baseUrl})`,
  };
}

function pickOne(clusters: readonly linode.LkeCluster[], label: string): linode.LkeCluster {
  const matching = clusters.filter((cluster) => cluster.label === label);
  if (matching.length === 1) return matching[0]!;
  if (matching.length === 0)
    throw new UsageError(
      `No LKE cluster is labelled "${label}".`,
      'Check the label in Cloud Manager (Kubernetes), or pass --cluster-id ID.',
    );
  throw new UsageError(
    `${matching.length} LKE clusters are labelled "${label}" (ids ${matching.map((cluster) => cluster.id).join(', ')}).`,
    'Pass --cluster-id with the one you mean.',
  );
}

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

function fileSafe(label: string): string {
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

function describeWrite(file: string, outcome: WriteOutcome, dryRun: boolean): string {
  if (outcome === 'unchanged') return `${file} is unchanged.`;
  if (outcome === 'permissions fixed')
    return dryRun
      ? `[dry run] would set ${file} to mode 0600.`
      : `${file} is unchanged; set its mode to 0600 (it was readable by others).`;
  return dryRun
    ? `[dry run] would ${outcome === 'created' ? 'create' : 'update'} ${file} (mode 0600).`
    : `${outcome === 'created' ? 'Wrote' : 'Updated'} ${file} (mode 0600).`;
}

// ─── Checking and recording ────────────────────────────────────────────────────────────────────────────────────

/** A failure here does not undo the download: a brand-new cluster's API can take a minute to answer. */
async function checkClusterAnswers(ctx: KubeconfigContext, target: KubeTarget): Promise<void> {
  try {
    const version = await kubectl.serverVersion(ctx.shell, target);
    ctx.ui.success(`The cluster answers: Kubernetes ${version} at ${target.server}.`);
  } catch (error) {
    if (!(error instanceof DeckhandError)) throw error;
    ctx.ui.warn(
      `The cluster does not answer yet (${error.message.split('\n')[0]}). A new cluster can take a few minutes; check later with: npx tsx tasks.ts doctor`,
    );
  }
}

/** Records the cluster unless the same one is already recorded (then nothing is written). */
function recordManagedCluster(ctx: KubeconfigContext, managed: ManagedCluster): boolean {
  const root = stateRoot(ctx.config);
  const previous = readManagedCluster(root);
  const same =
    previous &&
    (['label', 'server', 'kubeconfig', 'context', 'clusterId'] as const).every((key) => previous[key] === managed[key]);
  if (same) {
    ctx.ui.info(`"${managed.label}" is already the cluster this project manages.`);
    return false;
  }
  if (ctx.config.dryRun) {
    ctx.ui.info(`[dry run] would record "${managed.label}" (${managed.server}) as the cluster this project manages.`);
    return false;
  }
  writeManagedCluster(root, managed);
  const replaced =
    previous && previous.server !== managed.server ? ` (instead of "${previous.label}" at ${previous.server})` : '';
  ctx.ui.info(
    `Recorded "${managed.label}" as the cluster this project manages${replaced}: commands that change a cluster now refuse any other unless you name it with --context or --kubeconfig.`,
  );
  return true;
}

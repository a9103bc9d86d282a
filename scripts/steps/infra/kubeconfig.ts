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
import os from 'node:os';
import path from 'node:path';
import type { CommandContext } from '../../cli/context.ts';
import * as kubectl from '../../kubectl.ts';
import { readManagedCluster, writeManagedCluster, type ManagedCluster } from '../../lib/cluster-state.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { KubeTarget } from '../../lib/target.ts';
import * as linode from '../../linode.ts';
import * as terraform from '../../terraform.ts';
import {
  currentEntry,
  describeWrite,
  fileSafe,
  kubeconfigSecrets,
  mergeIntoDefault,
  writeIfChanged,
  type WriteOutcome,
} from './kubeconfig-file.ts';
import { findToken, resolveToken } from './token.ts';

export type { WriteOutcome } from './kubeconfig-file.ts';

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

  if (dryRun && written !== 'unchanged') ctx.shell.dryRunNote('check that the cluster answers (kubectl version).');
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
    `Which cluster? There are no terraform outputs with a kubeconfig in ${ctx.config.terraformDir}, and neither --cluster-id nor --label was given.`,
    `Create the cluster with \`${deckhand('infra', 'apply')}\`, or name an existing one: --cluster-id ID (Cloud Manager or \`linode-cli lke clusters-list\` shows it) or --label LABEL.`,
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
  const dir = ctx.config.terraformDir;
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
    const cliOptions = { ...common, token: findToken(ctx) };
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
  const token = await resolveToken(ctx, 'to download the kubeconfig');
  const client = linode.createLinodeClient({
    ...common,
    token,
    baseUrl: ctx.config.linodeApiUrl,
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

// ─── Checking and recording ────────────────────────────────────────────────────────────────────────────────────

/** A failure here does not undo the download: a brand-new cluster's API can take a minute to answer. */
async function checkClusterAnswers(ctx: KubeconfigContext, target: KubeTarget): Promise<void> {
  try {
    const version = await kubectl.serverVersion(ctx.shell, target);
    ctx.ui.success(`The cluster answers: Kubernetes ${version} at ${target.server}.`);
  } catch (error) {
    if (!(error instanceof DeckhandError)) throw error;
    ctx.ui.warn(
      `The cluster does not answer yet (${error.message.split('\n')[0]}). A new cluster can take a few minutes; check later with: ${deckhand('doctor')}`,
    );
  }
}

/** Records the cluster unless the same one is already recorded (then nothing is written). */
function recordManagedCluster(ctx: KubeconfigContext, managed: ManagedCluster): boolean {
  const root = ctx.config.stateRoot;
  const previous = readManagedCluster(root);
  const same =
    previous &&
    (['label', 'server', 'kubeconfig', 'context', 'clusterId'] as const).every((key) => previous[key] === managed[key]);
  if (same) {
    ctx.ui.info(`"${managed.label}" is already the cluster this project manages.`);
    return false;
  }
  if (ctx.config.dryRun) {
    ctx.shell.dryRunNote(`record "${managed.label}" (${managed.server}) as the cluster this project manages.`);
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

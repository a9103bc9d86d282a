/**
 * Removing runs: the only uninstall path in deckhand (the `uninstall` command and `deploy --cleanup` both call
 * `uninstallRelease`). Per release, in order, each step observing first so a second run — or a run after a crash
 * half-way — converges instead of failing:
 *
 *   1. `helm status`: gone → nothing to uninstall there; pending-* → stop unless the caller chose to recover (an
 *      interrupted operation may really still be running somewhere else).
 *   2. `helm uninstall --wait`, then wait until the release's pods are gone: a pod that still mounts the PVC holds
 *      it (pvc-protection) and the PVC deletion would hang.
 *   3. Delete the PVC. The chart keeps it on uninstall on purpose (`helm.sh/resource-policy: keep`), so it goes only
 *      here, after the caller has checked that the output is safe.
 *   4. Look for the PersistentVolume the claim leaves behind. LKE's default class has reclaim policy Retain, so the
 *      PV — and the Linode volume behind it, which is billed — stays after the claim is gone. It is deleted only when
 *      the caller says so, by switching its reclaim policy to Delete: the Linode CSI driver then removes the Linode
 *      volume and the PV together. Deleting the PV object alone would leave the Linode volume billed with nothing in
 *      the cluster pointing at it any more.
 *
 * What to ask (`decideUninstall`) is settled before anything changes, so a refusal off a terminal is exit 2 with
 * nothing touched.
 */
import type { ListrTaskWrapper } from 'listr2';
import { findJobApp } from '../../apps/index.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError, MissingInputError, UsageError, formatMs, type MissingItem } from '../../lib/errors.ts';
import { PRICES_AS_OF, VOLUME_GB_MONTHLY_USD } from '../../lib/prices.ts';
import type { Prompter } from '../../lib/prompts.ts';
import { commandFailure, type Runner } from '../../lib/shell.ts';
import { kubectlTargetArgs, targetBanner, type KubeTarget } from '../../lib/target.ts';
import { helperPodName } from './copy.ts';
import {
  history,
  isRunReleaseName,
  jobText,
  listVolumes,
  outputText,
  readReleases,
  releaseChoices,
  stuckFacts,
  storageText,
  uninstallOrder,
  unknownReleaseError,
  volumeFacts,
  type ReleaseRow,
  type VolumeFacts,
} from './runs.ts';

/** Each wait (helm uninstall, pods, PVC) gets this long. */
const WAIT_MS = 5 * 60_000;
/** The Linode CSI driver deletes a volume within seconds; minutes without progress mean something is wrong. */
const RECLAIM_WAIT_MS = 2 * 60_000;

export interface UninstallReleaseOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  release: string;
  /** For the commands printed in messages. */
  app: string;
  /** Keep the PVC (and so the volume and the output on it). */
  keepPvc?: boolean;
  /** Delete the PersistentVolume (and its Linode volume) that a Retain policy keeps after the claim is gone. */
  deleteRetainedVolumes: boolean;
  /** Go on although helm reports an operation in progress (pending-*): the person decided it is not running. */
  recover?: boolean;
  /** Progress lines. */
  log: (line: string) => void;
  waitMs?: number;
}

export type VolumeAction = 'deleted' | 'kept' | 'deleted-with-claim';

export interface UninstallResult {
  release: string;
  helm: 'uninstalled' | 'absent';
  pvcs: { name: string; action: 'deleted' | 'kept' }[];
  volumes: { volume: VolumeFacts; action: VolumeAction }[];
  /** Nothing of the release was left: no Helm release, pod, PVC or volume. */
  nothingToDo: boolean;
}

/** A release locked by an interrupted helm operation. Exit 2: nothing was changed. */
export class StuckReleaseError extends UsageError {}

export async function uninstallRelease(options: UninstallReleaseOptions): Promise<UninstallResult> {
  const { shell, target, namespace, release, log } = options;
  const waitMs = options.waitMs ?? WAIT_MS;
  const instance = `app.kubernetes.io/instance=${release}`;

  const [state, pods, claims] = await Promise.all([
    helm.status(shell, target, namespace, release),
    kubectl.list(shell, target, 'pods', { namespace, labelSelector: instance }),
    claimsOf(shell, target, namespace, release),
  ]);
  if (state && helm.PENDING_STATUSES.includes(state.status) && !options.recover) {
    throw stuckReleaseError(
      options.app,
      namespace,
      release,
      state.status,
      await history(shell, target, namespace, release),
    );
  }

  let helmResult: UninstallResult['helm'] = 'absent';
  if (state) {
    log(`helm uninstall ${release} (${state.status}, revision ${state.version}), waiting for its objects to go`);
    const result = await shell.run(helm.uninstallArgs(target, namespace, release, { wait: true, timeoutMs: waitMs }), {
      kind: 'write',
      nothrow: true,
      timeoutMs: waitMs + 60_000,
    });
    // Someone else may have uninstalled it since `helm status`: that is the state we wanted.
    if (result.exitCode !== 0 && !/release: not found/i.test(result.stderr))
      throw commandFailure(shell, result, `See the release with: helm status ${release} --namespace ${namespace}`);
    helmResult = result.exitCode === 0 ? 'uninstalled' : 'absent';
  }

  const helper = pods.find((pod) => pod.metadata.name === helperPodName(release));
  if (helper) {
    // Left by a copy that died before its own clean-up; it mounts the PVC and would hold it for up to an hour.
    log(`Deleting the copy helper pod ${helper.metadata.name}`);
    await shell.run(kubectl.deleteArgs(target, 'pod', helper.metadata.name, { namespace }), { kind: 'write' });
  }
  if (pods.length > 0) await waitForPodsGone(shell, target, namespace, instance, waitMs, log);

  const pvcs: UninstallResult['pvcs'] = [];
  for (const claim of claims) {
    if (options.keepPvc) {
      log(`Keeping PVC ${claim} (--keep-pvc): the output stays on the cluster`);
      pvcs.push({ name: claim, action: 'kept' });
      continue;
    }
    log(`Deleting PVC ${claim}`);
    await shell.run(
      kubectl.deleteArgs(target, 'persistentvolumeclaim', claim, { namespace, wait: true, timeoutMs: waitMs }),
      {
        kind: 'write',
        timeoutMs: waitMs + 30_000,
        hint: `A pod that still mounts it holds it: kubectl get pods --namespace ${namespace}`,
      },
    );
    pvcs.push({ name: claim, action: 'deleted' });
  }

  const volumes: UninstallResult['volumes'] = [];
  if (!options.keepPvc) {
    for (const volume of await volumesLeftBy(shell, target, namespace, [release, ...claims], log)) {
      if (volume.reclaimPolicy === 'Delete') {
        log(`Volume ${volume.name} goes with its claim (reclaim policy Delete)`);
        volumes.push({ volume, action: 'deleted-with-claim' });
      } else if (options.deleteRetainedVolumes) {
        await reclaimVolume(shell, target, namespace, volume, log);
        volumes.push({ volume, action: 'deleted' });
      } else {
        // Callers report a kept volume (with its cost and the command that deletes it) where people will see it.
        log(`Keeping volume ${volume.name} (reclaim policy ${volume.reclaimPolicy ?? 'Retain'})`);
        volumes.push({ volume, action: 'kept' });
      }
    }
  }
  const nothingToDo = !state && pods.length === 0 && claims.length === 0 && volumes.length === 0;
  if (nothingToDo) log(`${release} was not found (no Helm release, pod, PVC or volume): nothing to do`);
  return { release, helm: helmResult, pvcs, volumes, nothingToDo };
}

/** The release's PVCs: the chart's (labelled with the release) and the one named after it. */
async function claimsOf(shell: Runner, target: KubeTarget, namespace: string, release: string): Promise<string[]> {
  const [labelled, named] = await Promise.all([
    kubectl.list(shell, target, 'persistentvolumeclaims', {
      namespace,
      labelSelector: `app.kubernetes.io/instance=${release}`,
    }),
    kubectl.get(shell, target, 'persistentvolumeclaim', release, namespace),
  ]);
  return [...new Set([...labelled.map((claim) => claim.metadata.name), ...(named ? [named.metadata.name] : [])])];
}

async function waitForPodsGone(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  selector: string,
  waitMs: number,
  log: (line: string) => void,
): Promise<void> {
  const argv = [...kubectl.waitArgs(target, namespace, 'pods', 'delete', waitMs), '--selector', selector];
  if (shell.dryRun) {
    log(`[dry run] would wait: ${shell.display(argv)}`);
    return;
  }
  log('Waiting for its pods to go');
  const result = await shell.run(argv, { kind: 'read', nothrow: true, timeoutMs: waitMs + 30_000 });
  // Pods that are already gone are what we wait for; kubectl reports "no matching resources" for them.
  if (result.exitCode !== 0 && !/no matching resources|not found/i.test(result.stderr)) {
    throw commandFailure(
      shell,
      result,
      `Some pods did not go within ${formatMs(waitMs)}: kubectl get pods --namespace ${namespace} --selector ${selector}`,
    );
  }
}

/** PersistentVolumes whose claimRef names one of these claims in the namespace: what the PVCs leave behind. */
export async function volumesLeftBy(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  claims: readonly string[],
  log: (line: string) => void = () => undefined,
): Promise<VolumeFacts[]> {
  const listed = await listVolumes(shell, target);
  if (!listed.ok) {
    log(
      `Could not list PersistentVolumes (${listed.error}); check for a volume left behind with: kubectl get persistentvolumes`,
    );
    return [];
  }
  return listed.volumes
    .filter((volume) => {
      const claimRef = (volume.spec as { claimRef?: { name?: string; namespace?: string } } | undefined)?.claimRef;
      return claimRef?.namespace === namespace && claimRef.name !== undefined && claims.includes(claimRef.name);
    })
    .map(volumeFacts);
}

/** `kubectl patch pv NAME` to reclaim policy Delete (the CSI driver then deletes the Linode volume and the PV). */
export function reclaimPolicyPatchArgs(target: KubeTarget, volume: string): string[] {
  return [
    'kubectl',
    'patch',
    'persistentvolume',
    volume,
    ...kubectlTargetArgs(target),
    '--type',
    'merge',
    '--patch',
    '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
  ];
}

async function reclaimVolume(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  volume: VolumeFacts,
  log: (line: string) => void,
): Promise<void> {
  const linode = volume.linodeVolumeId ? ` (Linode volume ${volume.linodeVolumeId})` : '';
  log(
    `Deleting volume ${volume.name}${linode}: reclaim policy Retain → Delete, so the Linode CSI driver deletes the Linode volume and the PV`,
  );
  await shell.run(reclaimPolicyPatchArgs(target, volume.name), { kind: 'write' });
  const wait = kubectl.waitArgs(target, namespace, `persistentvolume/${volume.name}`, 'delete', RECLAIM_WAIT_MS);
  if (shell.dryRun) {
    log(`[dry run] would wait: ${shell.display(wait)}`);
    return;
  }
  const result = await shell.run(wait, { kind: 'read', nothrow: true, timeoutMs: RECLAIM_WAIT_MS + 30_000 });
  if (result.exitCode === 0 || /not found|no matching resources/i.test(result.stderr)) {
    log(`Deleted volume ${volume.name}${linode}`);
    return;
  }
  throw new DeckhandError(
    `Volume ${volume.name} is still there ${formatMs(RECLAIM_WAIT_MS)} after its reclaim policy was set to Delete${volume.linodeVolumeId ? `; Linode volume ${volume.linodeVolumeId} is still billed` : ''}.`,
    `See why with: kubectl describe persistentvolume ${volume.name} (events from the Linode CSI driver).${volume.linodeVolumeId ? ` Once the PV is gone, check that the volume is too: linode-cli volumes view ${volume.linodeVolumeId}` : ''}`,
  );
}

/** "about $1.00/month" for a PV size such as 10Gi (Linode bills block storage per GB). */
export function monthlyVolumeCost(size: string | undefined): string | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(size ?? '');
  if (!match) return undefined;
  const toGiB: Record<string, number> = {
    Ki: 1 / 1024 ** 2,
    Mi: 1 / 1024,
    Gi: 1,
    Ti: 1024,
    k: 1e3 / 1024 ** 3,
    M: 1e6 / 1024 ** 3,
    G: 1e9 / 1024 ** 3,
    T: 1e12 / 1024 ** 3,
  };
  const gib = Number(match[1]) * (match[2] ? toGiB[match[2]]! : 1 / 1024 ** 3);
  return `about $${(Math.max(gib, 10) * VOLUME_GB_MONTHLY_USD).toFixed(2)}/month at ${PRICES_AS_OF} prices`;
}

export function keptVolumeMessage(app: string, release: string, volume: VolumeFacts): string {
  const details = [
    volume.size,
    `reclaim policy ${volume.reclaimPolicy ?? 'Retain'}`,
    volume.linodeVolumeId && `Linode volume ${volume.linodeVolumeId}`,
  ]
    .filter(Boolean)
    .join(', ');
  const cost = monthlyVolumeCost(volume.size);
  return `Kept volume ${volume.name} (${details}): it still holds the run's files and the Linode volume behind it is still billed${cost ? ` (${cost})` : ''}. Delete it with: npx tsx tasks.ts uninstall ${app} --release ${release} --delete-volume`;
}

export function stuckReleaseError(
  app: string,
  namespace: string,
  release: string,
  status: helm.ReleaseStatus,
  releaseHistory: Parameters<typeof stuckFacts>[4],
): StuckReleaseError {
  const facts = stuckFacts(app, namespace, release, status, releaseHistory);
  return new StuckReleaseError(
    `Release ${release} is stuck in ${status}; helm would refuse to change it with "another operation (install/upgrade/rollback) is in progress".`,
    `${facts.hint} Nothing was changed.`,
  );
}

export async function rollbackRelease(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
): Promise<void> {
  // No --wait: for a Job chart, helm's wait would mean waiting for the Job to finish.
  await shell.run(helm.rollbackArgs(target, namespace, release, revision), { kind: 'write', timeoutMs: WAIT_MS });
}

// ─── Choosing and confirming ─────────────────────────────────────────────────────────────────────────────────────

export interface SelectOptions {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  /** --release values (repeatable). */
  given: readonly string[];
  now: Date;
}

export interface Selection {
  selected: ReleaseRow[];
  /** Names of this app's runs that no longer exist at all: uninstalling them is already done. */
  alreadyGone: string[];
}

/**
 * The releases named with --release, or the ones picked on a terminal. A name that is not one of the app's runs is
 * a usage error listing the existing ones; a well-formed run name with nothing left of it is "nothing to do".
 */
export async function selectReleasesToUninstall(options: SelectOptions): Promise<Selection> {
  const { app, namespace, rows } = options;
  if (options.given.length > 0) {
    const names = [...new Set(options.given)];
    const unknown = names.filter((name) => !rows.some((row) => row.name === name) && !isRunReleaseName(app, name));
    if (unknown.length > 0) throw unknownReleaseError(app, namespace, unknown, rows);
    return {
      selected: uninstallOrder(rows.filter((row) => names.includes(row.name))),
      alreadyGone: names.filter((name) => !rows.some((row) => row.name === name)),
    };
  }
  if (rows.length === 0) return { selected: [], alreadyGone: [] };
  const ordered = uninstallOrder(rows);
  const chosen = await options.prompter.checkbox(
    {
      message: `Releases of ${app} to uninstall (space selects, enter confirms; finished and oldest first)`,
      choices: releaseChoices(ordered, options.now),
      required: true,
    },
    {
      what: 'the releases to uninstall',
      howToProvide: `pass --release NAME (repeatable), from: ${ordered.map((row) => row.name).join(', ')}`,
    },
  );
  return { selected: ordered.filter((row) => chosen.includes(row.name)), alreadyGone: [] };
}

export interface UninstallFlags {
  yes: boolean;
  force: boolean;
  recover: boolean;
  keepPvc: boolean;
  deleteVolume: boolean;
  dryRun: boolean;
}

export type UninstallItem =
  { row: ReleaseRow; action: 'uninstall' } | { row: ReleaseRow; action: 'rollback'; revision: number };

export interface UninstallDecision {
  items: UninstallItem[];
  deleteRetainedVolumes: boolean;
  /** Releases the person chose to leave as they are, with why. */
  left: { name: string; why: string }[];
}

/** The output of this run exists only on the cluster: deleting its PVC would destroy it. */
export function outputAtRisk(row: ReleaseRow, flags: Pick<UninstallFlags, 'keepPvc'>): boolean {
  return !flags.keepPvc && row.pvc !== undefined && !row.output.copied;
}

/** Volumes a Retain policy would keep after these releases' PVCs go (those are what cost money). */
export function retainedVolumes(rows: readonly ReleaseRow[], flags: Pick<UninstallFlags, 'keepPvc'>): ReleaseRow[] {
  return flags.keepPvc ? [] : rows.filter((row) => row.volume && row.volume.reclaimPolicy !== 'Delete');
}

/**
 * Every consent the uninstall needs, asked before anything changes. Off a terminal the flags must already say yes
 * to everything (--yes; --force for output never copied; --recover for stuck releases), or the command stops with
 * exit 2 listing what is missing. A volume is deleted only with --delete-volume or a yes to that very question:
 * it holds data and costs money, and --yes alone never answers it.
 */
export async function decideUninstall(options: {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  flags: UninstallFlags;
  log: (line: string) => void;
}): Promise<UninstallDecision> {
  const { prompter, app, flags, log } = options;
  const rows = [...options.rows];
  const left: UninstallDecision['left'] = [];
  if (rows.length === 0) return { items: [], deleteRetainedVolumes: false, left };
  const atRisk = rows.filter((row) => outputAtRisk(row, flags));

  if (flags.dryRun) {
    if (!flags.yes) log('Dry run: a real run asks to confirm (or needs --yes off a terminal).');
    for (const row of atRisk)
      if (!flags.force)
        log(`Dry run: the output of ${row.name} was never copied; a real run asks again (or needs --force).`);
    for (const row of rows)
      if (row.stuck && !flags.recover)
        log(`Dry run: ${row.name} is stuck (${row.stuck.status}); a real run asks what to do (or needs --recover).`);
    return {
      items: rows.map((row) => ({ row, action: 'uninstall' })),
      deleteRetainedVolumes: flags.deleteVolume,
      left,
    };
  }

  if (!prompter.interactive) {
    const missing: MissingItem[] = [];
    if (!flags.yes)
      missing.push({
        name: 'confirmation',
        howToProvide: `pass --yes to uninstall ${rows.map((row) => row.name).join(', ')}`,
      });
    for (const row of rows)
      if (row.stuck && !flags.recover)
        missing.push({ name: `${row.name} is stuck (${row.stuck.status})`, howToProvide: row.stuck.hint });
    for (const row of atRisk) {
      if (!flags.force)
        missing.push({
          name: `the output of ${row.name} was never copied to this machine`,
          howToProvide: `copy it first (npx tsx tasks.ts copy ${app} --release ${row.name}), or pass --force to delete it anyway`,
        });
    }
    if (missing.length > 0)
      throw new MissingInputError(
        'uninstall needs consent that nobody is at a terminal to give; nothing was changed:',
        missing,
      );
    return {
      items: rows.map((row) => ({ row, action: 'uninstall' })),
      deleteRetainedVolumes: flags.deleteVolume,
      left,
    };
  }

  const items: UninstallItem[] = [];
  for (const row of rows) {
    if (!row.stuck || flags.recover) {
      items.push({ row, action: 'uninstall' });
      continue;
    }
    const choice = await askAboutStuck(prompter, row);
    if (choice === 'leave') left.push({ name: row.name, why: `left stuck (${row.stuck.status})` });
    else
      items.push(
        choice === 'uninstall' ? { row, action: 'uninstall' } : { row, action: 'rollback', revision: choice.revision },
      );
  }

  const toUninstall = () => items.filter((item) => item.action === 'uninstall').map((item) => item.row);
  if (!flags.yes && toUninstall().length > 0) {
    const list = toUninstall().map(
      (row) => `  - ${row.name}: job ${jobText(row)}, PVC ${storageText(row)}, output ${outputText(row)}`,
    );
    const pvcNote = flags.keepPvc ? 'Their PVCs are kept (--keep-pvc).' : 'Their PVCs go too, with the output on them.';
    const yes = await prompter.confirm(
      {
        message: `Uninstall ${toUninstall().length === 1 ? 'this release' : `these ${toUninstall().length} releases`} of ${app} (Helm release, Job, pods)? ${pvcNote}\n${list.join('\n')}\n `,
        default: false,
      },
      { what: 'confirmation', howToProvide: 'pass --yes' },
    );
    if (!yes)
      return {
        items: items.filter((item) => item.action !== 'uninstall'),
        deleteRetainedVolumes: false,
        left: [...left, ...toUninstall().map((row) => ({ name: row.name, why: 'not confirmed' }))],
      };
  }

  if (!flags.force) {
    for (const row of toUninstall().filter((candidate) => outputAtRisk(candidate, flags))) {
      const yes = await prompter.confirm(
        {
          message: `The output of ${row.name} was never copied to this machine (no verified ${row.output.dir}/run.json); deleting its PVC destroys it. Delete ${row.name} anyway?`,
          default: false,
        },
        { what: `the output of ${row.name} was never copied`, howToProvide: 'pass --force' },
      );
      if (!yes) {
        items.splice(
          items.findIndex((item) => item.row === row),
          1,
        );
        left.push({
          name: row.name,
          why: `kept: its output was never copied (copy it: npx tsx tasks.ts copy ${app} --release ${row.name})`,
        });
      }
    }
  }

  let deleteRetainedVolumes = flags.deleteVolume;
  const costly = retainedVolumes(toUninstall(), flags);
  if (!deleteRetainedVolumes && !flags.yes && costly.length > 0) {
    const list = costly.map(
      (row) =>
        `  - ${row.volume!.name} (${[row.volume!.size, row.volume!.linodeVolumeId && `Linode volume ${row.volume!.linodeVolumeId}`, monthlyVolumeCost(row.volume!.size)].filter(Boolean).join(', ')})`,
    );
    deleteRetainedVolumes = await prompter.confirm(
      {
        message: `${costly.length === 1 ? 'Its volume uses' : 'Their volumes use'} reclaim policy Retain: ${costly.length === 1 ? 'it stays' : 'they stay'} after the PVC${costly.length === 1 ? '' : 's'} go${costly.length === 1 ? 'es' : ''}, with the data, and the Linode volume${costly.length === 1 ? ' is' : 's are'} billed until deleted.\n${list.join('\n')}\n  Delete the volume${costly.length === 1 ? '' : 's'} too?`,
        default: false,
      },
      { what: 'whether to delete the volumes', howToProvide: 'pass --delete-volume' },
    );
  }
  return { items, deleteRetainedVolumes, left };
}

async function askAboutStuck(
  prompter: Prompter,
  row: ReleaseRow,
): Promise<'uninstall' | 'leave' | { revision: number }> {
  const stuck = row.stuck!;
  const since = row.helm?.updated ? ` since ${row.helm.updated.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}` : '';
  const choices: { name: string; value: 'uninstall' | 'leave' | number }[] = [
    { name: 'Uninstall it (the interrupted operation is not running any more)', value: 'uninstall' },
    ...(stuck.rollbackRevision !== undefined
      ? [{ name: `Roll it back to revision ${stuck.rollbackRevision} and keep it`, value: stuck.rollbackRevision }]
      : []),
    { name: 'Leave it as it is (someone may still be running helm on it)', value: 'leave' },
  ];
  const answer = await prompter.select(
    {
      message: `${row.name} is stuck in ${stuck.status}${since}: an interrupted helm operation left it locked. What should happen to it?`,
      choices,
    },
    { what: `what to do with the stuck release ${row.name}`, howToProvide: stuck.hint },
  );
  return typeof answer === 'number' ? { revision: answer } : answer;
}

// ─── The `uninstall` command ─────────────────────────────────────────────────────────────────────────────────────

// listr2's wrapper type is generic in its renderers; the step only uses title and output.
type Task = ListrTaskWrapper<UninstallRun, any, any>;

export interface UninstallRun {
  ctx: CommandContext;
  app: string;
  target: KubeTarget;
  flags: UninstallFlags;
  decision: UninstallDecision;
  /** Runs named with --release of which nothing is left. */
  alreadyGone: string[];
  /** Picked or named, before the confirmations. */
  selected: number;
  results: UninstallResult[];
}

export function uninstallFlags(ctx: CommandContext): UninstallFlags {
  const { options } = ctx.invocation;
  return {
    yes: ctx.config.yes,
    force: options.force === true,
    recover: options.recover === true,
    keepPvc: options['keep-pvc'] === true,
    deleteVolume: options['delete-volume'] === true,
    dryRun: ctx.config.dryRun,
  };
}

/** Observe and decide: read the releases, pick them, ask every question. Nothing has changed when this returns. */
export async function prepareUninstall(ctx: CommandContext): Promise<UninstallRun> {
  const app = findJobApp(ctx.invocation.args.app, 'uninstall');
  const flags = uninstallFlags(ctx);
  if (flags.keepPvc && flags.deleteVolume)
    throw new UsageError('--keep-pvc keeps the PVC and so its volume; it cannot be combined with --delete-volume.');
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  ctx.ui.info(targetBanner(target));
  const rows = await readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const given = ctx.invocation.options.release;
  const selection = await selectReleasesToUninstall({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: Array.isArray(given) ? given : typeof given === 'string' ? [given] : [],
    now: new Date(),
  });
  const decision = await decideUninstall({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows: selection.selected,
    flags,
    log: (line) => ctx.ui.info(line),
  });
  return {
    ctx,
    app: app.name,
    target,
    flags,
    decision,
    alreadyGone: selection.alreadyGone,
    selected: selection.selected.length,
    results: [],
  };
}

/** Act and report for one chosen release (a Listr task). */
export async function uninstallItem(run: UninstallRun, item: UninstallItem, task: Task): Promise<void> {
  const shell = run.ctx.shell.withLog((line) => (task.output = line));
  const name = item.row.name;
  const dry = shell.dryRun ? ' (dry run)' : '';
  if (item.action === 'rollback') {
    task.title = `Roll back ${name} to revision ${item.revision}`;
    await rollbackRelease(shell, run.target, run.target.namespace, name, item.revision);
    task.title = `Rolled back ${name} to revision ${item.revision}${dry}`;
    return;
  }
  const result = await uninstallRelease({
    shell,
    target: run.target,
    namespace: run.target.namespace,
    release: name,
    app: run.app,
    keepPvc: run.flags.keepPvc,
    deleteRetainedVolumes: run.decision.deleteRetainedVolumes,
    // A release that was stuck when the person chose to uninstall it; one that got stuck since still stops here.
    recover: run.flags.recover || item.row.stuck !== undefined,
    log: (line) => (task.output = line),
  });
  run.results.push(result);
  task.title = `${resultTitle(result)}${dry}`;
}

export function resultTitle(result: UninstallResult): string {
  if (result.nothingToDo) return `${result.release}: not found, nothing to do`;
  const done = [
    result.helm === 'uninstalled' ? 'uninstalled the Helm release' : undefined,
    ...result.pvcs.map((pvc) => `${pvc.action} PVC ${pvc.name}`),
    ...result.volumes.map(({ volume, action }) =>
      action === 'kept' ? `kept volume ${volume.name} (still billed)` : `deleted volume ${volume.name}`,
    ),
  ].filter(Boolean);
  return `${result.release}: ${done.join(', ') || 'nothing left to remove'}`;
}

/** The lines printed after the run: what was left alone and what still costs money. */
export function uninstallReport(run: UninstallRun): { info: string[]; warnings: string[]; success: string } {
  const info = [
    ...run.alreadyGone.map((name) => `${name}: not found, nothing to do.`),
    ...run.decision.left.map((entry) => `${entry.name}: ${entry.why}.`),
  ];
  const warnings = run.results.flatMap((result) =>
    result.volumes
      .filter((entry) => entry.action === 'kept')
      .map((entry) => keptVolumeMessage(run.app, result.release, entry.volume)),
  );
  const removed = run.results.filter((result) => !result.nothingToDo).length;
  const rolledBack = run.decision.items.filter((item) => item.action === 'rollback').length;
  const parts = [
    removed > 0 ? `uninstalled ${removed} release${removed === 1 ? '' : 's'}` : undefined,
    rolledBack > 0 ? `rolled back ${rolledBack}` : undefined,
  ].filter(Boolean);
  const success = run.flags.dryRun
    ? 'Dry run done: nothing was changed.'
    : parts.length > 0
      ? `${capitalize(parts.join(' and '))}.`
      : 'Nothing to do.';
  return { info, warnings, success };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

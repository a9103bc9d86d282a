/**
 * Removing runs: the only uninstall path in deckhand (the `uninstall` command and `deploy --cleanup` both call
 * `uninstallRelease`). Per release, in order, each step observing first so a second run — or a run after a crash
 * half-way — converges instead of failing:
 *
 *   1. `helm status`: gone → nothing to uninstall there; pending-* → stop unless the caller chose to recover (an
 *      interrupted operation may really still be running somewhere else).
 *   2. `helm uninstall --wait`, then wait until the release's pods are gone: a pod that still mounts the PVC holds
 *      it (pvc-protection) and the PVC deletion would hang.
 *   3. Delete the run's inputs Secret (`<release>-inputs`): nothing reads it once the release's pods are gone. A run
 *      made before per-run inputs has none; the Secret those runs shared goes once none of them is left
 *      (deleteSharedInputs).
 *   4. Delete the PVC. The chart keeps it on uninstall on purpose (`helm.sh/resource-policy: keep`), so it goes only
 *      here, after the caller has checked that the output is safe.
 *   5. Look for the PersistentVolume the claim leaves behind. LKE's default class has reclaim policy Retain, so the
 *      PV — and the Linode volume behind it, which is billed — stays after the claim is gone. It is deleted only when
 *      the caller says so, by switching its reclaim policy to Delete: the Linode CSI driver then removes the Linode
 *      volume and the PV together. Deleting the PV object alone would leave the Linode volume billed with nothing in
 *      the cluster pointing at it any more. Either way a volume is reported deleted only once it is gone
 *      (deleteVolumeAndWait); one still there is reported with the driver's reason.
 *
 * What to ask (`decideUninstall`) is settled before anything changes, so a refusal off a terminal is exit 2 with
 * nothing touched.
 */
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, UsageError, formatMs } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { PRICES_AS_OF, VOLUME_GB_MONTHLY_USD } from '../../lib/prices.ts';
import { commandFailure, type Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { helperPodName } from './copy.ts';
import { deleteVolumeAndWait } from './reclaim.ts';
import { inputsSecretName } from './release-name.ts';
import { stuckFacts, volumeFacts, type VolumeFacts } from './runs.ts';

/** Each wait (helm uninstall, pods, PVC) gets this long. */
export const UNINSTALL_WAIT_MS = 5 * 60_000;
/** A process waiting with its own --timeout gets this much longer, so it can report that timeout itself. */
const REPORT_GRACE_MS = 30_000;

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

/** `still-there`: its deletion was asked for (reclaim policy Delete) but it has not gone; `reason` says why. */
export type VolumeAction = 'deleted' | 'kept' | 'still-there';

export interface UninstallResult {
  release: string;
  helm: 'uninstalled' | 'absent';
  /** The run's own inputs Secret, when it had one. */
  secrets: { name: string; action: 'deleted' }[];
  pvcs: { name: string; action: 'deleted' | 'kept' }[];
  volumes: { volume: VolumeFacts; action: VolumeAction; reason?: string }[];
  /** Nothing of the release was left: no Helm release, pod, PVC or volume. */
  nothingToDo: boolean;
}

/** A release locked by an interrupted helm operation. Exit 2: nothing was changed. */
export class StuckReleaseError extends UsageError {}

export async function uninstallRelease(options: UninstallReleaseOptions): Promise<UninstallResult> {
  const { shell, target, namespace, release, log } = options;
  const waitMs = options.waitMs ?? UNINSTALL_WAIT_MS;
  const instance = `app.kubernetes.io/instance=${release}`;

  const inputs = inputsSecretName(release);
  const [state, pods, claims, secret] = await Promise.all([
    helm.status(shell, target, namespace, release),
    kubectl.list(shell, target, 'pods', { namespace, labelSelector: instance }),
    claimsOf(shell, target, namespace, release),
    kubectl.get(shell, target, 'secret', inputs, namespace),
  ]);
  if (state && helm.PENDING_STATUSES.includes(state.status) && !options.recover) {
    throw stuckReleaseError(
      options.app,
      namespace,
      release,
      state.status,
      await helm.history(shell, target, namespace, release),
    );
  }

  let helmResult: UninstallResult['helm'] = 'absent';
  if (state) {
    log(`helm uninstall ${release} (${state.status}, revision ${state.version}), waiting for its objects to go`);
    const result = await shell.run(helm.uninstallArgs(target, namespace, release, { wait: true, timeoutMs: waitMs }), {
      kind: 'write',
      nothrow: true,
      timeoutMs: waitMs + 2 * REPORT_GRACE_MS,
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

  const secrets: UninstallResult['secrets'] = [];
  if (secret) {
    log(`Deleting Secret ${inputs} (the run's inputs)`);
    await shell.run(kubectl.deleteArgs(target, 'secret', inputs, { namespace }), { kind: 'write' });
    secrets.push({ name: inputs, action: 'deleted' });
  }

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
        timeoutMs: waitMs + REPORT_GRACE_MS,
        hint: `A pod that still mounts it holds it: kubectl get pods --namespace ${namespace}`,
      },
    );
    pvcs.push({ name: claim, action: 'deleted' });
  }

  const volumes: UninstallResult['volumes'] = [];
  if (!options.keepPvc) {
    for (const volume of await volumesLeftBy(shell, target, namespace, [release, ...claims], log)) {
      const goes = volume.reclaimPolicy === 'Delete';
      if (goes || options.deleteRetainedVolumes) {
        const linode = volume.linodeVolumeId ? ` (Linode volume ${volume.linodeVolumeId})` : '';
        log(
          goes
            ? `Waiting for volume ${volume.name}${linode} to go (reclaim policy Delete: the Linode CSI driver deletes it)`
            : `Deleting volume ${volume.name}${linode}: reclaim policy Retain → Delete, so the Linode CSI driver deletes the Linode volume and the PV`,
        );
        const outcome = await deleteVolumeAndWait({
          shell,
          target,
          volume,
          switchToDelete: !goes,
          requestedEarlier: goes && claims.length === 0,
          log,
        });
        if (outcome.gone) {
          if (!shell.dryRun) log(`Deleted volume ${volume.name}${linode}: it is gone`);
          volumes.push({ volume, action: 'deleted' });
        } else {
          log(`Volume ${volume.name}${linode} is still there: ${outcome.reason}`);
          volumes.push({ volume, action: 'still-there', reason: outcome.reason });
        }
      } else {
        // Callers report a kept volume (with its cost and the command that deletes it) where people will see it.
        log(`Keeping volume ${volume.name} (reclaim policy ${volume.reclaimPolicy ?? 'Retain'})`);
        volumes.push({ volume, action: 'kept' });
      }
    }
  }
  const nothingToDo = !state && pods.length === 0 && !secret && claims.length === 0 && volumes.length === 0;
  if (nothingToDo) log(`${release} was not found (no Helm release, pod, Secret, PVC or volume): nothing to do`);
  return { release, helm: helmResult, secrets, pvcs, volumes, nothingToDo };
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
  const argv = kubectl.waitArgs(target, namespace, 'pods', 'delete', waitMs, { selector });
  if (!shell.dryRun) log('Waiting for its pods to go');
  const result = await shell
    .withLog(log)
    .run(argv, { kind: 'read', dependsOnWrites: 'wait', nothrow: true, timeoutMs: waitMs + REPORT_GRACE_MS });
  if (result.skipped) return;
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
  const listed = await kubectl.listPersistentVolumes(shell, target);
  if (!listed.ok) {
    log(
      `Could not list PersistentVolumes (${listed.error}); check for a volume left behind with: kubectl get persistentvolumes`,
    );
    return [];
  }
  return listed.volumes
    .filter((volume) => {
      const claimRef = kubectl.claimRefOf(volume);
      return claimRef?.namespace === namespace && claimRef.name !== undefined && claims.includes(claimRef.name);
    })
    .map(volumeFacts);
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

/** What a kept volume is and costs, without the command (for a line that may be wrapped anywhere). */
export function keptVolumeNote(volume: VolumeFacts): string {
  const details = [
    volume.size,
    `reclaim policy ${volume.reclaimPolicy ?? 'Retain'}`,
    volume.linodeVolumeId && `Linode volume ${volume.linodeVolumeId}`,
  ]
    .filter(Boolean)
    .join(', ');
  const cost = monthlyVolumeCost(volume.size);
  return `Kept volume ${volume.name} (${details}): it still holds the run's files and the Linode volume behind it is still billed${cost ? ` (${cost})` : ''}.`;
}

export function keptVolumeMessage(app: string, release: string, volume: VolumeFacts): string {
  return `${keptVolumeNote(volume)} Delete it with: ${deckhand('uninstall', app, '--release', release, '--delete-volume')}`;
}

/** Volumes whose deletion was asked for and that are still there: the failure a command ends with (exit 1). */
export function volumesStillThereError(
  app: string,
  stillThere: readonly { volume: VolumeFacts; reason?: string; release: string }[],
): DeckhandError {
  const lines = stillThere.map(
    ({ volume, reason, release }) =>
      `  - ${volume.name}${volume.linodeVolumeId ? ` (Linode volume ${volume.linodeVolumeId}, still billed)` : ''} of ${release}: ${reason ?? 'it is still there'}`,
  );
  const first = stillThere[0]!.volume;
  return new DeckhandError(
    `${stillThere.length === 1 ? 'A volume whose deletion was asked for is' : 'Volumes whose deletion was asked for are'} still there:\n${lines.join('\n')}`,
    `Its reclaim policy is Delete, so the Linode CSI driver keeps trying. See why: kubectl describe persistentvolume ${first.name}; check again with: ${deckhand('releases', app)}${first.linodeVolumeId ? `; once the PV is gone, check the Linode volume: linode-cli volumes view ${first.linodeVolumeId}` : ''}`,
  );
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

/**
 * Waiting for a volume to go, and saying what really happened. A PersistentVolume whose reclaim policy is Delete (as
 * deckhand sets it for a kept volume the person chose to delete, or as a Delete class makes it) is removed by the
 * Linode CSI driver: it deletes the Linode volume, then the PV. That takes seconds — or fails (the volume is still
 * attached, the API refuses), and the driver then records a Warning event on the PV and keeps retrying.
 *
 * So the wait is bounded and watches both: `kubectl wait --for=delete` for the PV to go, and the PV's events for the
 * driver's failure, which ends the wait at once with the driver's own words. A volume is reported deleted only when
 * the API server no longer has it.
 */
import * as kubectl from '../../kubectl.ts';
import { formatMs } from '../../lib/errors.ts';
import { createJsonStreamSplitter } from '../../lib/json-stream.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import type { VolumeFacts } from './runs.ts';

/** The Linode CSI driver deletes a volume within seconds; minutes without a word mean something is wrong. */
export const RECLAIM_WAIT_MS = 2 * 60_000;
const REPORT_GRACE_MS = 30_000;
/** Events about cluster-scoped objects (PersistentVolumes) are recorded in this namespace. */
const CLUSTER_EVENTS_NAMESPACE = 'default';

export type VolumeGone = { gone: true } | { gone: false; reason: string };

interface EventLike {
  metadata: { name: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
}

/**
 * Optionally switches the volume's reclaim policy to Delete, then waits until it is gone or the driver says it
 * cannot delete it. In a dry run the writes and the wait are shown, and the answer is `gone` (nothing was asked).
 */
export async function deleteVolumeAndWait(options: {
  shell: Runner;
  target: KubeTarget;
  volume: VolumeFacts;
  /** Set the reclaim policy to Delete first (a Retained volume the person chose to delete). */
  switchToDelete: boolean;
  /**
   * Its deletion was asked for before this command (its policy was already Delete and no claim was deleted now):
   * then a failure the driver already reported is the answer — nothing new was asked of it.
   */
  requestedEarlier?: boolean;
  log: (line: string) => void;
  timeoutMs?: number;
}): Promise<VolumeGone> {
  const { shell, target, volume, log } = options;
  const timeoutMs = options.timeoutMs ?? RECLAIM_WAIT_MS;
  const events = {
    namespace: CLUSTER_EVENTS_NAMESPACE,
    fieldSelector: `involvedObject.kind=PersistentVolume,involvedObject.name=${volume.name}`,
  };
  // What the driver said before this wait (an earlier attempt) is not news; only what it says from now on is.
  const before = shell.dryRun
    ? []
    : await kubectl.list<EventLike & kubectl.KubeObject>(shell, target, 'events', events).catch(() => []);
  const seen = new Map(before.map((event) => [event.metadata.name, event.count ?? 1]));
  const reported = before.filter((event) => event.type === 'Warning').at(-1);
  if (options.requestedEarlier && reported) return { gone: false, reason: driverFailure(reported) };
  if (options.switchToDelete) {
    await shell.run(kubectl.patchReclaimPolicyArgs(target, volume.name, 'Delete'), { kind: 'write' });
  }

  const stop = new AbortController();
  let failure: string | undefined;
  const splitter = createJsonStreamSplitter((document) => {
    const event = (document as { object?: EventLike }).object;
    if (!event || event.type !== 'Warning') return;
    if ((seen.get(event.metadata.name) ?? 0) >= (event.count ?? 1)) return;
    failure = driverFailure(event);
    stop.abort();
  });
  const watching = shell.dryRun
    ? Promise.resolve()
    : shell
        .run(kubectl.listWatchArgs(target, 'events', events), {
          kind: 'read',
          nothrow: true,
          stopSignal: stop.signal,
          timeoutMs: timeoutMs + REPORT_GRACE_MS,
          onStdoutData: (chunk) => splitter.write(chunk.toString('utf8')),
        })
        .then(() => undefined)
        .catch(() => undefined);
  const waited = await shell
    .withLog(log)
    .run(kubectl.waitArgs(target, CLUSTER_EVENTS_NAMESPACE, `persistentvolume/${volume.name}`, 'delete', timeoutMs), {
      kind: 'read',
      dependsOnWrites: 'wait',
      nothrow: true,
      stopSignal: stop.signal,
      timeoutMs: timeoutMs + REPORT_GRACE_MS,
    });
  stop.abort();
  await watching;
  if (waited.skipped) return { gone: true };
  if (failure) return { gone: false, reason: failure };
  if (waited.exitCode === 0 || /not found|no matching resources/i.test(waited.stderr)) return { gone: true };
  return { gone: false, reason: `it was still there after ${formatMs(timeoutMs)}` };
}

function driverFailure(event: EventLike): string {
  return `the Linode CSI driver could not delete it (${event.reason ?? 'Warning'}: ${event.message ?? 'no message'}); it keeps retrying`;
}

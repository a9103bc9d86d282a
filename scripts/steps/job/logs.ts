/**
 * A run's logs: `kubectl logs` of the newest pod of its Job (a retried Job has several; the newest is the attempt
 * that matters). While the Job runs the stream follows until the container ends or Ctrl-C; for a finished Job the
 * log is printed once. The Job's TTL deletes it — and its pods, and so its logs — a while after it finishes, which
 * is said plainly instead of surfacing kubectl's "not found".
 */
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { jobOutcome, type JobLike, type PodLike } from './diagnose.ts';
import type { JobState } from './runs.ts';
import { deckhand } from '../../lib/hints.ts';
import { plural } from '../../lib/wording.ts';

/** A followed stream ends when the container does or on Ctrl-C; this is only the backstop. */
const FOLLOW_TIMEOUT_MS = 24 * 3_600_000;
const READ_TIMEOUT_MS = 2 * 60_000;

export interface StreamLogsOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  app: string;
  release: string;
  /** Follow even though the Job has finished (it is followed anyway while it runs). */
  follow?: boolean;
  /** Only the last N lines. */
  tail?: number;
  /** Each log line (masked by the runner). */
  onLine: (line: string) => void;
  /** Notes about what is shown. */
  log: (line: string) => void;
}

export interface StreamLogsResult {
  pod: string;
  followed: boolean;
  /** The Job's state when the stream ended. */
  job: JobState;
}

export async function streamReleaseLogs(options: StreamLogsOptions): Promise<StreamLogsResult> {
  const { shell, target, namespace, release, app } = options;
  const [job, pods] = await Promise.all([
    kubectl.get(shell, target, 'job', release, namespace),
    kubectl.list(shell, target, 'pods', { namespace, labelSelector: `batch.kubernetes.io/job-name=${release}` }),
  ]);
  if (!job) {
    throw new DeckhandError(
      `The Job ${release} is gone (its ttlSecondsAfterFinished deleted it, or it was uninstalled), and its logs went with its pods.`,
      `Its output may still be on the PVC: ${deckhand('copy', app, '--release', release)}. deploy saves the whole log beside the run's record while it follows the Job; to read it on the cluster later, raise job.ttlSecondsAfterFinished.`,
    );
  }
  const pod = newestPod(pods as PodLike[]);
  const state = jobOutcome(job as JobLike).state;
  if (!pod) {
    throw new DeckhandError(
      `The Job ${release} has no pod ${state === 'running' ? 'yet' : 'any more'}.`,
      `See why: kubectl describe job ${release} --namespace ${namespace}`,
    );
  }
  const followed = state === 'running' || options.follow === true;
  options.log(
    `${followed ? 'Following' : 'Showing'} the logs of pod ${pod.metadata.name} (Job ${state})${options.tail !== undefined ? `, last ${plural(options.tail, 'line')}` : ''}${followed ? '; Ctrl-C stops following' : ''}.`,
  );
  const result = await shell.run(
    kubectl.logsArgs(target, namespace, pod.metadata.name, { container: app, follow: followed, tail: options.tail }),
    {
      kind: 'read',
      nothrow: true,
      timeoutMs: followed ? FOLLOW_TIMEOUT_MS : READ_TIMEOUT_MS,
      onStdoutLine: options.onLine,
    },
  );
  if (result.exitCode !== 0) {
    const reason = result.stderr.trim().split('\n').pop() ?? '';
    if (/waiting to start|ContainerCreating|PodInitializing/i.test(reason)) {
      throw new DeckhandError(
        `The container of pod ${pod.metadata.name} has not started yet (${reason.replace(/^Error from server \(BadRequest\): /, '')}).`,
        `Try again in a moment, or follow the run: ${deckhand('logs', app, '--release', release)}`,
      );
    }
    throw new DeckhandError(
      `Could not read the logs of pod ${pod.metadata.name}: ${reason}`,
      `See the pod: kubectl describe pod ${pod.metadata.name} --namespace ${namespace}`,
    );
  }
  if (!followed) return { pod: pod.metadata.name, followed, job: state };
  // The stream ended with the container; the Job may finish a moment later (or start another attempt).
  const after = await kubectl.get(shell, target, 'job', release, namespace);
  return { pod: pod.metadata.name, followed, job: after ? jobOutcome(after as JobLike).state : 'gone' };
}

export function newestPod(pods: readonly PodLike[]): PodLike | undefined {
  return [...pods].sort(
    (a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
      b.metadata.name.localeCompare(a.metadata.name),
  )[0];
}

/** `--tail` as a whole number of lines. */
export function parseTail(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--tail must be a whole number of lines, got "${value}".`);
  return Number(value.trim());
}

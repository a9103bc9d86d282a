/**
 * Why a Job failed, in plain words, from the Job's conditions and its pods (see pod-diagnosis.ts for the pods).
 * Pure functions: tests feed them objects, the watcher feeds them live state.
 */
import {
  lastExitCode,
  stuckReason,
  type Diagnosis,
  type EventLike,
  type PodLike,
  type PvcLike,
} from '../cluster/pod-diagnosis.ts';
import { plural } from '../../lib/wording.ts';

export type { ContainerState, Diagnosis, EventLike, PodLike, PvcLike } from '../cluster/pod-diagnosis.ts';
export { stuckReason, waitingNote } from '../cluster/pod-diagnosis.ts';

export interface JobLike {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { backoffLimit?: number; activeDeadlineSeconds?: number };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    failed?: number;
    succeeded?: number;
    active?: number;
  };
}

export type JobOutcome =
  { state: 'running' } | { state: 'complete' } | { state: 'failed'; reason: string; message: string };

/** Complete and Failed are terminal; SuccessCriteriaMet / FailureTarget announce them a moment earlier. */
export function jobOutcome(job: JobLike): JobOutcome {
  const conditions = job.status?.conditions ?? [];
  const isTrue = (type: string) =>
    conditions.find((condition) => condition.type === type && condition.status === 'True');
  if (isTrue('Complete') || isTrue('SuccessCriteriaMet')) return { state: 'complete' };
  const failed = isTrue('Failed') ?? isTrue('FailureTarget');
  if (failed) return { state: 'failed', reason: failed.reason ?? 'Failed', message: failed.message ?? '' };
  return { state: 'running' };
}

export function explainFailure(
  job: JobLike,
  pods: readonly PodLike[],
  events: readonly EventLike[],
  pvcs: readonly PvcLike[] = [],
  pvcEvents: readonly EventLike[] = [],
): Diagnosis {
  const outcome = jobOutcome(job);
  const newest = [...pods].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
  for (const pod of newest) {
    const stuck = stuckReason(pod, events, pvcs, pvcEvents);
    if (stuck) return stuck;
  }
  for (const pod of newest) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const terminated = container.state?.terminated ?? container.lastState?.terminated;
      if (terminated?.reason === 'OOMKilled') {
        return {
          summary: `The container ${container.name} ran out of memory (OOMKilled, exit ${terminated.exitCode ?? 137}).`,
          fix: 'Raise resources.limits.memory in the app values file (and requests.memory with it), then deploy again.',
        };
      }
    }
  }
  if (outcome.state === 'failed') {
    if (outcome.reason === 'DeadlineExceeded') {
      const limit = job.spec?.activeDeadlineSeconds;
      return {
        summary: `The Job ran longer than its deadline${limit ? ` of ${limit} s` : ''} (activeDeadlineSeconds) and was stopped.`,
        fix: 'Raise job.activeDeadlineSeconds in the app values file if the run needs longer, or shorten the date range.',
      };
    }
    const exitCode = lastExitCode(newest);
    if (outcome.reason === 'PodFailurePolicy') {
      return {
        summary: `The program exited with code ${exitCode ?? '?'}, which the chart treats as a permanent failure (podFailurePolicy), so it was not retried.`,
        fix: 'Read the last log lines above; fix the input or the code and deploy again.',
      };
    }
    if (outcome.reason === 'BackoffLimitExceeded') {
      const attempts = (job.status?.failed ?? 0) || (job.spec?.backoffLimit ?? 0) + 1;
      return {
        summary: `The program failed ${plural(attempts, 'time')} (backoffLimit ${job.spec?.backoffLimit ?? '?'} reached)${exitCode !== undefined ? `; last exit code ${exitCode}` : ''}.`,
        fix:
          exitCode === 127 || exitCode === 126
            ? 'Exit 126/127 means the command could not run: check command/args and that the image was built for linux/amd64.'
            : 'Read the last log lines above; fix the input or the code and deploy again.',
      };
    }
    return {
      summary: `The Job failed (${outcome.reason}${outcome.message ? `: ${outcome.message}` : ''}).`,
      fix: 'Read the last log lines and events below.',
    };
  }
  return { summary: 'The Job did not finish.', fix: 'Read the last log lines and events below.' };
}

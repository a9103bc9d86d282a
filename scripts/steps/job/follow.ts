/**
 * Following the Job: the watch starts beside `helm install` (so no event or early log line is missed) and its lines
 * are held until the step that shows them begins; the step then waits for the outcome and explains a failure.
 */
import { plural } from '../../lib/wording.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, NetworkError, formatMs } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { WatchConnectionLost } from '../cluster/resumable-watch.ts';
import { targetOf, taskShell, type DeployRun, type Following } from './deploy-run.ts';
import { jobLogSummary, openJobLog } from './job-log.ts';
import { watchJob } from './watch.ts';
import {
  explainNeverScheduled,
  unscheduledReason,
  type EventLike,
  type PodLike,
  type PvcLike,
} from '../cluster/pod-diagnosis.ts';

export async function followJob(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  const target = targetOf(run, plan.namespace);
  const shell = taskShell(run, task);
  task.title = `Run Job ${plan.release} and follow its logs`;
  if (shell.dryRun) {
    // The Job does not exist in a dry run: the runner shows what a real run would follow.
    await shell.run(kubectl.watchArgs(target, plan.namespace, 'job', plan.release), {
      kind: 'read',
      dependsOnWrites: 'watch',
    });
    const pod = `<pod of job ${plan.release}>`;
    await shell.run(kubectl.logsArgs(target, plan.namespace, pod, { container: run.app.name, follow: true }), {
      kind: 'read',
      dependsOnWrites: 'stream',
    });
    return;
  }
  const started = Date.now();
  const following = run.following ?? startFollowing(run, target);
  following.attach((line) => (task.output = line));
  const app = run.app.name;
  const release = ['--release', plan.release];
  let result;
  try {
    result = await following.result;
  } catch (error) {
    if (!(error instanceof WatchConnectionLost)) throw error;
    // Only the watch ended: the Job runs on, and nothing of it is deleted (the copy and clean-up steps do not run).
    run.outcome = 'error';
    run.failure = `lost the connection to the cluster's API: ${error.reason}`;
    throw new NetworkError(
      `Lost the connection to the cluster's API while watching Job ${plan.release} (${plural(error.attempts, 'attempt')} in a row failed): ${error.reason}`,
      `The run goes on in the cluster. When the API answers again, follow it: ${deckhand('logs', app, ...release)} · copy its output when it is done: ${deckhand('copy', app, ...release)}`,
      { cause: error },
    );
  } finally {
    const saved = jobLogSummary(following.log.close(), run.deps.config.repoRoot);
    if (saved) task.summary(saved);
  }
  run.watch = result;
  const elapsed = formatMs(Date.now() - started);
  const keep = `The release ${plan.release} and its PVC were kept. Logs: ${deckhand('logs', app, ...release)} · clean up: ${deckhand('uninstall', app, ...release)}`;
  switch (result.outcome) {
    case 'complete':
      run.outcome = 'complete';
      task.title = `Job ${plan.release} completed in ${elapsed}`;
      return;
    case 'failed': {
      run.outcome = 'failed';
      run.failure = result.diagnosis.summary;
      const logs =
        result.lastLogLines.length > 0
          ? `\nLast log lines:\n${result.lastLogLines.map((line) => `  │ ${line}`).join('\n')}`
          : '';
      throw new DeckhandError(
        `Job ${plan.release} failed after ${elapsed}: ${result.diagnosis.summary}${logs}`,
        `${result.diagnosis.fix}\n  ${keep}`,
      );
    }
    case 'timeout': {
      run.outcome = 'timeout';
      const unscheduled = await neverScheduled(run, target);
      if (unscheduled) {
        // Nothing ran: "it keeps running" and "copy its output" would send the person after output that never was.
        run.neverScheduled = unscheduled;
        run.failure = `its pod was never scheduled: ${unscheduled.diagnosis.summary}`;
        throw new DeckhandError(
          `Job ${plan.release} did not finish within ${formatMs(plan.jobTimeoutMs)}: its pod was never scheduled: ${unscheduled.diagnosis.summary}; nothing ran.`,
          `${unscheduled.diagnosis.fix}\n  The release ${plan.release} and its PVC were kept, and the pod still waits for a node. Remove them: ${deckhand('uninstall', app, ...release)}`,
        );
      }
      run.failure = `did not finish within ${formatMs(plan.jobTimeoutMs)}`;
      throw new DeckhandError(
        `Job ${plan.release} did not finish within ${formatMs(plan.jobTimeoutMs)}${result.note ? `: ${result.note.replace(/\.$/, '')}` : ''}.`,
        `It keeps running in the cluster. Follow it: ${deckhand('logs', app, ...release)}; copy its output when done: ${deckhand('copy', app, ...release)}. Wait longer next time with --timeout.`,
      );
    }
    case 'deleted':
      run.outcome = 'error';
      run.failure = 'the Job was deleted before it finished';
      throw new DeckhandError(
        `Job ${plan.release} was deleted before it finished.`,
        `Someone (or its TTL) removed it; the PVC may still hold output: ${deckhand('copy', app, ...release)}`,
      );
  }
}

/**
 * At the timeout: the Job's pods, when none of them ever got a node, with the scheduler's reason (and the run's PVC,
 * which a WaitForFirstConsumer class keeps Pending until then). Undefined when a pod was scheduled.
 */
async function neverScheduled(run: DeployRun, target: KubeTarget): Promise<DeployRun['neverScheduled']> {
  const plan = run.plan!;
  const shell = run.deps.shell;
  const [pods, pvc, pvcEvents] = await Promise.all([
    kubectl.list(shell, target, 'pods', {
      namespace: plan.namespace,
      labelSelector: `batch.kubernetes.io/job-name=${plan.release}`,
    }),
    kubectl.get(shell, target, 'persistentvolumeclaim', plan.release, plan.namespace),
    kubectl.list<EventLike & kubectl.KubeObject>(shell, target, 'events', {
      namespace: plan.namespace,
      fieldSelector: `involvedObject.name=${plan.release},involvedObject.kind=PersistentVolumeClaim`,
    }),
  ]);
  const ours = (pods as PodLike[]).filter((pod) => !pod.metadata.deletionTimestamp);
  const reasons = ours.map(unscheduledReason);
  if (ours.length === 0 || reasons.some((reason) => reason === undefined)) return undefined;
  const pod = ours[0]!;
  return {
    pod: pod.metadata.name,
    diagnosis: explainNeverScheduled(pod, reasons[0]!, pvc ? [pvc as PvcLike] : [], pvcEvents),
  };
}

export function startFollowing(run: DeployRun, target: KubeTarget): Following {
  const plan = run.plan!;
  const held: string[] = [];
  let sink: ((line: string) => void) | undefined;
  const emit = (line: string) => (sink ? sink(line) : held.push(line));
  const stop = new AbortController();
  const log = openJobLog(plan.runDir, { server: target.server, namespace: plan.namespace, release: plan.release });
  const result = watchJob({
    shell: run.deps.shell.withLog(emit),
    target,
    namespace: plan.namespace,
    job: plan.release,
    timeoutMs: plan.jobTimeoutMs,
    pvcNames: [plan.release],
    runId: plan.runId,
    retry: run.deps.config.watchRetry,
    stopSignal: stop.signal,
    onLogLine: (line, pod) => {
      log.write(line, pod);
      emit(`│ ${line}`);
    },
    onNote: emit,
  });
  // Nobody awaits the wait when the install fails and stops it; that rejection is expected.
  result.catch(() => undefined);
  return {
    result,
    attach(next) {
      sink = next;
      for (const line of held.splice(0)) next(line);
    },
    stop: () => stop.abort(),
    log,
  };
}

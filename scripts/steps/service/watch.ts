/**
 * Watching Deployments roll out by following live state, never by sleeping: four watches on the app's namespace
 * (Deployments, ReplicaSets, pods, pod events) feed one picture, and `kubectl logs -f` streams each new pod's output
 * as soon as its container runs. A Deployment is done when kubectl would say so (`rollout status`): its controller saw
 * this roll-out's generation and its new ReplicaSet's pods are all available, the old ones gone. The watch stops the
 * moment a new pod shows it cannot become available (see rollout-diagnosis.ts), with the pod's last log lines and
 * events — not after the progress deadline.
 */
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { DEFAULT_WATCH_RETRY, resumableWatch, type WatchEvent, type WatchRetry } from '../cluster/resumable-watch.ts';
import { REVISION } from './compare.ts';
import {
  isCrashLooping,
  podNote,
  podProblem,
  rolloutProgress,
  type DeploymentLike,
  type Diagnosis,
  type EventLike,
  type ServicePodLike,
} from './rollout-diagnosis.ts';

export interface RolloutTarget {
  deployment: string;
  /** The generation this roll-out wrote; undefined: only wait until what runs now is available. */
  generation?: number;
}

interface ReplicaSetLike {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: { kind: string; name: string }[] };
}

export interface RolloutWatchResult {
  outcome: 'complete' | 'failed';
  /** The revision each Deployment runs at the end, and the ReplicaSet of it. */
  revisions: Record<string, number>;
  newReplicaSets: Record<string, string>;
  failure?: {
    deployment: string;
    diagnosis: Diagnosis;
    pod?: string;
    lastLogLines: string[];
    /** The failing pod's warning events, as lines. */
    events: string[];
  };
}

export interface WatchRolloutOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  targets: readonly RolloutTarget[];
  /** Backstop only: the watch ends on its own when the roll-out completes or cannot. */
  timeoutMs: number;
  onLogLine: (line: string, deployment: string) => void;
  /** Progress notes, each distinct one once. */
  onNote: (note: string) => void;
  stopSignal?: AbortSignal;
  /**
   * How the watches get the API back after their connection drops (default DEFAULT_WATCH_RETRY); when it stays
   * away, the watch rejects with WatchConnectionLost.
   */
  retry?: WatchRetry;
}

const LOG_TAIL = 20;
const EVENT_LINES = 8;

type EventObject = EventLike & { metadata: { name: string } };

export async function watchRollout(options: WatchRolloutOptions): Promise<RolloutWatchResult> {
  const { shell, target, namespace } = options;
  const deployments = new Map<string, DeploymentLike>();
  const replicaSets = new Map<string, ReplicaSetLike>();
  const pods = new Map<string, ServicePodLike>();
  const events = new Map<string, EventObject>();
  const generations = new Map(options.targets.map((item) => [item.deployment, item.generation]));
  const done = new Set<string>();
  const result: RolloutWatchResult = { outcome: 'complete', revisions: {}, newReplicaSets: {} };
  const recentLines = new Map<string, string[]>();
  const followed = new Map<string, Promise<unknown>>();
  const notes = new Set<string>();
  const stopWatches = new AbortController();
  const stopLogs = new AbortController();
  let finished = false;
  let failedPod: ServicePodLike | undefined;
  let settle!: (error?: unknown) => void;
  const settled = new Promise<void>((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
  const finish = (error?: unknown) => {
    if (finished) return;
    finished = true;
    settle(error);
  };
  const note = (text: string) => {
    if (notes.has(text)) return;
    notes.add(text);
    options.onNote(text);
  };

  const newReplicaSetOf = (deployment: DeploymentLike): string | undefined => {
    const revision = deployment.metadata.annotations?.[REVISION];
    if (!revision) return undefined;
    return [...replicaSets.values()].find(
      (rs) =>
        rs.metadata.annotations?.[REVISION] === revision &&
        rs.metadata.ownerReferences?.some(
          (owner) => owner.kind === 'Deployment' && owner.name === deployment.metadata.name,
        ),
    )?.metadata.name;
  };

  const followLogs = (pod: ServicePodLike, deployment: string) => {
    const status = pod.status?.containerStatuses?.[0];
    if (!status?.state?.running) return;
    const key = `${pod.metadata.name}/${status.restartCount ?? 0}`;
    if (followed.has(key)) return;
    note(`Pod ${pod.metadata.name} started; following its logs.`);
    const lines = recentLines.get(pod.metadata.name) ?? [];
    recentLines.set(pod.metadata.name, lines);
    const following = shell
      .run(kubectl.logsArgs(target, namespace, pod.metadata.name, { container: status.name, follow: true }), {
        kind: 'read',
        timeoutMs: options.timeoutMs,
        nothrow: true,
        stopSignal: stopLogs.signal,
        onStdoutLine: (line) => {
          lines.push(line);
          if (lines.length > LOG_TAIL) lines.shift();
          options.onLogLine(line, deployment);
        },
      })
      .catch((error: unknown) => finish(error));
    followed.set(key, following);
  };

  const evaluate = () => {
    if (finished) return;
    const eventList = [...events.values()];
    for (const [name, wanted] of generations) {
      if (done.has(name)) continue;
      const deployment = deployments.get(name);
      if (!deployment) continue;
      const generation = wanted ?? deployment.metadata.generation ?? 0;
      const progress = rolloutProgress(deployment, generation);
      const observed = (deployment.status?.observedGeneration ?? 0) >= generation;
      const newRs = observed ? newReplicaSetOf(deployment) : undefined;
      if (newRs) result.newReplicaSets[name] = newRs;
      if (progress.state === 'failed') return fail(name, progress.diagnosis);
      for (const pod of pods.values()) {
        if (!newRs || pod.metadata.deletionTimestamp) continue;
        if (!pod.metadata.ownerReferences?.some((owner) => owner.kind === 'ReplicaSet' && owner.name === newRs))
          continue;
        followLogs(pod, name);
        const problem = podProblem(pod, eventList, name);
        if (problem) return fail(name, problem, pod);
        const waiting = podNote(pod, eventList);
        if (waiting) note(waiting);
      }
      // Complete once the ReplicaSet of this revision is known too (its watch may deliver after the Deployment's).
      if (progress.state === 'complete' && newRs) {
        done.add(name);
        result.revisions[name] = Number(deployment.metadata.annotations?.[REVISION] ?? 0);
        note(`${name}: revision ${result.revisions[name]} is available.`);
      } else if (progress.state === 'waiting') note(progress.note);
    }
    if (done.size === generations.size) finish();
  };

  const fail = (deployment: string, diagnosis: Diagnosis, pod?: ServicePodLike) => {
    result.outcome = 'failed';
    result.failure = {
      deployment,
      diagnosis,
      ...(pod ? { pod: pod.metadata.name } : {}),
      lastLogLines: [],
      events: pod ? warningLines([...events.values()], pod.metadata.name) : [],
    };
    failedPod = pod;
    finish();
  };

  const watch = <T extends { metadata: { name: string } }>(
    resource: string,
    store: Map<string, T>,
    extra: kubectl.ListOptions = {},
  ) => {
    // Resumes by itself when the API ends or drops it; a re-list after 410 Gone brings what went as DELETED.
    resumableWatch<T>({
      shell,
      target,
      resource,
      list: { namespace, ...extra },
      timeoutMs: options.timeoutMs,
      stopSignal: stopWatches.signal,
      retry: options.retry ?? DEFAULT_WATCH_RETRY,
      onNote: options.onNote,
      onEvent: (event: WatchEvent<T>) => {
        if (event.type === 'DELETED') store.delete(event.object.metadata.name);
        else if (event.type === 'ADDED' || event.type === 'MODIFIED')
          store.set(event.object.metadata.name, event.object);
        else return;
        evaluate();
      },
    }).catch((error: unknown) => finish(error));
  };

  const onStop = () => finish(new Error('The roll-out watch was stopped.'));
  if (options.stopSignal?.aborted) onStop();
  options.stopSignal?.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => {
    const waiting = [...generations.keys()].filter((name) => !done.has(name));
    fail(waiting[0] ?? '?', {
      summary: `${waiting.join(', ')} did not become available within ${Math.round(options.timeoutMs / 1000)} s.`,
      fix: `See what it waits for: kubectl describe deployment ${waiting[0] ?? ''} --namespace ${namespace}`,
    });
  }, options.timeoutMs);

  const watches = [
    watch('deployments', deployments),
    watch('replicasets', replicaSets),
    watch('pods', pods),
    watch('events', events, { fieldSelector: 'involvedObject.kind=Pod' }),
  ];
  try {
    await settled;
    if (result.failure && failedPod) {
      const pod = failedPod.metadata.name;
      // Read once more: the event that goes with the state just seen (BackOff, Failed) may still be on its way.
      const [lines, fresh] = await Promise.all([
        lastLogLines(shell, target, namespace, failedPod, recentLines),
        kubectl
          .list<EventObject & kubectl.KubeObject>(shell, target, 'events', {
            namespace,
            fieldSelector: `involvedObject.name=${pod}`,
          })
          .catch(() => [] as EventObject[]),
      ]);
      for (const event of fresh) events.set(event.metadata.name, event);
      result.failure.lastLogLines = lines;
      result.failure.events = warningLines([...events.values()], pod);
    }
    return result;
  } finally {
    clearTimeout(timer);
    options.stopSignal?.removeEventListener('abort', onStop);
    stopWatches.abort();
    stopLogs.abort();
    await Promise.allSettled([...watches, ...followed.values()]);
  }
}

/** The failing pod's last lines: a crashed container's previous run, else what was streamed, else a fresh read. */
async function lastLogLines(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  pod: ServicePodLike,
  streamed: ReadonlyMap<string, string[]>,
): Promise<string[]> {
  const crashed = isCrashLooping(pod);
  const seen = streamed.get(pod.metadata.name) ?? [];
  if (!crashed && seen.length > 0) return [...seen];
  const read = await shell.run(
    kubectl.logsArgs(target, namespace, pod.metadata.name, {
      container: pod.spec?.containers?.[0]?.name,
      tail: LOG_TAIL,
      previous: crashed,
    }),
    { kind: 'read', nothrow: true },
  );
  const lines = read.exitCode === 0 ? read.stdout.split('\n').filter((line) => line !== '') : [];
  return lines.length > 0 ? lines : [...seen];
}

function warningLines(events: readonly EventLike[], pod: string): string[] {
  return events
    .filter((event) => event.involvedObject?.name === pod && event.type === 'Warning')
    .sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''))
    .slice(-EVENT_LINES)
    .map(
      (event) => `${event.reason ?? '?'}: ${event.message ?? ''}${(event.count ?? 1) > 1 ? ` (×${event.count})` : ''}`,
    );
}

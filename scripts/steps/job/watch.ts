/**
 * Waiting for a Job by following live state, never by sleeping: `kubectl get job --watch` reports every change to
 * the Job, `kubectl get pods --watch` every change to its pods, and `kubectl logs -f` streams each pod's output as
 * soon as its container starts. The wait ends the moment the Job is Complete or Failed, or a pod is stuck in a state
 * that cannot fix itself (a missing image or Secret key, a storage class that does not exist) — never by waiting
 * out the timeout on a failure.
 */
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import {
  stuckReason,
  suspiciousState,
  waitingNote,
  type EventLike,
  type PodLike,
  type PvcLike,
} from '../cluster/pod-diagnosis.ts';
import { DEFAULT_WATCH_RETRY, resumableWatch, type WatchEvent, type WatchRetry } from '../cluster/resumable-watch.ts';
import { followPodLog } from './log-follow.ts';
import { explainFailure, jobOutcome, type Diagnosis, type JobLike } from './diagnose.ts';
import { RUN_ID_LABEL } from './release-name.ts';

export type WatchResult =
  | { outcome: 'complete'; pods: string[] }
  | { outcome: 'failed'; diagnosis: Diagnosis; lastLogLines: string[]; pods: string[] }
  | { outcome: 'timeout'; note?: string; pods: string[] }
  | { outcome: 'deleted'; pods: string[] };

export interface WatchJobOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  job: string;
  timeoutMs: number;
  /** Each log line of the Job's pods, as it arrives. */
  onLogLine: (line: string, pod: string) => void;
  /** Progress notes: a pod started, waiting for a node, … (each distinct note once). */
  onNote: (note: string) => void;
  /** PVCs the Job mounts (their provisioning failures are a reason to stop). */
  pvcNames?: readonly string[];
  /** Ends the wait early (the install it was started beside failed); the wait then rejects. */
  stopSignal?: AbortSignal;
  /**
   * The run's id (the deckhand.dev/run-id label): a Job or pod of the same name that does not carry it belongs to
   * another run, and is not this run's to follow.
   */
  runId?: string;
  /**
   * How the watches get the API back after their connection drops (default DEFAULT_WATCH_RETRY); when it stays
   * away, the wait rejects with WatchConnectionLost and the Job runs on.
   */
  retry?: WatchRetry;
}

const LOG_TAIL = 20;
/** After the Job finishes, how long the last log lines get to arrive before the log stream is cut. */
const LOG_DRAIN_MS = 5_000;

export async function watchJob(options: WatchJobOptions): Promise<WatchResult> {
  const { shell, target, namespace, job } = options;
  const stopWatches = new AbortController();
  const stopLogs = new AbortController();
  const followed = new Map<string, Promise<unknown>>();
  const recentLines: string[] = [];
  const notes = new Set<string>();
  const pods = new Map<string, PodLike>();
  const checkedStates = new Map<string, string>();
  let settle!: (result: WatchResult) => void;
  let fail!: (error: unknown) => void;
  const settled = new Promise<WatchResult>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  let done = false;
  const finish = (result: WatchResult | Error) => {
    if (done) return;
    done = true;
    if (result instanceof Error) fail(result);
    else settle(result);
  };
  const note = (text: string) => {
    if (notes.has(text)) return;
    notes.add(text);
    options.onNote(text);
  };
  const podNames = () => [...pods.keys()];

  const followLogs = (pod: PodLike) => {
    const name = pod.metadata.name;
    if (followed.has(name)) return;
    const container = pod.spec?.containers?.[0]?.name;
    note(`Pod ${name} started; following its logs.`);
    const following = followPodLog({
      shell,
      target,
      namespace,
      pod: name,
      container,
      timeoutMs: options.timeoutMs + LOG_DRAIN_MS,
      stopSignal: stopLogs.signal,
      retry: options.retry ?? DEFAULT_WATCH_RETRY,
      onLine: (line) => {
        recentLines.push(line);
        if (recentLines.length > LOG_TAIL) recentLines.shift();
        options.onLogLine(line, name);
      },
      onNote: options.onNote,
    }).catch((error: unknown) => finish(error as Error));
    followed.set(name, following);
  };

  const checkPod = async (pod: PodLike) => {
    const states = pod.status?.containerStatuses ?? [];
    if (states.some((state) => state.state?.running || state.state?.terminated)) followLogs(pod);
    const waiting = waitingNote(pod);
    if (waiting) note(waiting);
    // A pod being scheduled or started is not stuck; only these states might be. Each distinct state is looked into
    // once, so a pod that reports the same back-off every few seconds costs one set of reads.
    const suspicion = suspiciousState(pod);
    if (!suspicion || checkedStates.get(pod.metadata.name) === suspicion) return;
    checkedStates.set(pod.metadata.name, suspicion);
    // Events and PVCs are read only when a pod looks stuck, to keep the happy path to three streams.
    const [events, pvcs, pvcEvents] = await Promise.all([
      kubectl.list<EventLike & kubectl.KubeObject>(shell, target, 'events', {
        namespace,
        fieldSelector: `involvedObject.name=${pod.metadata.name}`,
      }),
      readPvcs(),
      readPvcEvents(),
    ]);
    const stuck = stuckReason(pod, events, pvcs, pvcEvents);
    if (stuck) finish({ outcome: 'failed', diagnosis: stuck, lastLogLines: [...recentLines], pods: podNames() });
  };

  const readPvcs = async (): Promise<PvcLike[]> => {
    const found = await Promise.all(
      (options.pvcNames ?? []).map((name) =>
        kubectl.get<kubectl.KubeObject>(shell, target, 'persistentvolumeclaim', name, namespace),
      ),
    );
    return found.filter((pvc): pvc is kubectl.KubeObject => pvc !== undefined) as PvcLike[];
  };
  const readPvcEvents = async (): Promise<EventLike[]> => {
    const lists = await Promise.all(
      (options.pvcNames ?? []).map((name) =>
        kubectl.list<EventLike & kubectl.KubeObject>(shell, target, 'events', {
          namespace,
          fieldSelector: `involvedObject.name=${name},involvedObject.kind=PersistentVolumeClaim`,
        }),
      ),
    );
    return lists.flat();
  };

  const ours = (object: { metadata: { labels?: Record<string, string> } }) =>
    options.runId === undefined || object.metadata.labels?.[RUN_ID_LABEL] === options.runId;

  const onJob = async (event: WatchEvent<JobLike>) => {
    if (event.object?.metadata && !ours(event.object)) return;
    if (event.type === 'DELETED') {
      finish({ outcome: 'deleted', pods: podNames() });
      return;
    }
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    const outcome = jobOutcome(event.object);
    if (outcome.state === 'complete') finish({ outcome: 'complete', pods: podNames() });
    if (outcome.state === 'failed') {
      const [events, pvcs, pvcEvents] = await Promise.all([readEventsForPods(), readPvcs(), readPvcEvents()]);
      finish({
        outcome: 'failed',
        diagnosis: explainFailure(event.object, [...pods.values()], events, pvcs, pvcEvents),
        lastLogLines: [...recentLines],
        pods: podNames(),
      });
    }
  };
  const readEventsForPods = async (): Promise<EventLike[]> => {
    const lists = await Promise.all(
      podNames().map((name) =>
        kubectl.list<EventLike & kubectl.KubeObject>(shell, target, 'events', {
          namespace,
          fieldSelector: `involvedObject.name=${name}`,
        }),
      ),
    );
    return lists.flat();
  };

  const onPod = (event: WatchEvent<PodLike>) => {
    if (event.type === 'DELETED') return;
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return;
    pods.set(event.object.metadata.name, event.object);
    checkPod(event.object).catch((error: unknown) => finish(error as Error));
  };

  // Each watch resumes by itself when the API ends or drops it; only a lasting outage (or a refusal) ends the wait.
  const watch = <T extends { metadata: { name: string } }>(
    resource: string,
    list: kubectl.ListOptions,
    onEvent: (event: WatchEvent<T>) => unknown,
  ) =>
    resumableWatch<T>({
      shell,
      target,
      resource,
      list,
      timeoutMs: options.timeoutMs + LOG_DRAIN_MS,
      stopSignal: stopWatches.signal,
      retry: options.retry ?? DEFAULT_WATCH_RETRY,
      onEvent: (event) => {
        Promise.resolve(onEvent(event)).catch((error: unknown) => finish(error as Error));
      },
      onNote: options.onNote,
    }).catch((error: unknown) => finish(error as Error));

  const onStop = () => finish(new Error('The wait for the Job was stopped.'));
  if (options.stopSignal?.aborted) onStop();
  options.stopSignal?.addEventListener('abort', onStop, { once: true });

  const timer = setTimeout(() => {
    const pending = [...pods.values()].map(waitingNote).find(Boolean);
    finish({ outcome: 'timeout', note: pending, pods: podNames() });
  }, options.timeoutMs);

  const watches = [
    watch<JobLike>('job', { namespace, fieldSelector: `metadata.name=${job}` }, onJob),
    watch<PodLike>(
      'pods',
      {
        namespace,
        labelSelector: [
          `batch.kubernetes.io/job-name=${job}`,
          ...(options.runId ? [`${RUN_ID_LABEL}=${options.runId}`] : []),
        ].join(','),
      },
      onPod,
    ),
  ];

  try {
    const result = await settled;
    if (result.outcome === 'failed' && result.lastLogLines.length === 0)
      result.lastLogLines = await lastLogLines(shell, target, namespace, [...pods.values()]);
    return result;
  } finally {
    clearTimeout(timer);
    options.stopSignal?.removeEventListener('abort', onStop);
    stopWatches.abort();
    // Let the log streams deliver the last lines (they end when the container does), then cut them.
    const drain = setTimeout(() => stopLogs.abort(), LOG_DRAIN_MS);
    await Promise.allSettled([...watches, ...followed.values()]);
    clearTimeout(drain);
    stopLogs.abort();
  }
}

/** The last lines of the newest pod's log, for a failure message. */
export async function lastLogLines(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  pods: readonly PodLike[],
): Promise<string[]> {
  const newest = [...pods].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0];
  if (!newest) return [];
  const result = await shell.run(
    kubectl.logsArgs(target, namespace, newest.metadata.name, {
      container: newest.spec?.containers?.[0]?.name,
      tail: LOG_TAIL,
    }),
    { kind: 'read', nothrow: true },
  );
  return result.exitCode === 0
    ? result.stdout
        .trimEnd()
        .split('\n')
        .filter((line) => line !== '')
    : [];
}

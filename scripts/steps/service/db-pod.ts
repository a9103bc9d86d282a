/**
 * Which pod runs an app's database: one that is Running and Ready and not being deleted, the newest first. While there
 * is none (the pod is restarting, a new one is starting) the wait follows the pods with a watch, bounded, instead of
 * polling or sleeping.
 */
import { findApp, type AppDatabase, type ServiceApp } from '../../apps/index.ts';
import * as kubectl from '../../kubectl.ts';
import { CommandError, DeckhandError, UsageError, formatMs } from '../../lib/errors.ts';
import { createJsonStreamSplitter } from '../../lib/json-stream.ts';
import type { RunResult, Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';

export type DatabaseApp = ServiceApp & { database: AppDatabase };

/** The app named on the command line, when it has a database; a UsageError (exit 2) otherwise. */
export function findDatabaseApp(name: string): DatabaseApp {
  const app = findApp(name);
  if (app.kind !== 'service' || !app.database)
    throw new UsageError(`${app.name} has no database for "db" to reach.`, 'Apps with a database: wpp-bot.');
  return app as DatabaseApp;
}

export function selectorOf(database: AppDatabase): string {
  return Object.entries(database.selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

interface PodLike extends kubectl.KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export function isServing(pod: PodLike): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((condition) => condition.type === 'Ready' && condition.status === 'True')
  );
}

function newestFirst(pods: readonly PodLike[]): PodLike[] {
  return [...pods].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  );
}

/** The pod serving now, or undefined. */
export async function servingPod(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  database: AppDatabase,
): Promise<string | undefined> {
  const pods = await kubectl.list<PodLike>(shell, target, 'pods', { namespace, labelSelector: selectorOf(database) });
  return newestFirst(pods.filter(isServing))[0]?.metadata.name;
}

/**
 * The serving pod, waiting up to `timeoutMs` for one to appear: a watch on the database's pods that ends the moment
 * one is Running and Ready. Throws, naming what the pods are doing, when none is within the bound.
 */
export async function waitForServingPod(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  database: AppDatabase,
  timeoutMs: number,
  options: { except?: string } = {},
): Promise<string> {
  const pods = new Map<string, PodLike>();
  const stop = new AbortController();
  let found: string | undefined;
  const splitter = createJsonStreamSplitter((document) => {
    const event = document as { type?: string; object?: PodLike };
    const pod = event.object;
    if (!pod?.metadata?.name) return;
    if (event.type === 'DELETED') pods.delete(pod.metadata.name);
    else pods.set(pod.metadata.name, pod);
    const serving = newestFirst(
      [...pods.values()].filter((candidate) => isServing(candidate) && candidate.metadata.name !== options.except),
    );
    if (serving[0] && !found) {
      found = serving[0].metadata.name;
      stop.abort();
    }
  });
  let result: RunResult | undefined;
  try {
    result = await shell.run(
      kubectl.listWatchArgs(target, 'pods', { namespace, labelSelector: selectorOf(database) }),
      {
        kind: 'read',
        nothrow: true,
        timeoutMs,
        stopSignal: stop.signal,
        onStdoutLine: (line) => splitter.write(`${line}\n`),
      },
    );
  } catch (error) {
    // The bound ran out: what the pods were doing is the useful part of the error below.
    if (!(error instanceof CommandError && error.timedOut)) throw error;
  }
  if (found) return found;
  const states = [...pods.values()].map(
    (pod) =>
      `${pod.metadata.name}: ${pod.metadata.deletionTimestamp ? 'terminating' : (pod.status?.phase ?? 'unknown')}`,
  );
  throw new DeckhandError(
    `No database pod of ${namespace} became ready within ${formatMs(timeoutMs)}${states.length ? ` (${states.join('; ')})` : ' (there is none)'}.` +
      (result && result.exitCode !== 0 && !result.stopped ? `\n${result.stderr.trim()}` : ''),
    `Look at the pods: kubectl -n ${namespace} get pods -l ${selectorOf(database)}; kubectl -n ${namespace} describe pod -l ${selectorOf(database)}`,
  );
}

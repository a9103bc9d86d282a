/**
 * Container logs and `GET pods/{name}/log`. Lines are kept per pod uid and container instance; `follow=true`
 * streams new lines as the simulated container prints them and ends when that container terminates, like the
 * kubelet does. Errors copy the kubelet's wording (`... is waiting to start: ContainerCreating`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from './errors.ts';
import { getPath, isPlainObject } from './json.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import type { StreamTracker } from './http/watch.ts';

interface LogLine {
  time: Date;
  text: string;
}

interface ContainerLog {
  lines: LogLine[];
  previous?: LogLine[];
  ended: boolean;
  followers: Set<{ onLine(line: LogLine): void; onEnd(): void }>;
}

export class LogBook {
  private readonly logs = new Map<string, ContainerLog>();

  private entry(podUid: string, container: string): ContainerLog {
    const key = `${podUid}/${container}`;
    let log = this.logs.get(key);
    if (!log) {
      log = { lines: [], ended: false, followers: new Set() };
      this.logs.set(key, log);
    }
    return log;
  }

  append(podUid: string, container: string, text: string): void {
    const log = this.entry(podUid, container);
    const line = { time: new Date(), text };
    log.lines.push(line);
    for (const f of [...log.followers]) f.onLine(line);
  }

  /** The container instance terminated: followers see the end of the stream. */
  end(podUid: string, container: string): void {
    const log = this.entry(podUid, container);
    log.ended = true;
    for (const f of [...log.followers]) f.onEnd();
    log.followers.clear();
  }

  /** A restarted container starts a new log; the old one becomes `--previous`. */
  restart(podUid: string, container: string): void {
    const log = this.entry(podUid, container);
    log.previous = log.lines;
    log.lines = [];
    log.ended = false;
  }

  /** The pod is gone: its logs go too, and any follower ends. */
  drop(podUid: string): void {
    for (const [key, log] of this.logs) {
      if (!key.startsWith(`${podUid}/`)) continue;
      for (const f of [...log.followers]) f.onEnd();
      this.logs.delete(key);
    }
  }

  lines(podUid: string, container: string, previous = false): LogLine[] {
    const log = this.logs.get(`${podUid}/${container}`);
    return (previous ? log?.previous : log?.lines) ?? [];
  }

  hasPrevious(podUid: string, container: string): boolean {
    return this.logs.get(`${podUid}/${container}`)?.previous !== undefined;
  }

  follow(podUid: string, container: string, onLine: (line: LogLine) => void, onEnd: () => void): () => void {
    const log = this.entry(podUid, container);
    if (log.ended) {
      onEnd();
      return () => undefined;
    }
    const follower = { onLine, onEnd };
    log.followers.add(follower);
    return () => log.followers.delete(follower);
  }
}

function formatLine(line: LogLine, timestamps: boolean): string {
  // RFC 3339 with nanoseconds, as the kubelet prefixes lines.
  return timestamps ? `${line.time.toISOString().replace('Z', '000000Z')} ${line.text}\n` : `${line.text}\n`;
}

function containerState(pod: Record<string, unknown>, container: string): Record<string, unknown> | undefined {
  const statuses = [
    ...((getPath(pod, 'status.initContainerStatuses') as unknown[] | undefined) ?? []),
    ...((getPath(pod, 'status.containerStatuses') as unknown[] | undefined) ?? []),
  ];
  const found = statuses.find((s) => isPlainObject(s) && s['name'] === container);
  return isPlainObject(found) ? found : undefined;
}

export function createLogsHandler(registry: Registry, logs: LogBook, streams: StreamTracker) {
  return function handleLogs(
    _req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    podName: string,
    query: URLSearchParams,
  ): void {
    const pod = registry.get(typeFor('v1', 'Pod'), namespace, podName);
    const containers = [
      ...((getPath(pod, 'spec.initContainers') as unknown[] | undefined) ?? []),
      ...((getPath(pod, 'spec.containers') as unknown[] | undefined) ?? []),
    ]
      .filter(isPlainObject)
      .map((c) => String(c['name']));
    const mainContainers = ((getPath(pod, 'spec.containers') as unknown[] | undefined) ?? [])
      .filter(isPlainObject)
      .map((c) => String(c['name']));
    let container = query.get('container') ?? '';
    if (!container) {
      if (mainContainers.length !== 1)
        throw badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${mainContainers.join(' ')}]`,
        );
      container = mainContainers[0] ?? '';
    }
    if (!containers.includes(container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
    const previous = query.get('previous') === 'true';
    const uid = pod.metadata.uid ?? '';
    const status = containerState(pod, container);
    // As the kubelet picks the container instance: --previous is the one in lastState.terminated, which during a
    // restart back-off is also the current one (the container has not started again yet).
    const lastTerminated = status ? getPath(status, 'lastState.terminated') : undefined;
    if (previous && !isPlainObject(lastTerminated))
      throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
    if (!getPath(pod, 'spec.nodeName')) {
      // Unscheduled pods have no kubelet to ask; the API server answers with an empty body.
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end();
      return;
    }
    const waiting = status ? getPath(status, 'state.waiting') : { reason: 'ContainerCreating' };
    if (isPlainObject(waiting) && !isPlainObject(lastTerminated) && !logs.hasPrevious(uid, container)) {
      const reason = String(waiting['reason'] ?? 'ContainerCreating');
      const why =
        reason === 'ErrImagePull'
          ? "image can't be pulled"
          : reason === 'ImagePullBackOff'
            ? 'trying and failing to pull image'
            : reason;
      throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
    }

    let lines = logs.lines(uid, container, previous && !isPlainObject(waiting));
    const sinceSeconds = query.get('sinceSeconds');
    const sinceTime = query.get('sinceTime');
    const since = sinceSeconds
      ? Date.now() - Number(sinceSeconds) * 1000
      : sinceTime
        ? Date.parse(sinceTime)
        : undefined;
    if (since !== undefined) lines = lines.filter((l) => l.time.getTime() >= since);
    const tail = query.get('tailLines');
    if (tail !== null && Number(tail) >= 0) lines = lines.slice(Math.max(0, lines.length - Number(tail)));
    const timestamps = query.get('timestamps') === 'true';
    const limitBytes = query.get('limitBytes') ? Number(query.get('limitBytes')) : Number.POSITIVE_INFINITY;
    let written = 0;
    const write = (line: LogLine): boolean => {
      const text = formatLine(line, timestamps);
      if (written + Buffer.byteLength(text) > limitBytes) {
        res.write(Buffer.from(text).subarray(0, limitBytes - written));
        written = limitBytes;
        return false;
      }
      written += Buffer.byteLength(text);
      res.write(text);
      return true;
    };

    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    for (const line of lines) if (!write(line)) return void res.end();
    if (query.get('follow') !== 'true' || previous) {
      res.end();
      return;
    }
    let stopFollowing = (): void => undefined;
    const finish = (): void => {
      stopFollowing();
      untrack();
      if (!res.writableEnded) res.end();
    };
    const untrack = streams.add(finish);
    stopFollowing = logs.follow(
      uid,
      container,
      (line) => {
        if (!write(line)) finish();
      },
      finish,
    );
    res.on('close', finish);
  };
}

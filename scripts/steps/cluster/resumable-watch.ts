/**
 * A watch that survives the API: real API servers end every watch after 30–60 minutes, restart, and drop
 * connections in short outages, and a long Job outlives all of that. Like client-go's reflector, this follows one
 * collection and, when its stream ends, watches again from the last resourceVersion it saw (`kubectl get --raw`
 * of the watch URL); when the API's history no longer reaches back that far (410 Gone) it lists afresh and tells
 * the caller what changed meanwhile — objects gone arrive as DELETED — before watching from the list.
 *
 * Attempts in a row are bounded (DECKHAND_WATCH_RETRY): the second follows at once, the next after a wait that
 * doubles. A connection that delivered something, or that the API ended cleanly, counts as a success. Only when
 * every attempt failed on the network does the watch give up, with WatchConnectionLost; any other failure
 * (Forbidden, a bad selector) ends it at once, as before.
 */
import { plural } from '../../lib/wording.ts';
import * as kubectl from '../../kubectl.ts';
import type { WatchRetryPolicy } from '../../lib/config.ts';
import { isNetworkFailure } from '../../lib/hints.ts';
import { createJsonStreamSplitter } from '../../lib/json-stream.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

interface Watched {
  metadata: { name: string; resourceVersion?: string };
}

/** Reconnect attempts, and how to wait between them (tests pass one that does not wait, or brings the API back). */
export interface WatchRetry extends WatchRetryPolicy {
  wait?: (attempt: number, signal: AbortSignal) => Promise<void>;
}

export const DEFAULT_WATCH_RETRY: WatchRetry = { attempts: 8, firstWaitMs: 1000 };

/** The API stayed away for every attempt the retry budget allows. `reason` is kubectl's last word on it. */
export class WatchConnectionLost extends Error {
  readonly reason: string;
  readonly attempts: number;

  constructor(resource: string, reason: string, attempts: number) {
    super(`The watch on ${resource} lost the API's connection ${plural(attempts, 'time')} in a row: ${reason}`);
    this.name = 'WatchConnectionLost';
    this.reason = reason;
    this.attempts = attempts;
  }
}

export interface ResumableWatchOptions<T> {
  shell: Runner;
  target: KubeTarget;
  /** As kubectl names it: `job`, `pods`, `deployments`, … (see kubectl.resumeWatchArgs). */
  resource: string;
  list: kubectl.ListOptions;
  /** The backstop of each kubectl process; the caller's own timer ends the wait. */
  timeoutMs: number;
  stopSignal: AbortSignal;
  retry: WatchRetry;
  onEvent: (event: WatchEvent<T>) => void;
  /** "API connection dropped; watching again (attempt 2 of 8)." */
  onNote: (note: string) => void;
}

type Ending =
  | { kind: 'stopped' }
  /** The stream ended by itself; `worked`: it reached the API (delivered something, or was ended cleanly). */
  | { kind: 'ended'; worked: boolean; reason: string }
  | { kind: 'gone' }
  | { kind: 'failed'; reason: string };

/** Resolves when `stopSignal` stops it; rejects with WatchConnectionLost, or an Error for any other failure. */
export async function resumableWatch<T extends Watched>(options: ResumableWatchOptions<T>): Promise<void> {
  const { shell, target, resource, list, retry } = options;
  const known = new Map<string, T>();
  let resourceVersion: string | undefined;
  let attempt = 1;
  let next: 'first' | 'resume' | 'relist' = 'first';

  const seen = (object: T | undefined) => {
    const version = object?.metadata?.resourceVersion;
    if (version === undefined) return;
    // Versions are opaque to clients, but the API's are numbers: keep the newest, since the first list's items come
    // by name, not by version.
    if (resourceVersion !== undefined && /^\d+$/.test(version) && /^\d+$/.test(resourceVersion)) {
      if (Number(version) < Number(resourceVersion)) return;
    }
    resourceVersion = version;
  };

  const deliver = (event: WatchEvent<T>) => {
    if (event.type === 'BOOKMARK') return seen(event.object);
    if (event.type === 'ERROR') return;
    seen(event.object);
    const name = event.object?.metadata?.name;
    if (name !== undefined) {
      if (event.type === 'DELETED') known.delete(name);
      else known.set(name, event.object);
    }
    options.onEvent(event);
  };

  const stream = async (argv: string[]): Promise<Ending> => {
    const local = new AbortController();
    let delivered = false;
    let gone = false;
    let streamError: string | undefined;
    const splitter = createJsonStreamSplitter((document) => {
      const event = document as WatchEvent<T>;
      if (event.type === 'ERROR') {
        // The API's own word, in the stream: 410 means "list again"; anything else ends this connection.
        const status = event.object as unknown as { code?: number; message?: string };
        if (status.code === 410) gone = true;
        else streamError = status.message ?? 'the API sent an error event';
        local.abort();
        return;
      }
      delivered = true;
      deliver(event);
    });
    const result = await shell.run(argv, {
      kind: 'read',
      timeoutMs: options.timeoutMs,
      nothrow: true,
      stopSignal: AbortSignal.any([options.stopSignal, local.signal]),
      onStdoutData: (chunk) => splitter.write(chunk.toString('utf8')),
    });
    if (options.stopSignal.aborted) return { kind: 'stopped' };
    if (gone || isGone(result.stderr)) return { kind: 'gone' };
    const reason = streamError ?? lastLine(result.stderr, 'the API ended the watch');
    if (result.exitCode === 0 && !result.stopped) return { kind: 'ended', worked: true, reason };
    if (streamError !== undefined || isNetworkFailure(result.stderr))
      return { kind: 'ended', worked: delivered, reason };
    return { kind: 'failed', reason };
  };

  const relist = async (): Promise<Ending | undefined> => {
    const result = await shell.run(kubectl.listArgs(target, resource, list), {
      kind: 'read',
      timeoutMs: options.timeoutMs,
      nothrow: true,
      stopSignal: options.stopSignal,
    });
    if (options.stopSignal.aborted) return { kind: 'stopped' };
    if (result.exitCode !== 0) {
      const reason = lastLine(result.stderr, `kubectl exited ${result.exitCode}`);
      return isNetworkFailure(result.stderr) ? { kind: 'ended', worked: false, reason } : { kind: 'failed', reason };
    }
    const fresh = JSON.parse(result.stdout) as kubectl.KubeList<T> & { metadata?: { resourceVersion?: string } };
    const present = new Set(fresh.items.map((item) => item.metadata.name));
    // What went while nobody watched: as the watch would have told it.
    for (const [name, object] of [...known]) if (!present.has(name)) deliver({ type: 'DELETED', object });
    for (const item of fresh.items)
      deliver({ type: known.has(item.metadata.name) ? 'MODIFIED' : 'ADDED', object: item });
    resourceVersion = fresh.metadata?.resourceVersion ?? resourceVersion;
    return undefined;
  };

  for (;;) {
    let ending: Ending | undefined;
    if (next === 'relist') ending = await relist();
    if (ending === undefined) {
      const argv =
        next === 'first' || resourceVersion === undefined
          ? kubectl.listWatchArgs(target, resource, list)
          : kubectl.resumeWatchArgs(target, resource, { ...list, resourceVersion });
      ending = await stream(argv);
    }
    switch (ending.kind) {
      case 'stopped':
        return;
      case 'failed':
        throw new Error(`The watch on ${resource} failed: ${ending.reason}`);
      case 'gone':
        // Not the network's fault, but counted all the same, so an API that answers 410 for ever cannot spin.
        next = 'relist';
        break;
      case 'ended':
        if (ending.worked) attempt = 1;
        next = resourceVersion === undefined ? 'relist' : 'resume';
        break;
    }
    attempt += 1;
    if (attempt > retry.attempts) {
      throw new WatchConnectionLost(
        resource,
        ending.kind === 'ended' ? ending.reason : 'the API kept answering 410 Gone',
        retry.attempts,
      );
    }
    options.onNote(
      ending.kind === 'gone'
        ? `The API's history no longer reaches back to what the watch on ${resource} saw; listing again (attempt ${attempt} of ${retry.attempts}).`
        : `API connection dropped; watching ${resource} again (attempt ${attempt} of ${retry.attempts}).`,
    );
    await waitBeforeAttempt(retry, attempt, options.stopSignal);
    if (options.stopSignal.aborted) return;
  }
}

export function lastLine(text: string, otherwise: string): string {
  return (
    text
      .trim()
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .at(-1) ?? otherwise
  );
}

/** kubectl's words for a 410 before the stream: `Error from server (Expired): too old resource version: …`. */
function isGone(stderr: string): boolean {
  return /\(Expired\)|\(Gone\)|too old resource version/i.test(stderr);
}

/** The pause before reconnect attempt `attempt`: the retry's own wait, or the back-off below. */
export function waitBeforeAttempt(retry: WatchRetry, attempt: number, signal: AbortSignal): Promise<void> {
  return (retry.wait ?? backoff(retry.firstWaitMs))(attempt, signal);
}

/** Attempt 2 at once (a watch the API ended on time needs no pause), then `firstWaitMs`, doubling to 15 s. */
function backoff(firstWaitMs: number): (attempt: number, signal: AbortSignal) => Promise<void> {
  return (attempt, signal) => {
    const ms = attempt <= 2 ? 0 : Math.min(firstWaitMs * 2 ** (attempt - 3), 15_000);
    if (ms === 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  };
}

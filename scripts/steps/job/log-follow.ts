/**
 * Following one pod's log through API outages. `kubectl logs -f` ends when its connection does — an API server
 * restart, a few seconds without network — while the container goes on printing. So the log is followed with
 * timestamps, and a stream cut by the network is followed again from the time of the last line it delivered
 * (`--since-time`), dropping what was already seen: the API counts `sinceTime` in whole seconds, so the resumed
 * stream repeats that second's earlier lines. Attempts in a row are bounded like the watches'.
 */
import * as kubectl from '../../kubectl.ts';
import { isNetworkFailure } from '../../lib/hints.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { lastLine, waitBeforeAttempt, type WatchRetry } from '../cluster/resumable-watch.ts';

/** `2026-01-25T14:30:22.5Z text` → its time as a sortable key and the text; undefined when there is no timestamp. */
export function splitTimestamp(line: string): { key: string; stamp: string; text: string } | undefined {
  const space = line.indexOf(' ');
  const stamp = space < 0 ? line : line.slice(0, space);
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (!match) return undefined;
  // Fractions come trimmed (RFC 3339 nano drops trailing zeros): padded, equal lengths sort as times do.
  return { key: `${match[1]}.${(match[2] ?? '').padEnd(9, '0')}`, stamp, text: space < 0 ? '' : line.slice(space + 1) };
}

/**
 * What a resumed stream has already delivered: every line up to the last one's time, and how many lines of that
 * very time (several lines can share one). `accept` gives a line's text once, and `since` where to resume.
 */
export class LogPosition {
  private lastKey: string | undefined;
  private lastStamp: string | undefined;
  private atLast = 0;
  /** Lines of the last time seen in the stream now being read. */
  private repeatedAtLast = 0;

  /** Starts reading a resumed stream. */
  resume(): void {
    this.repeatedAtLast = 0;
  }

  get since(): string | undefined {
    return this.lastStamp;
  }

  /** The line's text, or undefined when an earlier stream delivered it already. */
  accept(line: string): string | undefined {
    const parsed = splitTimestamp(line);
    if (!parsed) return line;
    if (this.lastKey !== undefined && parsed.key < this.lastKey) return undefined;
    if (parsed.key === this.lastKey) {
      this.repeatedAtLast += 1;
      if (this.repeatedAtLast <= this.atLast) return undefined;
      this.atLast += 1;
      return parsed.text;
    }
    this.lastKey = parsed.key;
    this.lastStamp = parsed.stamp;
    this.atLast = 1;
    this.repeatedAtLast = 1;
    return parsed.text;
  }
}

export interface FollowPodLogOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  pod: string;
  container?: string;
  timeoutMs: number;
  stopSignal: AbortSignal;
  retry: WatchRetry;
  onLine: (line: string) => void;
  onNote: (note: string) => void;
}

/** Resolves when the container's log ended (or the stream was stopped, or could not be followed again). */
export async function followPodLog(options: FollowPodLogOptions): Promise<void> {
  const { shell, target, namespace, pod, container, retry } = options;
  const position = new LogPosition();
  for (let attempt = 1; ; attempt += 1) {
    position.resume();
    let delivered = false;
    const result = await shell.run(
      kubectl.logsArgs(target, namespace, pod, {
        container,
        follow: true,
        timestamps: true,
        sinceTime: position.since,
      }),
      {
        kind: 'read',
        timeoutMs: options.timeoutMs,
        nothrow: true,
        stopSignal: options.stopSignal,
        onStdoutLine: (line) => {
          const text = position.accept(line);
          if (text === undefined) return;
          delivered = true;
          options.onLine(text);
        },
      },
    );
    if (result.exitCode === 0 || result.stopped || options.stopSignal.aborted) return;
    const reason = lastLine(result.stderr, `kubectl exited ${result.exitCode}`);
    if (delivered) attempt = 1;
    if (!isNetworkFailure(result.stderr) || attempt >= retry.attempts) {
      // The Job is still followed by its watches; only the live log stops here. Saying so beats a silent gap.
      options.onNote(`The log of pod ${pod} could not be followed further: ${reason}`);
      return;
    }
    options.onNote(
      `API connection dropped; following the log of pod ${pod} again (attempt ${attempt + 1} of ${retry.attempts}).`,
    );
    await waitBeforeAttempt(retry, attempt + 1, options.stopSignal);
    if (options.stopSignal.aborted) return;
  }
}

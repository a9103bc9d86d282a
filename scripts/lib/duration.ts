/**
 * Durations as people write them on a command line: `90s`, `30m`, `1h30m`, `2h`, `1d`.
 *
 * A unit is required: a bare `30` could mean seconds (helm, kubectl) or minutes (what most people expect of a Job
 * timeout), and guessing wrong either times out at once or waits half an hour. Every duration is bounded: below a
 * second nothing can finish, and above 7 days a Node timer (at most 2^31-1 ms, about 24.8 days) would be close to
 * overflowing — an overflowing timer fires at once, which is how `--timeout 600h` used to time out immediately.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const MIN_DURATION_MS = 1000;
export const MAX_DURATION_MS = 7 * 86_400_000;

/** Milliseconds, or undefined when the text is not a duration within the bounds (see durationProblem for why). */
export function parseDuration(text: string): number | undefined {
  const read = readDuration(text);
  return 'ms' in read ? read.ms : undefined;
}

/** What was expected instead (it follows "expected …" in messages), or undefined when the text is a usable duration. */
export function durationProblem(text: string): string | undefined {
  const read = readDuration(text);
  return 'problem' in read ? read.problem : undefined;
}

function readDuration(text: string): { ms: number } | { problem: string } {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return { problem: `a duration with a unit (${trimmed}s? ${trimmed}m?)` };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|d|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    return { problem: 'a duration such as 90s, 30m, 1h30m or 2d' };
  }
  const ms = parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_MS[part[2]!]!, 0);
  if (ms < MIN_DURATION_MS) return { problem: 'a duration of at least a second (1s)' };
  if (ms > MAX_DURATION_MS) return { problem: 'a duration of at most 7 days (7d)' };
  return { ms };
}

/** The Go duration syntax that helm and kubectl accept for `--timeout` (whole seconds, at least 1s). */
export function toGoDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/** Kubernetes-style ages: 45s, 12m, 3h5m, 2d4h. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

/** The age of a Kubernetes timestamp at `now`, or `?` when there is none. */
export function ageOf(timestamp: string | undefined, now: Date): string {
  return timestamp ? formatAge(now.getTime() - new Date(timestamp).getTime()) : '?';
}

/**
 * The one rule for naming a batch run: `<app>-YYYYMMDD-HHMMSS`, the UTC time the run started, and — only when that
 * name is already taken (two runs started in the same second) — a short suffix: `-2`, `-3`, … Each run is its own
 * Helm release because a Job's pod template cannot be changed: a run is never an upgrade of an earlier one. Every
 * command that creates, finds, lists or explains runs goes through these functions, and so do the names of what a
 * run owns besides its release (its inputs Secret).
 */

const STAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})(?:-([2-9]|[1-9]\d))?$/;

/** How many names a run tries (the base, then -2 … -MAX) before it gives up: far more than runs start in a second. */
export const MAX_RELEASE_NAME_ATTEMPTS = 99;

/** `caelundas-20260125-143022`: the name a run started at `now` tries first. */
export function releaseName(app: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${app}-${stamp}`;
}

/**
 * The name to try after `taken`: `caelundas-20260125-143022` → `…-143022-2` → `…-143022-3`. Undefined after
 * MAX_RELEASE_NAME_ATTEMPTS names.
 */
export function nextReleaseName(taken: string): string | undefined {
  const match = /^(.*-\d{8}-\d{6})(?:-(\d+))?$/.exec(taken);
  if (!match) return undefined;
  const next = Number(match[2] ?? '1') + 1;
  return next > MAX_RELEASE_NAME_ATTEMPTS ? undefined : `${match[1]}-${next}`;
}

/** The regular expression (Go RE2, for `helm list --filter`; JavaScript reads it the same) matching the app's runs. */
export function releaseFilter(app: string): string {
  return `^${escapeRegExp(app)}-\\d{8}-\\d{6}(?:-(?:[2-9]|[1-9]\\d))?$`;
}

export function isRunReleaseName(app: string, name: string): boolean {
  return new RegExp(releaseFilter(app)).test(name);
}

/** `caelundas-20260125-143022` (or `…-143022-2`) → 2026-01-25T14:30:22.000Z. */
export function releaseStartedAt(app: string, name: string): Date | undefined {
  if (!isRunReleaseName(app, name)) return undefined;
  const match = STAMP.exec(name.slice(app.length + 1));
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, ...number[]];
  const date = new Date(Date.UTC(year!, month! - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The app a run belongs to: `caelundas-20260125-143022` (or `…-2`) → `caelundas`. */
export function appOfRelease(name: string): string {
  return name.replace(/-\d{8}-\d{6}(?:-\d{1,2})?$/, '');
}

/** Runs in the order they started: by start time, then by suffix (`-2` before `-10`). */
export function compareRunNames(a: string, b: string): number {
  const key = (name: string) => {
    const match = /^(.*-\d{8}-\d{6})(?:-(\d{1,2}))?$/.exec(name);
    return match ? { base: match[1]!, suffix: Number(match[2] ?? '1') } : { base: name, suffix: 0 };
  };
  const [left, right] = [key(a), key(b)];
  return left.base.localeCompare(right.base) || left.suffix - right.suffix;
}

/** The label on a run's Job, pods, PVC and inputs Secret whose value is unique to that run (its id). */
export const RUN_ID_LABEL = 'deckhand.dev/run-id';

/** The Secret that holds one run's inputs, created before its release and removed with it. */
export function inputsSecretName(release: string): string {
  return `${release}-inputs`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

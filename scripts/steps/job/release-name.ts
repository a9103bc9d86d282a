/**
 * The one rule for naming a batch run: `<app>-YYYYMMDD-HHMMSS`, the UTC time the run started. Each run is its own
 * Helm release because a Job's pod template cannot be changed: a run is never an upgrade of an earlier one. Every
 * command that creates, finds, lists or explains runs goes through these functions.
 */

const STAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/;

/** `caelundas-20260125-143022`. */
export function releaseName(app: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${app}-${stamp}`;
}

/** The regular expression (Go RE2, for `helm list --filter`; JavaScript reads it the same) matching the app's runs. */
export function releaseFilter(app: string): string {
  return `^${escapeRegExp(app)}-\\d{8}-\\d{6}$`;
}

export function isRunReleaseName(app: string, name: string): boolean {
  return new RegExp(releaseFilter(app)).test(name);
}

/** `caelundas-20260125-143022` → 2026-01-25T14:30:22.000Z. */
export function releaseStartedAt(app: string, name: string): Date | undefined {
  if (!isRunReleaseName(app, name)) return undefined;
  const match = STAMP.exec(name.slice(app.length + 1));
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, ...number[]];
  const date = new Date(Date.UTC(year!, month! - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The app a run belongs to: `caelundas-20260125-143022` → `caelundas`. */
export function appOfRelease(name: string): string {
  return name.replace(/-\d{8}-\d{6}$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

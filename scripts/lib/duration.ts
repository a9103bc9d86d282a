/** Durations as people write them on a command line: `90s`, `30m`, `1h30m`, `2h`, or plain seconds (`600`). */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds, or undefined when the text is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return seconds > 0 ? seconds * 1000 : undefined;
  }
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) return undefined;
  const total = parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_MS[part[2]!]!, 0);
  return total > 0 ? total : undefined;
}

/** The Go duration syntax that helm and kubectl accept for `--timeout` (whole seconds, at least 1s). */
export function toGoDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

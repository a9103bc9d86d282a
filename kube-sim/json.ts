/** Small helpers for schema-less JSON objects. */
import { randomBytes, randomUUID } from 'node:crypto';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const aKeys = Object.keys(a).filter((k) => a[k] !== undefined);
    const bKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    return aKeys.length === bKeys.length && aKeys.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Reads `a.b.c` from an object; undefined when any step is missing. */
export function getPath(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.')) {
    if (!isPlainObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Returns the object at `path`, creating empty objects on the way. */
export function ensureObject(root: Record<string, unknown>, path: string): Record<string, unknown> {
  let current = root;
  for (const part of path.split('.')) {
    const next = current[part];
    if (isPlainObject(next)) {
      current = next;
    } else {
      const created: Record<string, unknown> = {};
      current[part] = created;
      current = created;
    }
  }
  return current;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
export function microTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

export function newUid(): string {
  return randomUUID();
}

// The API server's generateName alphabet: no vowels (no accidental words) and no look-alike characters.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(length = 5): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('');
}

export function hashHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

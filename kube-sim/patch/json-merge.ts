/** JSON merge patch (RFC 7386, `application/merge-patch+json`): objects merge, `null` deletes, arrays replace. */
import { clone, isPlainObject } from '../json.ts';

export function applyJsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isPlainObject(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyJsonMergePatch(result[key], value);
  }
  return result;
}

/** JSON patch (RFC 6902, `application/json-patch+json`): add, remove, replace, move, copy, test. */
import { badRequest, ApiError } from '../errors.ts';
import { clone, deepEqual, isPlainObject } from '../json.ts';

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer "${pointer}"`,
    );
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(root: unknown, parts: string[]): { parent: unknown; last: string } {
  let current = root;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isPlainObject(current)) current = current[part];
    else current = undefined;
    if (current === undefined)
      throw new ApiError(422, 'Invalid', `doc is missing path: "/${parts.join('/')}": missing value`);
  }
  return { parent: current, last: parts[parts.length - 1] ?? '' };
}

function read(root: unknown, pointer: string): unknown {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return root;
  const { parent, last } = parentOf(root, parts);
  const value = Array.isArray(parent) ? parent[Number(last)] : isPlainObject(parent) ? parent[last] : undefined;
  if (value === undefined) throw new ApiError(422, 'Invalid', `doc is missing path: "${pointer}": missing value`);
  return value;
}

function remove(root: unknown, pointer: string): void {
  const { parent, last } = parentOf(root, parsePointer(pointer));
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!(index >= 0 && index < parent.length))
      throw new ApiError(422, 'Invalid', `unable to remove nonexistent key: ${last}: missing value`);
    parent.splice(index, 1);
  } else if (isPlainObject(parent) && last in parent) {
    delete parent[last];
  } else {
    throw new ApiError(422, 'Invalid', `unable to remove nonexistent key: ${last}: missing value`);
  }
}

function add(root: unknown, pointer: string, value: unknown, replaceOnly: boolean): unknown {
  const parts = parsePointer(pointer);
  if (parts.length === 0) return clone(value);
  const { parent, last } = parentOf(root, parts);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!(index >= 0 && index <= parent.length))
      throw new ApiError(422, 'Invalid', `add operation does not apply: doc is missing path: "${pointer}"`);
    if (replaceOnly) parent[index] = clone(value);
    else parent.splice(index, 0, clone(value));
  } else if (isPlainObject(parent)) {
    if (replaceOnly && !(last in parent))
      throw new ApiError(
        422,
        'Invalid',
        `replace operation does not apply: doc is missing key: ${pointer}: missing value`,
      );
    parent[last] = clone(value);
  } else {
    throw new ApiError(
      422,
      'Invalid',
      `add operation does not apply: doc is missing path: "${pointer}": missing value`,
    );
  }
  return root;
}

export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let doc = clone(target);
  for (const raw of operations as Operation[]) {
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, raw.value, false);
        break;
      case 'replace':
        doc = add(doc, raw.path, raw.value, true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'move': {
        const value = read(doc, raw.from ?? '');
        remove(doc, raw.from ?? '');
        doc = add(doc, raw.path, value, false);
        break;
      }
      case 'copy':
        doc = add(doc, raw.path, read(doc, raw.from ?? ''), false);
        break;
      case 'test':
        if (!deepEqual(read(doc, raw.path), raw.value))
          throw new ApiError(422, 'Invalid', `testing value ${raw.path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw.op)}`);
    }
  }
  return doc;
}

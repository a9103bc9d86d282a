/**
 * Runs a kind's compiled validator over an object and reports what a real API server's decoder and validation
 * would find: the first wrongly typed value, unknown fields, missing required fields and unsupported enum values.
 *
 * The validators check only declared properties, so unknown fields are found by watching which properties each
 * object's validator reads: it reads every property its schema declares, enumerates the keys of maps
 * (`additionalProperties`), and reads nothing of a free-form object (RawExtension, managedFields' fieldsV1). A key
 * of a schema-backed object that was never read is a field the schema does not declare.
 */
import { isPlainObject } from '../json.ts';
import type { AjvError, Validator } from './schemas.ts';

export type Segment = string | number;

export interface TypeIssue {
  path: Segment[];
  /** What the schema wants: integer, number, string, boolean, object or array. */
  expected: string;
  value: unknown;
  /** The Go integer type the schema's format names (int32 or int64), or float64 for numbers. */
  numberType: string;
}

export interface SchemaCause {
  path: Segment[];
  message: string;
  reason: 'FieldValueRequired' | 'FieldValueNotSupported';
}

export interface Inspection {
  typeIssue?: TypeIssue;
  /** Unknown fields in document order. */
  unknown: Segment[][];
  causes: SchemaCause[];
}

interface Tracked {
  reads: Set<string>;
  enumerated: boolean;
}

function pointerToPath(pointer: string, root: unknown): Segment[] {
  if (pointer === '') return [];
  const path: Segment[] = [];
  let current: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: Segment = Array.isArray(current) ? Number(key) : key;
    path.push(segment);
    current = Array.isArray(current) ? current[Number(key)] : isPlainObject(current) ? current[key] : undefined;
  }
  return path;
}

function valueAt(root: unknown, path: Segment[]): unknown {
  let current = root;
  for (const segment of path)
    current = Array.isArray(current)
      ? current[Number(segment)]
      : isPlainObject(current)
        ? current[String(segment)]
        : undefined;
  return current;
}

/** Wraps every object in a Proxy that records what the validator reads of it. */
function track(value: unknown, seen: Map<object, Tracked>): unknown {
  if (Array.isArray(value)) return value.map((item) => track(item, seen));
  if (!isPlainObject(value)) return value;
  const target = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, seen)]));
  const info: Tracked = { reads: new Set(), enumerated: false };
  seen.set(value, info);
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string') info.reads.add(key);
      return Reflect.get(t, key, receiver) as unknown;
    },
    has(t, key) {
      if (typeof key === 'string') info.reads.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      info.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
}

/** Which Go number the schema declares at `path`: a value past int32 fails an int32 format check. */
function numberTypeAt(validator: Validator, object: unknown, path: Segment[], expected: string): string {
  if (expected !== 'integer') return 'float64';
  const probe = structuredClone(object) as Record<string, unknown>;
  let parent: unknown = probe;
  for (const segment of path.slice(0, -1))
    parent = Array.isArray(parent) ? parent[Number(segment)] : (parent as Record<string, unknown>)[String(segment)];
  const last = path[path.length - 1];
  if (last === undefined || parent === null || typeof parent !== 'object') return 'int64';
  (parent as Record<string | number, unknown>)[last] = 2 ** 40;
  validator(probe);
  const pointer = `/${path.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  return (validator.errors ?? []).some(
    (e) => e.instancePath === pointer && e.keyword === 'format' && e.params['format'] === 'int32',
  )
    ? 'int32'
    : 'int64';
}

/** Unknown fields found by walking the object as the decoder does (document order); `firstPerObject` for SSA. */
function unknownFields(
  value: unknown,
  path: Segment[],
  seen: Map<object, Tracked>,
  firstPerObject: boolean,
  out: Segment[][],
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => unknownFields(item, [...path, index], seen, firstPerObject, out));
    return;
  }
  if (!isPlainObject(value)) return;
  const info = seen.get(value);
  if (!info) return;
  const structured = !info.enumerated && info.reads.size > 0;
  const keys = firstPerObject ? Object.keys(value).sort() : Object.keys(value);
  for (const key of keys) {
    if (structured && !info.reads.has(key)) {
      out.push([...path, key]);
      if (firstPerObject) return;
      continue;
    }
    if (structured || info.enumerated) unknownFields(value[key], [...path, key], seen, firstPerObject, out);
  }
}

export function inspect(
  validator: Validator,
  object: unknown,
  options: { firstUnknownPerObject?: boolean } = {},
): Inspection {
  const seen = new Map<object, Tracked>();
  validator(track(object, seen));
  const errors: AjvError[] = [...(validator.errors ?? [])];
  const unknown: Segment[][] = [];
  unknownFields(object, [], seen, options.firstUnknownPerObject === true, unknown);
  const typeError = errors.find((e) => e.keyword === 'type');
  let typeIssue: TypeIssue | undefined;
  if (typeError) {
    const path = pointerToPath(typeError.instancePath, object);
    const expected = String(typeError.params['type']);
    typeIssue = {
      path,
      expected,
      value: valueAt(object, path),
      numberType: numberTypeAt(validator, object, path, expected),
    };
  }
  const causes: SchemaCause[] = [];
  for (const error of errors) {
    const path = pointerToPath(error.instancePath, object);
    // The server fills apiVersion and kind from the URL, and never validates status written by clients this way.
    if (path[0] === 'status') continue;
    if (error.keyword === 'required') {
      if (
        path.length === 0 &&
        (error.params['missingProperty'] === 'apiVersion' || error.params['missingProperty'] === 'kind')
      )
        continue;
      causes.push({
        path: [...path, String(error.params['missingProperty'])],
        message: 'Required value',
        reason: 'FieldValueRequired',
      });
    } else if (error.keyword === 'enum') {
      const allowed = ((error.params['allowedValues'] as unknown[] | undefined) ?? [])
        .map((v) => JSON.stringify(v))
        .join(', ');
      causes.push({
        path,
        message: `Unsupported value: ${JSON.stringify(valueAt(object, path))}: supported values: ${allowed}`,
        reason: 'FieldValueNotSupported',
      });
    }
  }
  return { ...(typeIssue ? { typeIssue } : {}), unknown, causes };
}

/** Removes unknown fields, as decoding into the Go type does when validation only warns or is ignored. */
export function pruneUnknown(object: Record<string, unknown>, unknown: Segment[][]): void {
  for (const path of unknown) {
    const parent = valueAt(object, path.slice(0, -1));
    const last = path[path.length - 1];
    if (isPlainObject(parent) && typeof last === 'string') delete parent[last];
  }
}

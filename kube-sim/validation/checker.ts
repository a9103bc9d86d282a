/**
 * Schema validation of what clients write, answered in the real API server's words for each way of writing:
 *
 * - POST/PUT bodies go through the strict JSON decoder: a wrongly typed value is a 400 (`Deployment in version "v1"
 *   cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
 *   of type int32`); unknown fields follow `fieldValidation` (Strict: 400 `strict decoding error: unknown field
 *   "spec.x"`; Warn, the default: a `Warning` header each and the field dropped; Ignore: dropped).
 * - Strategic-merge, merge and JSON patches are checked on the patched object (unknown fields sorted, as the
 *   unstructured converter reports them; a wrong type is a 422 on `patch`).
 * - Server-side apply types the applied configuration whatever `fieldValidation` says: an unknown field or a wrong
 *   type fails with `failed to create typed patch object (ns/name; apps/v1, Kind=Deployment): .spec.x: field not
 *   declared in schema` (a 500 without a reason, as the real server answers, kubernetes/kubernetes#122480).
 * - Missing required fields and unsupported enum values are 422 Invalid causes, listed with the strategy's own.
 */
import { ApiError } from '../errors.ts';
import { isPlainObject } from '../json.ts';
import { listStrategy } from '../patch/list-keys.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import type { Cause } from '../strategies.ts';
import type { KubeObject } from '../types.ts';
import { inspect, pruneUnknown, type Segment, type TypeIssue } from './inspect.ts';
import { goFieldAt, validatorFor } from './schemas.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface SchemaOptions {
  directive: FieldValidation;
  /** Warnings for the response's `Warning` headers. */
  warnings: string[];
  /** The patch as sent, quoted by the real server when a patched value has the wrong type. */
  patch?: unknown;
}

/** decode: POST/PUT bodies; patch: a patched object; apply: an applied configuration; merged: after an apply. */
export type CheckMode = 'decode' | 'patch' | 'apply' | 'merged';

export function parseFieldValidation(value: string | null): FieldValidation | undefined {
  if (value === null || value === '') return 'Warn';
  return value === 'Strict' || value === 'Warn' || value === 'Ignore' ? value : undefined;
}

/** `spec.template.spec.containers[0].image`: how decoder and validation errors name a field. */
export function fieldPath(path: Segment[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** `.spec.template.spec.containers[name="app"].image`: how server-side apply names a field (list items by key). */
function applyPath(path: Segment[], root: unknown): string {
  let current: unknown = root;
  let out = '';
  let field = '';
  for (const segment of path) {
    if (typeof segment === 'number' && Array.isArray(current)) {
      const item: unknown = current[segment];
      const strategy = listStrategy(field, current);
      if (strategy.kind === 'map' && isPlainObject(item)) {
        const keys: Array<[string, unknown]> = [[strategy.key, item[strategy.key]]];
        if (field === 'ports') keys.push(['protocol', item['protocol'] ?? 'TCP']);
        out += `[${keys
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(',')}]`;
      } else out += `[${segment}]`;
      current = item;
    } else {
      field = String(segment);
      out += `.${field}`;
      current = isPlainObject(current) ? current[field] : undefined;
    }
  }
  return out;
}

function jsonWord(value: unknown, expected: string): string {
  if (typeof value === 'number')
    return expected === 'integer' && !Number.isInteger(value) ? `number ${value}` : 'number';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'array';
  return isPlainObject(value) ? 'object' : 'string';
}

/** Go's `%+v` of decoded JSON, as the real server quotes a patch. */
function goValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (isPlainObject(value))
    return `map[${Object.keys(value)
      .sort()
      .map((k) => `${k}:${goValue(value[k])}`)
      .join(' ')}]`;
  return value === null ? '<nil>' : String(value);
}

function goKindOf(value: unknown): string {
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

/** structured-merge-diff's words for a value of the wrong type. */
function applyTypeMessage(issue: TypeIssue): string {
  const unstructured = `&value.valueUnstructured{Value:${isPlainObject(issue.value) || Array.isArray(issue.value) ? goValue(issue.value) : JSON.stringify(issue.value)}}`;
  switch (issue.expected) {
    case 'integer':
    case 'number':
      return `expected numeric (int or float), got ${goKindOf(issue.value)}`;
    case 'string':
      return `expected string, got ${unstructured}`;
    case 'boolean':
      return `expected boolean, got &{${goValue(issue.value)}}`;
    case 'object':
      return `expected map, got &{${goValue(issue.value)}}`;
    default:
      return `expected list, got &{${goValue(issue.value)}}`;
  }
}

function decodeTypeMessage(type: ResourceType, issue: TypeIssue): string {
  const scalar =
    {
      integer: issue.numberType,
      number: 'float64',
      string: 'string',
      boolean: 'bool',
      object: 'map[string]interface {}',
      array: '[]interface {}',
    }[issue.expected] ?? issue.expected;
  const go = goFieldAt(type, issue.path, scalar);
  const word = jsonWord(issue.value, issue.expected);
  return go
    ? `json: cannot unmarshal ${word} into Go struct field ${go.struct}.${go.field} of type ${go.type}`
    : `json: cannot unmarshal ${word} into Go value of type ${scalar}`;
}

function cannotBeHandled(type: ResourceType, message: string): ApiError {
  return new ApiError(
    400,
    'BadRequest',
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${message}`,
  );
}

function gvkText(type: ResourceType): string {
  return `${apiVersionOf(type).includes('/') ? apiVersionOf(type) : `/${apiVersionOf(type)}`}, Kind=${type.kind}`;
}

/**
 * Checks `object` (a copy is returned, unknown fields dropped where the directive lets them through) and returns the
 * 422 causes for the caller to report with its own. Kinds without a loaded schema pass unchecked.
 */
export function checkSchema(
  type: ResourceType,
  object: KubeObject,
  mode: CheckMode,
  options: SchemaOptions,
): { object: KubeObject; causes: Cause[] } {
  const validator = validatorFor(type);
  if (!validator) return { object, causes: [] };
  const found = inspect(validator, object, { firstUnknownPerObject: mode === 'apply' });
  const causes = found.causes.map((c) => ({ field: fieldPath(c.path), message: c.message, reason: c.reason }));
  if (mode === 'merged') return { object, causes };
  if (mode === 'apply') {
    const problems = [
      ...found.unknown.map((path) => `${applyPath(path, object)}: field not declared in schema`),
      ...(found.typeIssue ? [`${applyPath(found.typeIssue.path, object)}: ${applyTypeMessage(found.typeIssue)}`] : []),
    ];
    if (problems.length === 0) return { object, causes: [] };
    const detail = problems.length === 1 ? problems[0] : ['errors:', ...problems.map((p) => `  ${p}`)].join('\n');
    throw new ApiError(
      500,
      '',
      `failed to create typed patch object (${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}; ${gvkText(type)}): ${detail}`,
    );
  }
  if (found.typeIssue) {
    if (mode === 'decode') throw cannotBeHandled(type, decodeTypeMessage(type, found.typeIssue));
    const scalar = { integer: found.typeIssue.numberType, number: 'float64', string: 'string', boolean: 'bool' }[
      found.typeIssue.expected
    ];
    const reason = scalar
      ? `unrecognized type: ${scalar}`
      : `cannot restore ${found.typeIssue.expected === 'array' ? 'slice' : 'struct'} from: ${goKindOf(found.typeIssue.value)}`;
    const quoted = `Invalid value: "${goValue(options.patch ?? {})}": ${reason}`;
    throw new ApiError(422, 'Invalid', ` "" is invalid: patch: ${quoted}`, {
      causes: [{ reason: 'FieldValueInvalid', message: quoted, field: 'patch' }],
    });
  }
  if (found.unknown.length === 0) return { object, causes };
  const fields = found.unknown.map((path) => `unknown field "${fieldPath(path)}"`);
  if (mode === 'patch') fields.sort();
  if (options.directive === 'Strict') {
    const message = `strict decoding error: ${fields.join(', ')}`;
    throw mode === 'decode' ? cannotBeHandled(type, message) : new ApiError(400, 'BadRequest', message);
  }
  if (options.directive === 'Warn') options.warnings.push(...fields);
  const pruned = structuredClone(object);
  pruneUnknown(pruned, found.unknown);
  return { object: pruned, causes };
}

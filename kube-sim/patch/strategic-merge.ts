/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) without schemas. kubectl's 3-way patches and
 * helm's `--server-side=false` upgrades always send `$setElementOrder/<field>` next to a merged list, and its entries
 * name the merge key, so the key is taken from there first and from `list-keys.ts` otherwise.
 * Directives handled: `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
 * `$setElementOrder/<field>`.
 */
import { badRequest } from '../errors.ts';
import { clone, deepEqual, isPlainObject } from '../json.ts';
import { listStrategy, type ListStrategy } from './list-keys.ts';

type Obj = Record<string, unknown>;

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

function isDirectiveKey(key: string): boolean {
  return (
    key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER) || key.startsWith(DELETE_FROM_PRIMITIVE)
  );
}

/** A patch value with every directive removed, for when it is stored as-is. */
function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.filter((item) => !(isPlainObject(item) && item['$patch'] === 'delete')).map(stripDirectives);
  }
  if (!isPlainObject(value)) return value;
  const out: Obj = {};
  for (const [key, child] of Object.entries(value)) {
    if (isDirectiveKey(key) || child === null) continue;
    out[key] = stripDirectives(child);
  }
  return out;
}

function strategyFor(field: string, patchList: unknown[], order: unknown): ListStrategy {
  if (Array.isArray(order) && order.length > 0) {
    const first = order[0];
    if (isPlainObject(first)) {
      const keys = Object.keys(first);
      if (keys.length === 1 && keys[0]) return { kind: 'map', key: keys[0] };
    } else {
      return { kind: 'set' };
    }
  }
  return listStrategy(field, patchList);
}

function orderBy<T>(items: T[], order: unknown[], identity: (item: T) => unknown): T[] {
  const rank = (item: T): number => {
    const id = identity(item);
    const index = order.findIndex((o) => deepEqual(o, id));
    return index === -1 ? Number.MAX_SAFE_INTEGER : index;
  };
  return items
    .map((item, position) => ({ item, position, rank: rank(item) }))
    .sort((a, b) => a.rank - b.rank || a.position - b.position)
    .map((entry) => entry.item);
}

function mergeList(field: string, current: unknown, patchList: unknown[], order: unknown): unknown[] {
  const strategy = strategyFor(field, patchList, order);
  if (strategy.kind === 'atomic') {
    if (patchList.some((item) => isPlainObject(item) && item['$patch'] === 'replace')) {
      return patchList.filter((item) => !(isPlainObject(item) && '$patch' in item)).map(stripDirectives);
    }
    return patchList.map(stripDirectives);
  }
  const base = Array.isArray(current) ? clone(current) : [];
  if (strategy.kind === 'set') {
    const merged = [...base];
    for (const value of patchList) if (!merged.some((m) => deepEqual(m, value))) merged.push(value);
    return Array.isArray(order) ? orderBy(merged, order, (v) => v) : merged;
  }
  const key = strategy.key;
  if (patchList.some((item) => isPlainObject(item) && item['$patch'] === 'replace')) {
    return patchList.filter((item) => !(isPlainObject(item) && item['$patch'] === 'replace')).map(stripDirectives);
  }
  let merged = base;
  for (const item of patchList) {
    if (!isPlainObject(item))
      throw badRequest(
        `unable to find api field in struct for the list "${field}": items must be objects keyed by ${key}`,
      );
    const id = item[key];
    const index = merged.findIndex((existing) => isPlainObject(existing) && deepEqual(existing[key], id));
    if (item['$patch'] === 'delete') {
      if (index !== -1) merged = merged.filter((_, i) => i !== index);
      continue;
    }
    if (index === -1) merged.push(stripDirectives(item));
    else merged[index] = applyStrategicMergePatch(merged[index] as Obj, item);
  }
  if (Array.isArray(order))
    merged = orderBy(merged, order, (item) => (isPlainObject(item) ? { [key]: item[key] } : item));
  return merged;
}

export function applyStrategicMergePatch(original: Obj, patch: Obj): Obj {
  if (patch['$patch'] === 'replace') return stripDirectives(patch) as Obj;
  const result = clone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const list = result[field];
      if (Array.isArray(list) && Array.isArray(value))
        result[field] = list.filter((item) => !value.some((v) => deepEqual(v, item)));
      continue;
    }
    if (value === null) {
      delete result[key];
    } else if (isPlainObject(value)) {
      if (value['$patch'] === 'delete') {
        delete result[key];
      } else {
        const existing = result[key];
        result[key] = applyStrategicMergePatch(isPlainObject(existing) ? existing : {}, value);
      }
    } else if (Array.isArray(value)) {
      result[key] = mergeList(key, result[key], value, patch[`${SET_ORDER}${key}`]);
    } else {
      result[key] = value;
    }
  }
  // A $setElementOrder without its list reorders (and, for deletions already applied, leaves) the current items.
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = key.slice(SET_ORDER.length);
    const list = result[field];
    if (field in patch || !Array.isArray(list)) continue;
    const strategy = strategyFor(field, list, order);
    if (strategy.kind === 'map') {
      result[field] = orderBy(list, order, (item) =>
        isPlainObject(item) ? { [strategy.key]: item[strategy.key] } : item,
      );
    } else if (strategy.kind === 'set') {
      result[field] = orderBy(list, order, (v) => v);
    }
  }
  const retainKeys = patch['$retainKeys'];
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(result)) if (!retainKeys.includes(key)) delete result[key];
  }
  return result;
}

/**
 * An approximation of server-side apply (`application/apply-patch+yaml`). The registry remembers, per object, the
 * last configuration each field manager applied. Applying merges the new configuration over the live object
 * (keyed lists by `list-keys.ts`, other lists atomic), prunes what the same manager applied before but no longer
 * sends (unless another applier still claims it), and reports conflicts with other appliers' differing values,
 * which `force` takes over. Not simulated: ownership earned through ordinary updates (PUT/PATCH), managedFields in
 * responses, and schema-driven list types.
 */
import { clone, deepEqual, isPlainObject } from '../json.ts';
import { listStrategy } from './list-keys.ts';

type Obj = Record<string, unknown>;

export interface ApplyConflict {
  manager: string;
  /** Like the real message: `.spec.template.spec.containers[name="app"].image`. */
  field: string;
}

export interface ApplyOutcome {
  object: Obj;
  conflicts: ApplyConflict[];
  /** The appliers' configurations after this apply (forced fields removed from the losers). */
  managers: Map<string, Obj>;
}

// Identity fields every applier sends; they never conflict and are never pruned.
const IDENTITY = new Set(['apiVersion', 'kind']);
const IDENTITY_META = new Set(['name', 'namespace']);

interface Leaf {
  /** Segments: a field name, or `[key="value"]` for an item of a keyed list, or `[value]` for a set member. */
  segments: string[];
  value: unknown;
}

function collectLeaves(value: unknown, segments: string[], out: Leaf[]): void {
  if (!isPlainObject(value)) {
    out.push({ segments, value });
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (segments.length === 0 && IDENTITY.has(key)) continue;
    if (segments.length === 1 && segments[0] === 'metadata' && IDENTITY_META.has(key)) continue;
    if (Array.isArray(child)) {
      const strategy = listStrategy(key, child);
      if (strategy.kind === 'map') {
        for (const item of child) {
          if (!isPlainObject(item)) continue;
          const itemSegments = [...segments, key, `[${strategy.key}=${JSON.stringify(item[strategy.key])}]`];
          const rest = Object.fromEntries(Object.entries(item).filter(([k]) => k !== strategy.key));
          if (Object.keys(rest).length === 0) out.push({ segments: itemSegments, value: item[strategy.key] });
          else collectLeaves(rest, itemSegments, out);
        }
        continue;
      }
      if (strategy.kind === 'set') {
        for (const item of child) out.push({ segments: [...segments, key, `[${JSON.stringify(item)}]`], value: item });
        continue;
      }
    }
    if (isPlainObject(child) && Object.keys(child).length > 0) collectLeaves(child, [...segments, key], out);
    else out.push({ segments: [...segments, key], value: child });
  }
}

function leavesOf(config: Obj): Map<string, Leaf> {
  const leaves: Leaf[] = [];
  collectLeaves(config, [], leaves);
  return new Map(leaves.map((leaf) => [leaf.segments.join('\u0000'), leaf]));
}

function formatField(segments: string[]): string {
  return segments.map((s) => (s.startsWith('[') ? s : `.${s}`)).join('');
}

function mergeApplied(live: Obj, applied: Obj): Obj {
  const result = clone(live);
  for (const [key, value] of Object.entries(applied)) {
    if (value === null) {
      delete result[key];
    } else if (isPlainObject(value)) {
      const existing = result[key];
      result[key] = mergeApplied(isPlainObject(existing) ? existing : {}, value);
    } else if (Array.isArray(value)) {
      const strategy = listStrategy(key, value);
      const existing = Array.isArray(result[key]) ? (result[key] as unknown[]) : [];
      if (strategy.kind === 'map') {
        const merged = [...existing];
        for (const item of value) {
          if (!isPlainObject(item)) continue;
          const index = merged.findIndex((m) => isPlainObject(m) && deepEqual(m[strategy.key], item[strategy.key]));
          if (index === -1) merged.push(clone(item));
          else merged[index] = mergeApplied(merged[index] as Obj, item);
        }
        result[key] = merged;
      } else if (strategy.kind === 'set') {
        const merged = [...existing];
        for (const item of value) if (!merged.some((m) => deepEqual(m, item))) merged.push(item);
        result[key] = merged;
      } else {
        result[key] = clone(value);
      }
    } else {
      result[key] = value;
    }
  }
  return result;
}

function findItem(list: unknown, key: string, id: unknown): Obj | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.find((item): item is Obj => isPlainObject(item) && deepEqual(item[key], id));
}

/** Removes from `target` what `previous` applied, `current` no longer applies and no other applier claims. */
function prune(
  target: Obj,
  previous: Obj,
  current: Obj | undefined,
  others: Obj[],
  depth: number,
  parentKey: string,
): void {
  for (const [key, prevValue] of Object.entries(previous)) {
    if (depth === 0 && IDENTITY.has(key)) continue;
    if (depth === 1 && parentKey === 'metadata' && IDENTITY_META.has(key)) continue;
    const curValue = current?.[key];
    const otherValues = others.map((o) => o[key]).filter((v) => v !== undefined);
    const targetValue = target[key];
    if (Array.isArray(prevValue) && Array.isArray(targetValue)) {
      const strategy = listStrategy(key, prevValue);
      if (strategy.kind === 'map') {
        for (const prevItem of prevValue) {
          if (!isPlainObject(prevItem)) continue;
          const id = prevItem[strategy.key];
          const curItem = findItem(curValue, strategy.key, id);
          const otherItems = otherValues
            .map((list) => findItem(list, strategy.key, id))
            .filter((v): v is Obj => v !== undefined);
          const targetItem = findItem(targetValue, strategy.key, id);
          if (!targetItem) continue;
          if (!curItem && otherItems.length === 0) {
            target[key] = (target[key] as unknown[]).filter((item) => item !== targetItem);
          } else {
            prune(targetItem, prevItem, curItem ?? {}, otherItems, depth + 1, key);
          }
        }
        continue;
      }
      if (strategy.kind === 'set') {
        const keep = (item: unknown): boolean =>
          !prevValue.some((p) => deepEqual(p, item)) ||
          (Array.isArray(curValue) && curValue.some((c) => deepEqual(c, item))) ||
          otherValues.some((o) => Array.isArray(o) && o.some((c) => deepEqual(c, item)));
        target[key] = targetValue.filter(keep);
        continue;
      }
    }
    if (curValue === undefined && otherValues.length === 0) {
      delete target[key];
    } else if (isPlainObject(prevValue) && isPlainObject(targetValue)) {
      prune(
        targetValue,
        prevValue,
        isPlainObject(curValue) ? curValue : undefined,
        otherValues.filter(isPlainObject),
        depth + 1,
        key,
      );
      if (curValue === undefined && Object.keys(targetValue).length === 0) delete target[key];
    }
  }
}

export function serverSideApply(
  live: Obj | undefined,
  applied: Obj,
  manager: string,
  previousManagers: Map<string, Obj>,
  force: boolean,
): ApplyOutcome {
  const managers = new Map([...previousManagers].map(([name, config]) => [name, clone(config)]));
  const appliedLeaves = leavesOf(applied);
  const conflicts: ApplyConflict[] = [];
  for (const [other, config] of managers) {
    if (other === manager) continue;
    for (const [id, leaf] of leavesOf(config)) {
      const mine = appliedLeaves.get(id);
      if (mine && !deepEqual(mine.value, leaf.value))
        conflicts.push({ manager: other, field: formatField(leaf.segments) });
    }
  }
  if (conflicts.length > 0 && !force) return { object: live ?? applied, conflicts, managers: previousManagers };
  if (force) {
    for (const conflictOwner of new Set(conflicts.map((c) => c.manager))) {
      const config = managers.get(conflictOwner);
      if (!config) continue;
      // The loser keeps everything else it applied; the taken-over fields are dropped from its configuration.
      managers.set(conflictOwner, removeLeaves(config, appliedLeaves));
    }
  }
  const merged = mergeApplied(live ?? {}, applied);
  const previous = managers.get(manager);
  if (previous) {
    const others = [...managers].filter(([name]) => name !== manager).map(([, config]) => config);
    prune(merged, previous, applied, others, 0, '');
  }
  managers.set(manager, clone(applied));
  return { object: merged, conflicts: [], managers };
}

function removeLeaves(config: Obj, taken: Map<string, Leaf>): Obj {
  const kept: Leaf[] = [];
  for (const [id, leaf] of leavesOf(config))
    if (!taken.has(id) || deepEqual(taken.get(id)?.value, leaf.value)) kept.push(leaf);
  return rebuild(config, kept);
}

/** Rebuilds a configuration from a subset of its leaves (keeping identity fields). */
function rebuild(config: Obj, leaves: Leaf[]): Obj {
  const out: Obj = {};
  for (const key of IDENTITY) if (key in config) out[key] = config[key];
  const meta = config['metadata'];
  if (isPlainObject(meta)) {
    const idMeta: Obj = {};
    for (const key of IDENTITY_META) if (key in meta) idMeta[key] = meta[key];
    out['metadata'] = idMeta;
  }
  for (const leaf of leaves) setLeaf(out, leaf.segments, leaf.value);
  return out;
}

function setLeaf(root: Obj, segments: string[], value: unknown): void {
  let current: Obj = root;
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    const next = segments[i + 1];
    const isLast = i === segments.length - 1;
    if (next?.startsWith('[')) {
      const list = Array.isArray(current[segment]) ? (current[segment] as unknown[]) : [];
      current[segment] = list;
      const keyed = /^\[(\w+)=(.*)\]$/.exec(next);
      if (keyed) {
        const key = keyed[1] ?? '';
        const id = JSON.parse(keyed[2] ?? 'null') as unknown;
        let item = findItem(list, key, id);
        if (!item) {
          item = { [key]: id };
          list.push(item);
        }
        if (i + 1 === segments.length - 1) return;
        current = item;
        i += 1;
        continue;
      }
      list.push(value);
      return;
    }
    if (isLast) {
      current[segment] = clone(value);
      return;
    }
    if (!isPlainObject(current[segment])) current[segment] = {};
    current = current[segment] as Obj;
  }
}

export function conflictMessage(conflicts: ApplyConflict[], apiVersion: string): string {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.field]);
  const count = `${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}`;
  if (conflicts.length === 1) {
    const only = conflicts[0];
    return `Apply failed with ${count}: conflict with "${only?.manager}" using ${apiVersion}: ${only?.field}`;
  }
  const parts = [...byManager].map(
    ([manager, fields]) =>
      `conflicts with "${manager}" using ${apiVersion}:\n${fields.map((f) => `- ${f}`).join('\n')}`,
  );
  return `Apply failed with ${count}: ${parts.join('\n')}`;
}

/**
 * Which lists merge by key. The real server reads `x-kubernetes-patch-merge-key` / `x-kubernetes-list-map-keys` from
 * its schemas; the simulator has none, so it uses the keys of the built-in fields the project's manifests touch.
 * Any list not named here is atomic (replaced whole), which is also the real default.
 */
import { isPlainObject } from '../json.ts';

const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  resourceClaims: 'name',
};

/** Primitive lists with set semantics (merged as a union, not replaced). */
const PRIMITIVE_SETS = new Set(['finalizers']);

export type ListStrategy = { kind: 'map'; key: string } | { kind: 'set' } | { kind: 'atomic' };

export function listStrategy(field: string, items: unknown[]): ListStrategy {
  if (PRIMITIVE_SETS.has(field)) return { kind: 'set' };
  if (field === 'ports') {
    // Container ports merge on containerPort, Service ports on port.
    const first = items.find(isPlainObject);
    if (first && 'containerPort' in first) return { kind: 'map', key: 'containerPort' };
    if (first && 'port' in first) return { kind: 'map', key: 'port' };
    return { kind: 'atomic' };
  }
  const key = MERGE_KEYS[field];
  return key ? { kind: 'map', key } : { kind: 'atomic' };
}

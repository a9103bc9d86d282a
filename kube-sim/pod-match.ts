/** Selects pods for test-provided behaviour (port backends, exec programs). All given fields must match; `{}` matches every pod. */
import type { KubeObject } from './types.ts';

export interface PodMatch {
  namespace?: string;
  name?: string;
  namePrefix?: string;
  /** Every label given must be on the pod with this value (e.g. `{ app: 'postgres' }`). */
  labels?: Record<string, string>;
  /** Only this container (exec); default any. */
  container?: string;
}

export function podMatches(match: PodMatch, pod: KubeObject, container?: string): boolean {
  const { namespace, name, labels } = pod.metadata;
  if (match.namespace !== undefined && match.namespace !== namespace) return false;
  if (match.name !== undefined && match.name !== name) return false;
  if (match.namePrefix !== undefined && !(name ?? '').startsWith(match.namePrefix)) return false;
  if (match.container !== undefined && container !== undefined && match.container !== container) return false;
  for (const [key, value] of Object.entries(match.labels ?? {})) if (labels?.[key] !== value) return false;
  return true;
}

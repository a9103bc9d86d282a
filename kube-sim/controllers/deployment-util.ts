/**
 * The helpers the real deployment controller is built from (`pkg/controller/deployment/util`): template hashes,
 * revisions and their annotations, surge/unavailability fence posts, replica counts over ReplicaSets, and the
 * condition bookkeeping `kubectl rollout status` and kstatus read.
 */
import { createHash } from 'node:crypto';
import { deepEqual, getPath, isPlainObject, timestamp } from '../json.ts';
import type { KubeObject } from '../types.ts';

type Obj = Record<string, unknown>;

export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const HASH_LABEL = 'pod-template-hash';
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';

/** Annotations the controller never copies from a Deployment to its ReplicaSets (`annotationsToSkip`). */
const SKIPPED_ANNOTATIONS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, canonical(value[k])]),
  );
}

// The alphabet of rand.SafeEncodeString: no vowels, no look-alike digits, so hashes never spell words.
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

export function templateHash(template: unknown): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(canonical(template)))
    .digest();
  return [...digest.subarray(0, 10)].map((b) => SAFE[b % SAFE.length]).join('');
}

/** A ReplicaSet's pod template without its `pod-template-hash` label (`EqualIgnoreHash`). */
export function templateWithoutHash(template: unknown): unknown {
  if (!isPlainObject(template)) return template;
  const metadata = isPlainObject(template['metadata']) ? template['metadata'] : {};
  const labels = isPlainObject(metadata['labels']) ? { ...metadata['labels'] } : undefined;
  if (labels) delete labels[HASH_LABEL];
  const cleanMeta: Obj = { ...metadata };
  if (labels && Object.keys(labels).length > 0) cleanMeta['labels'] = labels;
  else delete cleanMeta['labels'];
  return { ...template, metadata: cleanMeta };
}

export function equalIgnoreHash(rsTemplate: unknown, deploymentTemplate: unknown): boolean {
  return deepEqual(templateWithoutHash(rsTemplate), templateWithoutHash(deploymentTemplate));
}

export function controlledBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller === true);
}

export function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

export function replicasOf(obj: KubeObject | undefined): number {
  return obj ? num(getPath(obj, 'spec.replicas'), 1) : 0;
}

export function revisionOf(obj: KubeObject | undefined): number {
  const value = Number(obj?.metadata.annotations?.[REVISION] ?? 0);
  return Number.isFinite(value) ? value : 0;
}

export function isPodReady(pod: KubeObject): boolean {
  return readySince(pod) !== undefined;
}

/** When the pod's Ready condition last turned True, or undefined when it is not Ready. */
export function readySince(pod: KubeObject): number | undefined {
  const conditions = getPath(pod, 'status.conditions');
  if (!Array.isArray(conditions)) return undefined;
  const ready = conditions.find((c) => isPlainObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
  return isPlainObject(ready) ? Date.parse(String(ready['lastTransitionTime'] ?? '')) || 0 : undefined;
}

export function isActivePod(pod: KubeObject): boolean {
  const phase = getPath(pod, 'status.phase');
  return !pod.metadata.deletionTimestamp && phase !== 'Failed' && phase !== 'Succeeded';
}

/** Sum of a field over ReplicaSets (`spec.replicas` or a `status` count). */
export function sumOver(sets: KubeObject[], field: 'spec.replicas' | `status.${string}`): number {
  return sets.reduce((n, rs) => n + (field === 'spec.replicas' ? replicasOf(rs) : num(getPath(rs, field))), 0);
}

function resolvePercent(raw: unknown, total: number, roundUp: boolean): number {
  if (typeof raw === 'number') return raw;
  const percent = /^(\d+)%$/.exec(String(raw));
  if (!percent) return 0;
  const exact = (total * Number(percent[1])) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge (rounded up) and maxUnavailable (rounded down); both 0 means one may be unavailable (`ResolveFenceposts`). */
export function fenceposts(deployment: KubeObject): { maxSurge: number; maxUnavailable: number } {
  const replicas = replicasOf(deployment);
  if (getPath(deployment, 'spec.strategy.type') !== 'RollingUpdate') return { maxSurge: 0, maxUnavailable: 0 };
  const surge = resolvePercent(getPath(deployment, 'spec.strategy.rollingUpdate.maxSurge') ?? '25%', replicas, true);
  const unavailable = resolvePercent(
    getPath(deployment, 'spec.strategy.rollingUpdate.maxUnavailable') ?? '25%',
    replicas,
    false,
  );
  if (surge === 0 && unavailable === 0) return { maxSurge: 0, maxUnavailable: 1 };
  return { maxSurge: surge, maxUnavailable: unavailable };
}

/** `MaxUnavailable`: 0 for Recreate and for zero replicas, never more than the replicas. */
export function maxUnavailable(deployment: KubeObject): number {
  const replicas = replicasOf(deployment);
  if (getPath(deployment, 'spec.strategy.type') !== 'RollingUpdate' || replicas === 0) return 0;
  return Math.min(fenceposts(deployment).maxUnavailable, replicas);
}

/**
 * Copies the Deployment's annotations (change-cause among them) onto a ReplicaSet and gives it `newRevision`,
 * keeping the revisions it had before in `revision-history` when it is brought back (a roll-back). Returns whether
 * anything changed (`SetNewReplicaSetAnnotations`).
 */
export function setNewReplicaSetAnnotations(
  deployment: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
  maxSurge: number,
): boolean {
  const annotations = { ...rs.metadata.annotations };
  let copied = false;
  for (const [key, value] of Object.entries(deployment.metadata.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(key) || annotations[key] === value) continue;
    annotations[key] = value;
    copied = true;
  }
  let changed = copied;
  const oldRevision = annotations[REVISION];
  if (Number(oldRevision ?? 0) < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (oldRevision)
      annotations[REVISION_HISTORY] = annotations[REVISION_HISTORY]
        ? `${annotations[REVISION_HISTORY]},${oldRevision}`
        : oldRevision;
  }
  if (!exists) {
    annotations[DESIRED_REPLICAS] = String(replicasOf(deployment));
    annotations[MAX_REPLICAS] = String(replicasOf(deployment) + maxSurge);
    changed = true;
  }
  rs.metadata.annotations = annotations;
  return changed;
}

export interface Condition extends Obj {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export function newCondition(type: string, status: Condition['status'], reason: string, message: string): Condition {
  const now = timestamp();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

export function conditionsOf(status: Obj): Condition[] {
  return (Array.isArray(status['conditions']) ? status['conditions'] : []).filter(isPlainObject) as Condition[];
}

export function findCondition(status: Obj, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

/** `SetDeploymentCondition`: no change for the same status and reason; the transition time survives a same-status change. */
export function setCondition(status: Obj, condition: Condition): void {
  const current = findCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next =
    current && current.status === condition.status
      ? { ...condition, lastTransitionTime: current.lastTransitionTime }
      : condition;
  status['conditions'] = [...conditionsOf(status).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: Obj, type: string): void {
  status['conditions'] = conditionsOf(status).filter((c) => c.type !== type);
}

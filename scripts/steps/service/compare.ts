/**
 * Deciding, object by object, whether a roll-out must write anything — observe, decide, then act — and naming what
 * a write did. Pure functions over the objects as the manifests want them and as the cluster holds them.
 *
 * An object is left alone when the cluster already holds it as wanted: its fingerprint annotation (a hash of the
 * manifest as deckhand last applied it) matches, so nothing was added to or removed from the manifest since; and every
 * field the manifest sets has that value in the cluster, so nobody changed it by hand since (`kubectl set image`,
 * `kubectl edit`). Fields the cluster adds (defaults, status, other managers' annotations) do not count. When in doubt
 * the object is applied: a server-side apply that changes nothing writes nothing, so applying is always safe, and
 * skipping is only the fast path of a deploy that changes nothing.
 */
import { createHash } from 'node:crypto';
import type { Manifest } from './manifests.ts';

/** A hash of the manifest as applied (without the annotations below), on every object deckhand applies. */
export const MANIFEST_HASH = 'deckhand/manifest-sha256';
/** A hash of the Deployment's pod template as applied: a new one means a new revision, with a new change-cause. */
export const TEMPLATE_HASH = 'deckhand/pod-template-sha256';
/** On the pod template: the checksum of the Secret and ConfigMap data the pods read (see config-refs.ts). */
export const CONFIG_HASH = 'deckhand/config-sha256';
/** What `kubectl rollout history` shows for each revision; the Deployment controller copies it onto the ReplicaSet. */
export const CHANGE_CAUSE = 'kubernetes.io/change-cause';
/** The Deployment controller's number for the revision it runs (on the Deployment and each ReplicaSet). */
export const REVISION = 'deployment.kubernetes.io/revision';

/** Annotations the cluster's controllers write: never part of what deckhand compares. */
const CONTROLLER_ANNOTATIONS = new Set([
  REVISION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
]);

export type ObjectResult = 'created' | 'configured' | 'unchanged';

/** JSON with object keys sorted, so equal objects give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 32);
}

/** The fingerprint of a manifest: everything but deckhand's own bookkeeping annotations. */
export function fingerprint(object: Manifest): string {
  const copy = structuredClone(object);
  const annotations = { ...copy.metadata.annotations };
  for (const key of [MANIFEST_HASH, CHANGE_CAUSE]) delete annotations[key];
  copy.metadata.annotations = annotations;
  return shortHash(copy);
}

/** The object with its fingerprint annotation set. */
export function withFingerprint<T extends Manifest>(object: T): T {
  const copy = structuredClone(object);
  copy.metadata.annotations = { ...copy.metadata.annotations, [MANIFEST_HASH]: fingerprint(object) };
  return copy;
}

/**
 * True when every value `wanted` sets is in `live` (maps by key, lists item by item with the same length): what the
 * cluster holds has what the manifest says, whatever it added.
 */
export function holds(live: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) && live.length === wanted.length && wanted.every((item, index) => holds(live[index], item))
    );
  }
  if (wanted !== null && typeof wanted === 'object') {
    if (live === null || typeof live !== 'object' || Array.isArray(live)) return false;
    const liveObject = live as Record<string, unknown>;
    return Object.entries(wanted as Record<string, unknown>).every(
      ([key, value]) => value === undefined || holds(liveObject[key], value),
    );
  }
  return live === wanted;
}

/** What a roll-out does with one object, given what the cluster holds (undefined: it does not exist). */
export function applyDecision(wanted: Manifest, live: Manifest | undefined): 'create' | 'update' | 'skip' {
  if (!live) return 'create';
  if (live.metadata.annotations?.[MANIFEST_HASH] !== wanted.metadata.annotations?.[MANIFEST_HASH]) return 'update';
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = wanted;
  const wantedMetadata = {
    name: metadata.name,
    namespace: metadata.namespace,
    labels: metadata.labels,
    annotations: metadata.annotations,
  };
  return holds(live.metadata, wantedMetadata) && holds(live, rest) ? 'skip' : 'update';
}

/** What the object looks like for "did the apply change it": no status, no server bookkeeping. */
function comparable(object: Manifest): unknown {
  const { status: _status, metadata, ...rest } = object;
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(([key]) => !CONTROLLER_ANNOTATIONS.has(key)),
  );
  return {
    ...rest,
    metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations },
  };
}

/** What an apply did to an object: compared without status, so a controller's status write in between is no change. */
export function resultOf(before: Manifest | undefined, after: Manifest): ObjectResult {
  if (!before) return 'created';
  return canonicalJson(comparable(before)) === canonicalJson(comparable(after)) ? 'unchanged' : 'configured';
}

/** `Kind/name` — the key objects are matched by between the manifests, the reads and the apply's answer. */
export function objectKey(object: Pick<Manifest, 'kind' | 'metadata'>): string {
  return `${object.kind}/${object.metadata.name}`;
}

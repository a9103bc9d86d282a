/**
 * The object store: one global resourceVersion counter (like etcd's revision), objects per resource type, and a
 * bounded history of changes so watches can resume from a resourceVersion and get `410 Gone` once it is compacted.
 * It knows nothing about API semantics; `registry.ts` does defaulting, validation and deletion rules on top.
 */
import { gone } from './errors.ts';
import { clone } from './json.ts';
import { typeKey, type ResourceType } from './resources.ts';
import type { KubeObject } from './types.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: StoreEventType;
  resource: ResourceType;
  object: KubeObject;
  /** The object before a MODIFIED change: watches with selectors need it to turn moves into ADDED/DELETED. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type StoreListener = (event: StoreEvent) => void;

const DEFAULT_HISTORY = 20_000;

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private revision = 1000;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<StoreListener>();
  private readonly historyLimit: number;
  /** Changes at or before this revision are gone from history (compacted), even when none came after. */
  private compactedRevision = 0;

  constructor(historyLimit = DEFAULT_HISTORY) {
    this.historyLimit = historyLimit;
  }

  currentRevision(): number {
    return this.revision;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(typeKey(type))?.get(objectKey(type.namespaced ? namespace : undefined, name));
    return found ? clone(found) : undefined;
  }

  /** Objects of a type, sorted like etcd keys (namespace, then name). `namespace` undefined means all namespaces. */
  list(type: ResourceType, namespace?: string): KubeObject[] {
    const bucket = this.objects.get(typeKey(type));
    if (!bucket) return [];
    const items = [...bucket.entries()]
      .filter(([, obj]) => namespace === undefined || !type.namespaced || obj.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => clone(obj));
    return items;
  }

  /** Stores a new object, stamping the next resourceVersion. The caller has checked it does not exist. */
  insert(type: ResourceType, object: KubeObject): KubeObject {
    const stored = this.stamp(object);
    this.bucket(type).set(
      objectKey(type.namespaced ? stored.metadata.namespace : undefined, stored.metadata.name ?? ''),
      stored,
    );
    this.emit({ type: 'ADDED', resource: type, object: stored, resourceVersion: this.revision });
    return clone(stored);
  }

  replace(type: ResourceType, object: KubeObject): KubeObject {
    const key = objectKey(type.namespaced ? object.metadata.namespace : undefined, object.metadata.name ?? '');
    const bucket = this.bucket(type);
    const previous = bucket.get(key);
    const stored = this.stamp(object);
    bucket.set(key, stored);
    this.emit({
      type: 'MODIFIED',
      resource: type,
      object: stored,
      ...(previous ? { previous } : {}),
      resourceVersion: this.revision,
    });
    return clone(stored);
  }

  remove(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const bucket = this.bucket(type);
    const key = objectKey(type.namespaced ? namespace : undefined, name);
    const existing = bucket.get(key);
    if (!existing) return undefined;
    bucket.delete(key);
    // The DELETED event carries a new resourceVersion, as etcd's delete revision does.
    const removed = this.stamp(existing);
    this.emit({ type: 'DELETED', resource: type, object: removed, resourceVersion: this.revision });
    return clone(removed);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes after `resourceVersion`, oldest first; throws 410 Gone when they are no longer all in history. */
  eventsSince(resourceVersion: number): StoreEvent[] {
    const oldest = this.history[0];
    const reachesBack = oldest ? oldest.resourceVersion - 1 : this.compactedRevision;
    if (resourceVersion < Math.max(reachesBack, this.compactedRevision)) {
      throw gone(`too old resource version: ${resourceVersion} (${Math.max(reachesBack, this.compactedRevision)})`);
    }
    if (resourceVersion > this.revision) {
      // The real server waits for a future revision; here it can only mean a bug in a client or the simulator.
      throw gone(`too large resource version: ${resourceVersion}, current: ${this.revision}`);
    }
    return this.history.filter((e) => e.resourceVersion > resourceVersion);
  }

  /**
   * Drops the whole history, as etcd's compaction does: a watch resuming from any earlier resourceVersion gets
   * `410 Gone` and has to list again.
   */
  compact(): void {
    this.history.length = 0;
    this.compactedRevision = this.revision;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = typeKey(type);
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  private stamp(object: KubeObject): KubeObject {
    this.revision += 1;
    const stored = clone(object);
    stored.metadata.resourceVersion = String(this.revision);
    return stored;
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/**
 * Garbage collection by ownerReferences: dependents whose owners are all gone are deleted (background), owners
 * deleted in the foreground wait for their blocking dependents, and orphaning strips the ownerReferences.
 */
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER } from '../registry.ts';
import { findByKind, RESOURCE_TYPES, type ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const DELETABLE = RESOURCE_TYPES.filter((t) => t.verbs.includes('delete'));

function typeOfObject(obj: KubeObject): ResourceType | undefined {
  return findByKind(obj.apiVersion, obj.kind);
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    if (event.type === 'DELETED') {
      this.collectDependents(obj);
      this.checkOwnersWaiting(obj);
      return;
    }
    if (obj.metadata.deletionTimestamp) {
      const finalizers = obj.metadata.finalizers ?? [];
      if (finalizers.includes(ORPHAN_FINALIZER)) this.orphan(obj);
      if (finalizers.includes(FOREGROUND_FINALIZER)) this.foreground(obj);
    }
    if (event.type === 'ADDED' && (obj.metadata.ownerReferences ?? []).length > 0 && !this.hasLiveOwner(obj)) {
      this.deleteObject(obj, 'Background');
    }
  }

  private dependentsOf(owner: KubeObject): KubeObject[] {
    const uid = owner.metadata.uid;
    const result: KubeObject[] = [];
    for (const type of DELETABLE) {
      const candidates =
        type.namespaced && owner.metadata.namespace
          ? this.ctx.registry.list(type, { namespace: owner.metadata.namespace })
          : this.ctx.registry.list(type);
      for (const obj of candidates)
        if ((obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) result.push(obj);
    }
    return result;
  }

  private hasLiveOwner(obj: KubeObject): boolean {
    return (obj.metadata.ownerReferences ?? []).some((ref) => {
      const type = findByKind(ref.apiVersion, ref.kind);
      if (!type) return true; // Unknown owner kinds are not ours to judge.
      const owner = this.ctx.registry.find(type, type.namespaced ? obj.metadata.namespace : undefined, ref.name);
      return owner !== undefined && owner.metadata.uid === ref.uid;
    });
  }

  private deleteObject(obj: KubeObject, propagationPolicy: string): void {
    const type = typeOfObject(obj);
    if (!type || obj.metadata.deletionTimestamp) return;
    if (!this.ctx.registry.find(type, obj.metadata.namespace, obj.metadata.name ?? '')) return;
    this.ctx.registry.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', { propagationPolicy });
  }

  private collectDependents(owner: KubeObject): void {
    for (const dependent of this.dependentsOf(owner))
      if (!this.hasLiveOwner(dependent)) this.deleteObject(dependent, 'Background');
  }

  private foreground(owner: KubeObject): void {
    const blocking = this.dependentsOf(owner).filter((d) =>
      (d.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.blockOwnerDeletion === true),
    );
    for (const dependent of this.dependentsOf(owner)) this.deleteObject(dependent, 'Background');
    if (blocking.length === 0) {
      const type = typeOfObject(owner);
      if (type)
        this.ctx.registry.removeFinalizer(
          type,
          owner.metadata.namespace,
          owner.metadata.name ?? '',
          FOREGROUND_FINALIZER,
        );
    }
  }

  /** A dependent went away: an owner waiting in the foreground may now be free to go. */
  private checkOwnersWaiting(dependent: KubeObject): void {
    for (const ref of dependent.metadata.ownerReferences ?? []) {
      const type = findByKind(ref.apiVersion, ref.kind);
      if (!type) continue;
      const owner = this.ctx.registry.find(type, type.namespaced ? dependent.metadata.namespace : undefined, ref.name);
      if (
        owner &&
        owner.metadata.uid === ref.uid &&
        owner.metadata.deletionTimestamp &&
        (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER)
      ) {
        this.foreground(owner);
      }
    }
  }

  private orphan(owner: KubeObject): void {
    for (const dependent of this.dependentsOf(owner)) {
      const type = typeOfObject(dependent);
      if (!type) continue;
      const refs = (dependent.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      const next: KubeObject = { ...dependent, metadata: { ...dependent.metadata, ownerReferences: refs } };
      if (refs.length === 0) delete next.metadata.ownerReferences;
      this.ctx.registry.writeInternal(type, next);
    }
    const type = typeOfObject(owner);
    if (type)
      this.ctx.registry.removeFinalizer(type, owner.metadata.namespace, owner.metadata.name ?? '', ORPHAN_FINALIZER);
  }
}

/**
 * API semantics over the store, shared by the HTTP handlers and the simulated controllers: create (names,
 * namespaces, defaulting, validation), update (optimistic concurrency, status subresource, generation, immutable
 * fields), the four patch types, and deletion (graceful pods, finalizers, propagation policies).
 *
 * Long on purpose: create, update, patch and delete share one path of defaulting, validation, versioning and
 * immutable-field checks; split by verb, each would repeat it.
 */
import { alreadyExists, ApiError, badRequest, conflict, forbidden, invalid, notFound } from './errors.ts';
import { clone, deepEqual, getPath, isPlainObject, newUid, randomSuffix, timestamp } from './json.ts';
import { applyJsonMergePatch } from './patch/json-merge.ts';
import { applyJsonPatch } from './patch/json-patch.ts';
import { conflictMessage, serverSideApply } from './patch/server-side-apply.ts';
import { applyStrategicMergePatch } from './patch/strategic-merge.ts';
import { apiVersionOf, findByKind, typeFor, type ResourceType } from './resources.ts';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelSelector } from './selectors.ts';
import type { ObjectStore } from './store.ts';
import { GENERATION_KINDS, STRATEGIES, validateName, type Cause, type StrategyContext } from './strategies.ts';
import type { KubeObject } from './types.ts';
import { checkSchema, type CheckMode, type SchemaOptions } from './validation/checker.ts';

export type PatchType = 'strategic' | 'merge' | 'json' | 'apply';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** Client writes: check against the kind's schema (`fieldValidation`), collecting warnings. */
  schema?: SchemaOptions;
  /** How the schema check reads the object; set by patch and apply for the writes they make. */
  schemaMode?: CheckMode;
}

/** Causes from the schema and from the strategy, each once (both may find a missing selector). */
function mergeCauses(...lists: Cause[][]): Cause[] {
  const seen = new Set<string>();
  return lists.flat().filter((c) => {
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface UpdateOptions extends WriteOptions {
  subresource?: 'status';
  /** Controller writes: skip client validation and keep the given status. */
  internal?: boolean;
}

export interface PatchOptions extends UpdateOptions {
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: string;
  gracePeriodSeconds?: number;
  orphanDependents?: boolean;
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export class Registry {
  readonly store: ObjectStore;
  /** Last configuration each field manager applied, per object uid (server-side apply). */
  private readonly appliedConfigs = new Map<string, Map<string, Record<string, unknown>>>();
  /** Resource types beyond the built-in ones (CustomResourceDefinitions), for `put`. */
  customKind?: (apiVersion: string, kind: string) => ResourceType | undefined;
  private nextClusterIP = 10;
  private nextNodePort = 30000;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  readonly strategyContext: StrategyContext = {
    find: (apiVersion, kind, namespace, name) => this.store.get(typeFor(apiVersion, kind), namespace, name),
    list: (apiVersion, kind, namespace) => this.store.list(typeFor(apiVersion, kind), namespace),
    allocateClusterIP: () => {
      this.nextClusterIP += 1;
      return `10.128.${Math.floor(this.nextClusterIP / 250)}.${(this.nextClusterIP % 250) + 1}`;
    },
    allocateNodePort: () => {
      this.nextNodePort += 1;
      return this.nextNodePort;
    },
  };

  find(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(type, namespace, name);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(type, namespace, name);
    if (!found) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, query: ListQuery = {}): KubeObject[] {
    return this.store
      .list(type, query.namespace)
      .filter((obj) => matchesLabels(query.labelSelector ?? [], obj.metadata.labels))
      .filter((obj) => matchesFields(query.fieldSelector ?? [], obj));
  }

  create(type: ResourceType, namespace: string | undefined, body: KubeObject, options: WriteOptions = {}): KubeObject {
    let obj = this.prepareNewObject(type, namespace, body);
    let schemaCauses: Cause[] = [];
    if (options.schema)
      ({ object: obj, causes: schemaCauses } = checkSchema(type, obj, options.schemaMode ?? 'decode', options.schema));
    const strategy = STRATEGIES[type.kind];
    strategy?.prepareForCreate?.(obj, this.strategyContext);
    const causes = mergeCauses(
      schemaCauses,
      validateName(type.kind, obj.metadata.name ?? ''),
      strategy?.validateCreate?.(obj, this.strategyContext) ?? [],
    );
    if (causes.length > 0) throw invalid(type, obj.metadata.name ?? '', causes);
    if (options.dryRun) return obj;
    return this.store.insert(type, obj);
  }

  /** Stores an object as given (tests seeding state): create or replace, no defaulting or validation. */
  put(object: KubeObject): KubeObject {
    const type = findByKind(object.apiVersion, object.kind) ?? this.customKind?.(object.apiVersion, object.kind);
    if (!type) throw badRequest(`kube-sim has no resource type ${object.apiVersion} ${object.kind}`);
    const existing = this.store.get(type, object.metadata.namespace, object.metadata.name ?? '');
    const obj = clone(object);
    obj.metadata.uid ??= existing?.metadata.uid ?? newUid();
    obj.metadata.creationTimestamp ??= existing?.metadata.creationTimestamp ?? timestamp();
    if (type.kind === 'Secret') STRATEGIES['Secret']?.prepareForCreate?.(obj, this.strategyContext);
    return existing ? this.store.replace(type, obj) : this.store.insert(type, obj);
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    options: UpdateOptions = {},
  ): KubeObject {
    const old = this.get(type, namespace, name);
    return this.writeUpdate(type, old, body, options);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patchType: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): { object: KubeObject; created: boolean } {
    const existing = this.find(type, namespace, name);
    if (patchType === 'apply') return this.apply(type, namespace, name, existing, patch, options);
    if (!existing) throw notFound(type, name);
    let patched: unknown;
    if (patchType === 'json') {
      patched = applyJsonPatch(existing, patch);
    } else {
      if (!isPlainObject(patch))
        throw badRequest(
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json',
        );
      patched =
        patchType === 'merge' ? applyJsonMergePatch(existing, patch) : applyStrategicMergePatch(existing, patch);
    }
    if (!isPlainObject(patched)) throw badRequest('patch produced a non-object');
    const next = patched as KubeObject;
    // A patch is conditional only when it names a resourceVersion itself.
    if (!hasResourceVersion(patch))
      next.metadata = { ...next.metadata, resourceVersion: existing.metadata.resourceVersion ?? '' };
    const patchOptions = options.schema
      ? { ...options, schemaMode: 'patch' as const, schema: { ...options.schema, patch } }
      : options;
    return { object: this.writeUpdate(type, existing, next, patchOptions), created: false };
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): KubeObject {
    const existing = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== existing.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid ?? ''}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion ?? ''}`,
      );
    }
    const now = timestamp();
    if (options.dryRun)
      return {
        ...existing,
        metadata: { ...existing.metadata, deletionTimestamp: existing.metadata.deletionTimestamp ?? now },
      };

    const propagation = options.propagationPolicy ?? (options.orphanDependents ? 'Orphan' : 'Background');
    const finalizers = new Set(existing.metadata.finalizers ?? []);
    if (propagation === 'Foreground') finalizers.add(FOREGROUND_FINALIZER);
    if (propagation === 'Orphan') finalizers.add(ORPHAN_FINALIZER);

    if (type.kind === 'Namespace') {
      if (existing.metadata.deletionTimestamp) return existing;
      const terminating = clone(existing);
      terminating.metadata.deletionTimestamp = now;
      terminating['status'] = {
        ...(isPlainObject(terminating['status']) ? terminating['status'] : {}),
        phase: 'Terminating',
      };
      return this.store.replace(type, terminating);
    }

    if (type.kind === 'Pod' && this.deletesGracefully(existing, options)) {
      if (existing.metadata.deletionTimestamp) return existing;
      const terminating = clone(existing);
      terminating.metadata.deletionTimestamp = now;
      terminating.metadata.deletionGracePeriodSeconds =
        options.gracePeriodSeconds ?? Number(getPath(existing, 'spec.terminationGracePeriodSeconds') ?? 30);
      terminating.metadata.finalizers = finalizers.size ? [...finalizers] : undefined;
      if (!terminating.metadata.finalizers) delete terminating.metadata.finalizers;
      return this.store.replace(type, terminating);
    }

    if (finalizers.size > 0) {
      if (existing.metadata.deletionTimestamp && deepEqual([...finalizers], existing.metadata.finalizers))
        return existing;
      const terminating = clone(existing);
      terminating.metadata.deletionTimestamp ??= now;
      terminating.metadata.deletionGracePeriodSeconds ??= 0;
      terminating.metadata.finalizers = [...finalizers];
      return this.store.replace(type, terminating);
    }
    return this.remove(type, existing);
  }

  /** Removes a finalizer (controllers); the object goes once it is being deleted and has none left. */
  removeFinalizer(type: ResourceType, namespace: string | undefined, name: string, finalizer: string): void {
    const existing = this.find(type, namespace, name);
    if (!existing || !(existing.metadata.finalizers ?? []).includes(finalizer)) return;
    const next = clone(existing);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers) {
      this.remove(type, next);
      return;
    }
    this.store.replace(type, next);
  }

  /** Final removal of an object whose deletion is complete (graceful pods, finalized namespaces). */
  remove(type: ResourceType, object: KubeObject): KubeObject {
    const removed = this.store.remove(type, object.metadata.namespace, object.metadata.name ?? '');
    if (object.metadata.uid) this.appliedConfigs.delete(object.metadata.uid);
    return removed ?? object;
  }

  /** Status writes from controllers: replaces `.status` only, keeping everything else as stored. */
  writeStatus(type: ResourceType, object: KubeObject): KubeObject | undefined {
    const existing = this.find(type, object.metadata.namespace, object.metadata.name ?? '');
    if (!existing || existing.metadata.uid !== object.metadata.uid) return undefined;
    if (deepEqual(existing['status'], object['status'])) return existing;
    return this.store.replace(type, { ...existing, status: clone(object['status']) });
  }

  /** Controller writes of a whole object (spec/metadata fields a controller owns, e.g. a PVC's volumeName). */
  writeInternal(type: ResourceType, object: KubeObject): KubeObject | undefined {
    const existing = this.find(type, object.metadata.namespace, object.metadata.name ?? '');
    if (!existing || existing.metadata.uid !== object.metadata.uid) return undefined;
    if (deepEqual(existing, object)) return existing;
    const next = clone(object);
    next.metadata.resourceVersion = existing.metadata.resourceVersion ?? '';
    if (GENERATION_KINDS.has(type.kind) && !deepEqual(existing['spec'], next['spec']))
      next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    return this.store.replace(type, next);
  }

  private deletesGracefully(pod: KubeObject, options: DeleteOptions): boolean {
    if (options.gracePeriodSeconds === 0) return false;
    const phase = getPath(pod, 'status.phase');
    // The API server deletes unscheduled and terminated pods at once; only running ones wait for the kubelet.
    return getPath(pod, 'spec.nodeName') !== undefined && phase !== 'Succeeded' && phase !== 'Failed';
  }

  private prepareNewObject(type: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    if (!isPlainObject(body) || !isPlainObject(body.metadata))
      throw badRequest("Object 'metadata' is missing in the request body");
    const obj = clone(body);
    const expectedApiVersion = apiVersionOf(type);
    if (obj.apiVersion && obj.apiVersion !== expectedApiVersion) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expectedApiVersion})`,
      );
    }
    if (obj.kind && obj.kind !== type.kind)
      throw badRequest(`the kind in the data (${obj.kind}) does not match the expected kind (${type.kind})`);
    obj.apiVersion = expectedApiVersion;
    obj.kind = type.kind;
    if (type.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace ?? 'default';
      this.checkNamespaceAcceptsContent(type, obj);
    } else {
      delete obj.metadata.namespace;
    }
    if (!obj.metadata.name) {
      if (!obj.metadata.generateName)
        throw invalid(type, '', [
          {
            field: 'metadata.name',
            message: 'Required value: name or generateName is required',
            reason: 'FieldValueRequired',
          },
        ]);
      let candidate = '';
      do candidate = `${obj.metadata.generateName}${randomSuffix()}`;
      while (this.find(type, obj.metadata.namespace, candidate));
      obj.metadata.name = candidate;
    }
    if (this.find(type, obj.metadata.namespace, obj.metadata.name)) throw alreadyExists(type, obj.metadata.name);
    for (const serverOwned of [
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'managedFields',
      'selfLink',
    ])
      delete obj.metadata[serverOwned];
    obj.metadata.uid = newUid();
    obj.metadata.creationTimestamp = timestamp();
    if (GENERATION_KINDS.has(type.kind)) obj.metadata.generation = 1;
    else delete obj.metadata.generation;
    if (type.hasStatusSubresource) delete obj['status'];
    return obj;
  }

  private checkNamespaceAcceptsContent(type: ResourceType, obj: KubeObject): void {
    const nsType = typeFor('v1', 'Namespace');
    const namespace = obj.metadata.namespace ?? '';
    const ns = this.find(nsType, undefined, namespace);
    if (!ns) throw notFound(nsType, namespace);
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        `${type.plural}${type.group ? `.${type.group}` : ''} "${obj.metadata.name ?? obj.metadata.generateName ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: obj.metadata.name ?? '',
          kind: type.plural,
          ...(type.group ? { group: type.group } : {}),
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private writeUpdate(type: ResourceType, old: KubeObject, body: KubeObject, options: UpdateOptions): KubeObject {
    if (!isPlainObject(body) || !isPlainObject(body.metadata))
      throw badRequest("Object 'metadata' is missing in the request body");
    const name = old.metadata.name ?? '';
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    if (body.metadata.resourceVersion && body.metadata.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(type, name);

    let next: KubeObject;
    let schemaCauses: Cause[] = [];
    if (options.schema && !options.internal)
      ({ object: body, causes: schemaCauses } = checkSchema(
        type,
        body,
        options.schemaMode ?? 'decode',
        options.schema,
      ));
    if (options.subresource === 'status') {
      next = { ...clone(old), status: clone(body['status']) };
    } else {
      next = clone(body);
      next.apiVersion = old.apiVersion;
      next.kind = old.kind;
      next.metadata = {
        ...next.metadata,
        name,
        uid: old.metadata.uid ?? '',
        creationTimestamp: old.metadata.creationTimestamp ?? null,
      };
      if (old.metadata.namespace) next.metadata.namespace = old.metadata.namespace;
      else delete next.metadata.namespace;
      // Deletion state is server-owned: clients can neither set nor clear it.
      delete next.metadata.deletionTimestamp;
      delete next.metadata.deletionGracePeriodSeconds;
      if (old.metadata.deletionTimestamp !== undefined)
        next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      if (old.metadata.deletionGracePeriodSeconds !== undefined)
        next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      delete next.metadata['managedFields'];
      if (type.hasStatusSubresource && !options.internal) next['status'] = clone(old['status']);
      if (next['status'] === undefined) delete next['status'];
      const strategy = STRATEGIES[type.kind];
      if (!options.internal) {
        strategy?.prepareForUpdate?.(next, old, this.strategyContext);
        const causes = mergeCauses(schemaCauses, strategy?.validateUpdate?.(next, old, this.strategyContext) ?? []);
        if (causes.length > 0) throw invalid(type, name, causes);
      }
      if (GENERATION_KINDS.has(type.kind)) {
        next.metadata.generation = (old.metadata.generation ?? 1) + (deepEqual(next['spec'], old['spec']) ? 0 : 1);
      }
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion ?? '';
    if (options.dryRun) return next;
    if (deepEqual(next, old)) return old;
    if (
      next.metadata.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      type.kind !== 'Namespace' &&
      type.kind !== 'Pod'
    ) {
      return this.remove(type, next);
    }
    return this.store.replace(type, next);
  }

  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    existing: KubeObject | undefined,
    patch: unknown,
    options: PatchOptions,
  ): { object: KubeObject; created: boolean } {
    if (!options.fieldManager) {
      throw invalid({ ...type, group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        { field: 'fieldManager', message: 'Required value: is required for apply patch', reason: 'FieldValueRequired' },
      ]);
    }
    if (!isPlainObject(patch) || !isPlainObject(patch['metadata']))
      throw badRequest('error decoding YAML: the applied configuration must be an object with metadata');
    const applied = clone(patch) as KubeObject;
    if (!applied.apiVersion || !applied.kind)
      throw badRequest('invalid object type: apiVersion and kind are required for apply');
    if (options.schema) {
      // The real error names the object by the request's namespace when the configuration leaves it out.
      checkSchema(
        type,
        { ...applied, metadata: { ...applied.metadata, namespace: applied.metadata.namespace ?? namespace ?? '' } },
        'apply',
        options.schema,
      );
    }
    const writeOptions: PatchOptions = options.schema ? { ...options, schemaMode: 'merged' } : options;
    if (applied.metadata.name !== name)
      throw badRequest(
        `the name of the object (${String(applied.metadata.name)}) does not match the name on the URL (${name})`,
      );
    const uidKey = existing?.metadata.uid;
    const previous = (uidKey && this.appliedConfigs.get(uidKey)) || new Map<string, Record<string, unknown>>();
    const outcome = serverSideApply(existing, applied, options.fieldManager, previous, options.force === true);
    if (outcome.conflicts.length > 0) {
      throw new ApiError(409, 'Conflict', conflictMessage(outcome.conflicts, applied.apiVersion), {
        name,
        ...(type.group ? { group: type.group } : {}),
        kind: type.plural,
        causes: outcome.conflicts.map((c) => ({
          reason: 'FieldManagerConflict',
          message: `conflict with "${c.manager}" using ${applied.apiVersion}`,
          field: c.field,
        })),
      });
    }
    const merged = outcome.object as KubeObject;
    if (!existing) {
      const created = this.create(type, namespace, merged, writeOptions);
      if (!writeOptions.dryRun && created.metadata.uid) this.appliedConfigs.set(created.metadata.uid, outcome.managers);
      return { object: created, created: true };
    }
    merged.metadata = { ...merged.metadata, resourceVersion: existing.metadata.resourceVersion ?? '' };
    const updated = this.writeUpdate(type, existing, merged, writeOptions);
    if (!options.dryRun && uidKey) this.appliedConfigs.set(uidKey, outcome.managers);
    return { object: updated, created: false };
  }
}

function hasResourceVersion(patch: unknown): boolean {
  return (
    isPlainObject(patch) && isPlainObject(patch['metadata']) && typeof patch['metadata']['resourceVersion'] === 'string'
  );
}

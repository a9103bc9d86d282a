/**
 * CustomResourceDefinitions, as kube-apiserver's apiextensions server handles them: a CRD's served versions become
 * resource types of this simulator (routing, discovery and the OpenAPI stubs pick them up at once), its status says
 * NamesAccepted and Established (what helm waits for after installing a chart's `crds/`), its custom resources are
 * stored like any object (one storage for all versions: no conversion is simulated), and deleting it first deletes
 * every custom resource of it (the `customresourcecleanup.apiextensions.k8s.io` finalizer).
 *
 * Not simulated: schema validation, pruning and defaulting from `openAPIV3Schema`, conversion webhooks, scale
 * subresources, additionalPrinterColumns (tables show Name and Age), CEL validation rules.
 */
import type { Controller } from './controllers/runtime.ts';
import { deepEqual, getPath, isPlainObject, timestamp } from './json.ts';
import type { Registry } from './registry.ts';
import { apiVersionOf, findByKind, findByPlural, typeFor, type ResourceType } from './resources.ts';
import type { StoreEvent } from './store.ts';
import { GENERATION_KINDS } from './strategies.ts';
import type { KubeObject } from './types.ts';

const CRD = typeFor('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The resource types CRDs define in one simulator. */
export class CustomTypes {
  private readonly byCrd = new Map<string, ResourceType[]>();

  all(): ResourceType[] {
    return [...this.byCrd.values()].flat();
  }

  findByPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  findByKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Built-in first, then custom. */
  lookupPlural(group: string, version: string, plural: string): ResourceType | undefined {
    return findByPlural(group, version, plural) ?? this.findByPlural(group, version, plural);
  }

  lookupKind(apiVersion: string, kind: string): ResourceType | undefined {
    return findByKind(apiVersion, kind) ?? this.findByKind(apiVersion, kind);
  }

  set(crdName: string, types: ResourceType[]): void {
    if (types.length === 0) this.byCrd.delete(crdName);
    else this.byCrd.set(crdName, types);
  }

  typesOf(crdName: string): ResourceType[] {
    return this.byCrd.get(crdName) ?? [];
  }
}

function typesFromCrd(crd: KubeObject): ResourceType[] {
  const group = String(getPath(crd, 'spec.group') ?? '');
  const names = getPath(crd, 'spec.names');
  const versions = getPath(crd, 'spec.versions');
  if (!group || !isPlainObject(names) || !Array.isArray(versions)) return [];
  const plural = String(names['plural'] ?? '');
  const kind = String(names['kind'] ?? '');
  if (!plural || !kind) return [];
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return versions
    .filter(isPlainObject)
    .filter((v) => v['served'] !== false)
    .map((v) => {
      const version = String(v['name'] ?? '');
      const hasStatus = isPlainObject(getPath(v, 'subresources.status'));
      return {
        group,
        version,
        plural,
        singular: String(names['singular'] ?? kind.toLowerCase()),
        kind,
        namespaced: getPath(crd, 'spec.scope') !== 'Cluster',
        shortNames: strings(names['shortNames']),
        categories: strings(names['categories']),
        verbs: CRUD,
        subresources: hasStatus ? [{ name: 'status', kind, group, version, verbs: ['get', 'patch', 'update'] }] : [],
        hasStatusSubresource: hasStatus,
      };
    });
}

function condition(type: string, reason: string, message: string, previous: unknown): Record<string, unknown> {
  const old = Array.isArray(previous)
    ? previous.filter(isPlainObject).find((c) => c['type'] === type && c['status'] === 'True')
    : undefined;
  return { type, status: 'True', lastTransitionTime: old?.['lastTransitionTime'] ?? timestamp(), reason, message };
}

/** The apiextensions controllers: naming, establishing, and finalizing CRDs. */
export class CustomResourceController implements Controller {
  readonly name = 'apiextensions';
  private readonly registry: Registry;
  private readonly types: CustomTypes;

  constructor(registry: Registry, types: CustomTypes) {
    this.registry = registry;
    this.types = types;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    if (obj.kind === 'Namespace' && obj.metadata.deletionTimestamp) {
      for (const type of this.types.all().filter((t) => t.namespaced)) {
        for (const item of this.registry.list(type, { namespace: obj.metadata.name ?? '' }))
          this.registry.remove(type, item);
      }
      return;
    }
    if (obj.kind !== 'CustomResourceDefinition') return;
    const name = obj.metadata.name ?? '';
    if (event.type === 'DELETED') {
      this.types.set(name, []);
      return;
    }
    const crd = this.registry.find(CRD, undefined, name);
    if (!crd) return;
    if (crd.metadata.deletionTimestamp) {
      this.cleanUp(crd);
      return;
    }
    if (!(crd.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER)) {
      this.registry.writeInternal(CRD, {
        ...crd,
        metadata: { ...crd.metadata, finalizers: [...(crd.metadata.finalizers ?? []), CLEANUP_FINALIZER] },
      });
      return;
    }
    const types = typesFromCrd(crd);
    this.types.set(name, types);
    for (const type of types) GENERATION_KINDS.add(type.kind);
    const names = getPath(crd, 'spec.names') as Record<string, unknown>;
    const previous = getPath(crd, 'status.conditions');
    const storage = ((getPath(crd, 'spec.versions') as unknown[] | undefined) ?? [])
      .filter(isPlainObject)
      .find((v) => v['storage'] === true);
    const stored = Array.isArray(getPath(crd, 'status.storedVersions'))
      ? (getPath(crd, 'status.storedVersions') as string[])
      : [];
    const status = {
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found', previous),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted', previous),
      ],
      acceptedNames: {
        plural: names['plural'],
        singular: names['singular'] ?? String(names['kind']).toLowerCase(),
        kind: names['kind'],
        listKind: names['listKind'] ?? `${String(names['kind'])}List`,
        ...(names['shortNames'] ? { shortNames: names['shortNames'] } : {}),
        ...(names['categories'] ? { categories: names['categories'] } : {}),
      },
      storedVersions: [...new Set([...stored, ...(storage ? [String(storage['name'])] : [])])],
    };
    if (!deepEqual(crd['status'], status)) this.registry.writeStatus(CRD, { ...crd, status });
  }

  private cleanUp(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    // All versions share one storage: removing the objects through the first type removes them all.
    const [type] = this.types.typesOf(name);
    if (type) for (const item of this.registry.list(type)) this.registry.remove(type, item);
    this.types.set(name, []);
    this.registry.removeFinalizer(CRD, undefined, name, CLEANUP_FINALIZER);
  }
}

/**
 * Discovery and OpenAPI. Clients ask `/api` and `/apis` for aggregated discovery (`apidiscovery.k8s.io/v2`), which
 * only counts when the response Content-Type names it exactly; legacy discovery is served too. OpenAPI v3 is a stub:
 * one PATCH operation per resource carrying `x-kubernetes-group-version-kind` and a `fieldValidation` parameter,
 * which is how kubectl and helm decide to leave validation to the server.
 */
import { createHash } from 'node:crypto';
import { apiVersionOf, groupVersions, RESOURCE_TYPES, type ResourceType } from '../resources.ts';

export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export const SERVER_VERSION = {
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.1',
  gitCommit: '93248f9ae092f571eb870b7664c534bfc7d00f03',
  gitTreeState: 'clean',
  buildDate: '2025-09-09T19:44:50Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

// `extra`: the resource types CustomResourceDefinitions add in this simulator.
function typesIn(group: string, version: string, extra: readonly ResourceType[] = []): ResourceType[] {
  return [...RESOURCE_TYPES, ...extra].filter((t) => t.group === group && t.version === version);
}

function allGroupVersions(extra: readonly ResourceType[]): Array<{ group: string; version: string }> {
  const seen = new Map(groupVersions().map((gv) => [`${gv.group}/${gv.version}`, gv]));
  for (const t of extra) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  return [...seen.values()];
}

function aggregatedResource(t: ResourceType): Record<string, unknown> {
  return {
    resource: t.plural,
    responseKind: { group: t.group, version: t.version, kind: t.kind },
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: t.verbs,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? {
          subresources: t.subresources.map((s) => ({
            subresource: s.name,
            responseKind: { group: s.group, version: s.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

function groupsFor(core: boolean, extra: readonly ResourceType[] = []): Array<{ group: string; versions: string[] }> {
  const byGroup = new Map<string, string[]>();
  for (const gv of allGroupVersions(extra)) {
    if ((gv.group === '') !== core) continue;
    byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv.version]);
  }
  return [...byGroup].map(([group, versions]) => ({ group, versions }));
}

export function aggregatedDiscovery(core: boolean, extra: readonly ResourceType[] = []): Record<string, unknown> {
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groupsFor(core, extra).map(({ group, versions }) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: versions.map((version) => ({
        version,
        resources: typesIn(group, version, extra).map(aggregatedResource),
        freshness: 'Current',
      })),
    })),
  };
}

export function legacyCoreVersions(hostPort: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }],
  };
}

function legacyGroup(group: string, versions: string[]): Record<string, unknown> {
  const gvs = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: gvs, preferredVersion: gvs[0] };
}

export function legacyGroupList(extra: readonly ResourceType[] = []): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupsFor(false, extra).map(({ group, versions }) => legacyGroup(group, versions)),
  };
}

export function legacyGroup1(group: string, extra: readonly ResourceType[] = []): Record<string, unknown> | undefined {
  const found = groupsFor(false, extra).find((g) => g.group === group);
  return found ? { kind: 'APIGroup', apiVersion: 'v1', ...legacyGroup(found.group, found.versions) } : undefined;
}

export function legacyResourceList(
  group: string,
  version: string,
  extra: readonly ResourceType[] = [],
): Record<string, unknown> | undefined {
  const types = typesIn(group, version, extra);
  if (types.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      shortNames: t.shortNames,
      categories: t.categories,
    });
    for (const s of t.subresources) {
      resources.push({
        name: `${t.plural}/${s.name}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(s.group !== group ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

function openApiPathKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

export function openApiDocument(
  group: string,
  version: string,
  extra: readonly ResourceType[] = [],
): Record<string, unknown> | undefined {
  const types = typesIn(group, version, extra);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const t of types) {
    const prefix = `/${openApiPathKey(group, version)}`;
    const itemPath = t.namespaced
      ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}`
      : `${prefix}/${t.plural}/{name}`;
    const parameters = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
      name,
      in: 'query',
      schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
    }));
    paths[itemPath] = {
      patch: {
        operationId: `patch${t.namespaced ? 'Namespaced' : ''}${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group, version, kind: t.kind },
        parameters,
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes (kube-sim stub)', version: SERVER_VERSION.gitVersion },
    paths,
    components: { schemas: {} },
  };
}

function hashOf(value: unknown): string {
  return createHash('sha512').update(JSON.stringify(value)).digest('hex').toUpperCase().slice(0, 128);
}

export function openApiRoot(extra: readonly ResourceType[] = []): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { group, version } of allGroupVersions(extra)) {
    const key = openApiPathKey(group, version);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(openApiDocument(group, version, extra))}` };
  }
  return { paths };
}

/**
 * The resource types the simulator serves. Discovery, OpenAPI stubs, routing and the store all read this one table,
 * so adding a kind here makes it visible everywhere at once. One version per group: no conversion is simulated.
 */

export interface SubresourceType {
  name: string;
  kind: string;
  group: string;
  version: string;
  verbs: string[];
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name as it appears in URLs. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceType[];
  /** `status` is only writable through the status subresource (main-resource writes keep the old status). */
  hasStatusSubresource: boolean;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const CREATE_ONLY = ['create'];

interface Spec {
  group?: string;
  version?: string;
  plural: string;
  kind: string;
  namespaced?: boolean;
  short?: string[];
  all?: boolean;
  verbs?: string[];
  status?: boolean;
  sub?: Array<
    Omit<SubresourceType, 'group' | 'version' | 'kind'> & Partial<Pick<SubresourceType, 'group' | 'version' | 'kind'>>
  >;
}

const specs: Spec[] = [
  {
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
    short: ['ns'],
    status: true,
    sub: [{ name: 'finalize', verbs: ['update'] }],
  },
  { plural: 'nodes', kind: 'Node', namespaced: false, short: ['no'], status: true },
  { plural: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false, short: ['pv'], status: true },
  {
    plural: 'pods',
    kind: 'Pod',
    short: ['po'],
    all: true,
    status: true,
    sub: [
      { name: 'log', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
    ],
  },
  { plural: 'services', kind: 'Service', short: ['svc'], all: true, status: true },
  { plural: 'endpoints', kind: 'Endpoints', short: ['ep'] },
  { plural: 'secrets', kind: 'Secret' },
  { plural: 'configmaps', kind: 'ConfigMap', short: ['cm'] },
  {
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    short: ['sa'],
    sub: [{ name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] }],
  },
  { plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', short: ['pvc'], status: true },
  { plural: 'events', kind: 'Event', short: ['ev'] },
  { plural: 'limitranges', kind: 'LimitRange', short: ['limits'] },
  { plural: 'resourcequotas', kind: 'ResourceQuota', short: ['quota'], status: true },
  { plural: 'replicationcontrollers', kind: 'ReplicationController', short: ['rc'], all: true, status: true },
  {
    group: 'apps',
    plural: 'deployments',
    kind: 'Deployment',
    short: ['deploy'],
    all: true,
    status: true,
    sub: [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] }],
  },
  {
    group: 'apps',
    plural: 'replicasets',
    kind: 'ReplicaSet',
    short: ['rs'],
    all: true,
    status: true,
    sub: [{ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] }],
  },
  { group: 'apps', plural: 'statefulsets', kind: 'StatefulSet', short: ['sts'], all: true, status: true },
  { group: 'apps', plural: 'daemonsets', kind: 'DaemonSet', short: ['ds'], all: true, status: true },
  { group: 'apps', plural: 'controllerrevisions', kind: 'ControllerRevision' },
  { group: 'batch', plural: 'jobs', kind: 'Job', all: true, status: true },
  { group: 'batch', plural: 'cronjobs', kind: 'CronJob', short: ['cj'], all: true, status: true },
  { group: 'networking.k8s.io', plural: 'ingresses', kind: 'Ingress', short: ['ing'], status: true },
  { group: 'networking.k8s.io', plural: 'networkpolicies', kind: 'NetworkPolicy', short: ['netpol'] },
  { group: 'networking.k8s.io', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false },
  { group: 'rbac.authorization.k8s.io', plural: 'roles', kind: 'Role' },
  { group: 'rbac.authorization.k8s.io', plural: 'rolebindings', kind: 'RoleBinding' },
  { group: 'rbac.authorization.k8s.io', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false },
  { group: 'rbac.authorization.k8s.io', plural: 'clusterrolebindings', kind: 'ClusterRoleBinding', namespaced: false },
  { group: 'storage.k8s.io', plural: 'storageclasses', kind: 'StorageClass', namespaced: false, short: ['sc'] },
  { group: 'storage.k8s.io', plural: 'csidrivers', kind: 'CSIDriver', namespaced: false },
  { group: 'policy', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', short: ['pdb'], status: true },
  {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    short: ['hpa'],
    all: true,
    status: true,
  },
  { group: 'discovery.k8s.io', plural: 'endpointslices', kind: 'EndpointSlice' },
  { group: 'coordination.k8s.io', plural: 'leases', kind: 'Lease' },
  { group: 'scheduling.k8s.io', plural: 'priorityclasses', kind: 'PriorityClass', namespaced: false, short: ['pc'] },
  {
    group: 'apiextensions.k8s.io',
    plural: 'customresourcedefinitions',
    kind: 'CustomResourceDefinition',
    namespaced: false,
    short: ['crd', 'crds'],
    status: true,
  },
  {
    group: 'authorization.k8s.io',
    plural: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    namespaced: false,
    verbs: CREATE_ONLY,
  },
  {
    group: 'authorization.k8s.io',
    plural: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    namespaced: false,
    verbs: CREATE_ONLY,
  },
  {
    group: 'authentication.k8s.io',
    plural: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    namespaced: false,
    verbs: CREATE_ONLY,
  },
  {
    group: 'authentication.k8s.io',
    plural: 'tokenreviews',
    kind: 'TokenReview',
    namespaced: false,
    verbs: CREATE_ONLY,
  },
  {
    group: 'authorization.k8s.io',
    plural: 'subjectaccessreviews',
    kind: 'SubjectAccessReview',
    namespaced: false,
    verbs: CREATE_ONLY,
  },
  {
    group: 'authorization.k8s.io',
    plural: 'localsubjectaccessreviews',
    kind: 'LocalSubjectAccessReview',
    verbs: CREATE_ONLY,
  },
];

function singularOf(kind: string): string {
  return kind.toLowerCase();
}

export const RESOURCE_TYPES: readonly ResourceType[] = specs.map((spec) => {
  const group = spec.group ?? '';
  const version = spec.version ?? 'v1';
  const subresources: SubresourceType[] = (spec.sub ?? []).map((sub) => ({
    name: sub.name,
    kind: sub.kind ?? spec.kind,
    group: sub.group ?? group,
    version: sub.version ?? version,
    verbs: sub.verbs,
  }));
  if (spec.status)
    subresources.unshift({ name: 'status', kind: spec.kind, group, version, verbs: ['get', 'patch', 'update'] });
  return {
    group,
    version,
    plural: spec.plural,
    singular: singularOf(spec.kind),
    kind: spec.kind,
    namespaced: spec.namespaced ?? true,
    shortNames: spec.short ?? [],
    categories: spec.all ? ['all'] : [],
    verbs: spec.verbs ?? CRUD,
    subresources,
    hasStatusSubresource: spec.status ?? false,
  };
});

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** `pods`, `jobs.batch`: how the API server names a resource in error messages. */
export function qualifiedName(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

/** `Job.batch`: how validation errors name a kind. */
export function qualifiedKind(type: ResourceType): string {
  return type.group === '' ? type.kind : `${type.kind}.${type.group}`;
}

export function typeKey(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${type.group}/${type.plural}`;
}

const byGroupVersionPlural = new Map(RESOURCE_TYPES.map((t) => [`${t.group}/${t.version}/${t.plural}`, t]));
const byApiVersionKind = new Map(RESOURCE_TYPES.map((t) => [`${apiVersionOf(t)}/${t.kind}`, t]));

export function findByPlural(group: string, version: string, plural: string): ResourceType | undefined {
  return byGroupVersionPlural.get(`${group}/${version}/${plural}`);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return byApiVersionKind.get(`${apiVersion}/${kind}`);
}

/** The resource type for an apiVersion/kind pair the simulator's own code names; a typo is a bug, so it throws. */
export function typeFor(apiVersion: string, kind: string): ResourceType {
  const type = findByKind(apiVersion, kind);
  if (!type) throw new Error(`kube-sim has no resource type ${apiVersion} ${kind}`);
  return type;
}

export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const t of RESOURCE_TYPES) seen.set(`${t.group}/${t.version}`, { group: t.group, version: t.version });
  return [...seen.values()];
}

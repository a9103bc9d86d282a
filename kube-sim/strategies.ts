/**
 * Per-kind API semantics that clients can observe: defaulting and admission on create, validation, and the
 * immutable fields a real cluster refuses to change (Job template and selector, Deployment selector, PVC spec,
 * immutable Secrets/ConfigMaps). Messages follow the real API server's wording.
 *
 * Long on purpose: a table of per-kind rules, one entry per kind, read side by side as the API server's own
 * strategies are.
 */
import { deepEqual, ensureObject, getPath, isPlainObject } from './json.ts';
import { defaultPodSpec, defaultPodTemplate } from './pod-spec-defaults.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import type { KubeObject } from './types.ts';

type Obj = Record<string, unknown>;

export interface Cause {
  field: string;
  message: string;
  reason?: string;
}

export interface StrategyContext {
  find(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(apiVersion: string, kind: string, namespace?: string): KubeObject[];
  allocateClusterIP(): string;
  allocateNodePort(): number;
}

export interface KindStrategy {
  prepareForCreate?(obj: KubeObject, ctx: StrategyContext): void;
  validateCreate?(obj: KubeObject, ctx: StrategyContext): Cause[];
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): void;
  validateUpdate?(obj: KubeObject, old: KubeObject, ctx: StrategyContext): Cause[];
}

/** Kinds whose metadata.generation counts spec changes (and whose controllers report observedGeneration). */
export const GENERATION_KINDS = new Set([
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Ingress',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'CustomResourceDefinition',
  'Pod',
]);

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Kinds whose names must be DNS-1123 labels rather than subdomains.
const LABEL_NAMED = new Set(['Namespace', 'Service']);
// RBAC names are path segments: anything without '/' or '%'.
const PATH_SEGMENT_NAMED = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

export function validateName(kind: string, name: string): Cause[] {
  if (PATH_SEGMENT_NAMED.has(kind)) {
    return /[/%]/.test(name) || name === '.' || name === '..'
      ? [{ field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/' or '%'` }]
      : [];
  }
  if (LABEL_NAMED.has(kind)) {
    if (name.length <= 63 && DNS_LABEL.test(name)) return [];
    return [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      },
    ];
  }
  if (name.length <= 253 && DNS_SUBDOMAIN.test(name)) return [];
  return [
    {
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    },
  ];
}

function spec(obj: KubeObject): Obj {
  return ensureObject(obj, 'spec');
}

function goMap(value: unknown): string {
  if (!isPlainObject(value)) return 'map[string]string(nil)';
  return `map[string]string{${Object.entries(value)
    .map(([k, v]) => `"${k}":"${String(v)}"`)
    .join(', ')}}`;
}

function immutable(field: string, value: string): Cause {
  return { field, message: `Invalid value: ${value}: field is immutable` };
}

const secretStrategy: KindStrategy = {
  prepareForCreate(obj) {
    normaliseSecret(obj);
  },
  prepareForUpdate(obj) {
    normaliseSecret(obj);
  },
  validateCreate(obj) {
    return validateBase64Data(obj);
  },
  validateUpdate(obj, old) {
    const causes = validateBase64Data(obj);
    if (old['immutable'] === true && (!deepEqual(obj['data'], old['data']) || obj['immutable'] !== true)) {
      causes.push({
        field: 'data',
        message: 'Forbidden: field is immutable when `immutable` is set',
        reason: 'FieldValueForbidden',
      });
    }
    if (old['type'] !== obj['type']) causes.push(immutable('type', `"${String(obj['type'])}"`));
    return causes;
  },
};

function normaliseSecret(obj: KubeObject): void {
  obj['type'] ??= 'Opaque';
  const stringData = obj['stringData'];
  if (isPlainObject(stringData)) {
    const data = isPlainObject(obj['data']) ? obj['data'] : {};
    for (const [key, value] of Object.entries(stringData))
      data[key] = Buffer.from(String(value), 'utf8').toString('base64');
    obj['data'] = data;
  }
  delete obj['stringData'];
}

function validateBase64Data(obj: KubeObject): Cause[] {
  const data = obj['data'];
  if (!isPlainObject(data)) return [];
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
      causes.push({
        field: `data[${key}]`,
        message: 'Invalid value: "<secret contents redacted>": illegal base64 data',
      });
    }
  }
  return causes;
}

const configMapStrategy: KindStrategy = {
  validateUpdate(obj, old) {
    if (
      old['immutable'] === true &&
      (!deepEqual(obj['data'], old['data']) ||
        !deepEqual(obj['binaryData'], old['binaryData']) ||
        obj['immutable'] !== true)
    ) {
      return [
        {
          field: 'data',
          message: 'Forbidden: field is immutable when `immutable` is set',
          reason: 'FieldValueForbidden',
        },
      ];
    }
    return [];
  },
};

const namespaceStrategy: KindStrategy = {
  prepareForCreate(obj) {
    const name = obj.metadata.name ?? '';
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': name };
    obj['spec'] = { finalizers: ['kubernetes'] };
    obj['status'] = { phase: 'Active' };
  },
  prepareForUpdate(obj, old) {
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
    obj['spec'] = old['spec'];
  },
};

const podStrategy: KindStrategy = {
  prepareForCreate(obj) {
    defaultPodSpec(spec(obj), true);
    obj['status'] = { phase: 'Pending', qosClass: qosClass(spec(obj)) };
  },
  validateCreate(obj) {
    const containers = spec(obj)['containers'];
    if (!Array.isArray(containers) || containers.length === 0)
      return [{ field: 'spec.containers', message: 'Required value', reason: 'FieldValueRequired' }];
    return [];
  },
  validateUpdate(obj, old) {
    // Only a few pod spec fields are mutable (images, activeDeadlineSeconds, tolerations additions).
    const strip = (s: unknown): unknown => {
      if (!isPlainObject(s)) return s;
      const copy: Obj = { ...s, activeDeadlineSeconds: undefined, tolerations: undefined, nodeName: undefined };
      copy['containers'] = Array.isArray(s['containers'])
        ? s['containers'].map((c) => (isPlainObject(c) ? { ...c, image: undefined } : c))
        : s['containers'];
      return copy;
    };
    if (!deepEqual(strip(obj['spec']), strip(old['spec']))) {
      return [
        {
          field: 'spec',
          message:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          reason: 'FieldValueForbidden',
        },
      ];
    }
    return [];
  },
};

function qosClass(podSpec: Obj): string {
  const containers = Array.isArray(podSpec['containers']) ? podSpec['containers'] : [];
  const hasAny = containers.some(
    (c) => isPlainObject(c) && isPlainObject(c['resources']) && Object.keys(c['resources']).length > 0,
  );
  return hasAny ? 'Burstable' : 'BestEffort';
}

const JOB_UID_LABEL = 'batch.kubernetes.io/controller-uid';

const jobStrategy: KindStrategy = {
  prepareForCreate(obj) {
    const s = spec(obj);
    s['parallelism'] ??= 1;
    s['completions'] ??= 1;
    s['backoffLimit'] ??= 6;
    s['completionMode'] ??= 'NonIndexed';
    s['suspend'] ??= false;
    s['podReplacementPolicy'] ??= 'TerminatingOrFailed';
    defaultPodTemplate(s['template']);
    const uid = obj.metadata.uid ?? '';
    const name = obj.metadata.name ?? '';
    if (s['manualSelector'] !== true) {
      s['selector'] = { matchLabels: { [JOB_UID_LABEL]: uid } };
      const templateMeta = ensureObject(s, 'template.metadata');
      templateMeta['labels'] = {
        ...(isPlainObject(templateMeta['labels']) ? templateMeta['labels'] : {}),
        [JOB_UID_LABEL]: uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      };
    }
    // batch/v1 defaulting: a Job without labels takes its template's labels.
    const templateLabels = getPath(s, 'template.metadata.labels');
    if (Object.keys(obj.metadata.labels ?? {}).length === 0 && isPlainObject(templateLabels)) {
      obj.metadata.labels = { ...(templateLabels as Record<string, string>) };
    }
  },
  validateCreate(obj) {
    const causes: Cause[] = [];
    const restartPolicy = getPath(obj, 'spec.template.spec.restartPolicy');
    if (restartPolicy !== 'Never' && restartPolicy !== 'OnFailure') {
      causes.push({
        field: 'spec.template.spec.restartPolicy',
        message: `Unsupported value: "${String(restartPolicy)}": supported values: "OnFailure", "Never"`,
        reason: 'FieldValueNotSupported',
      });
    }
    if (getPath(obj, 'spec.podFailurePolicy') !== undefined && restartPolicy !== 'Never') {
      causes.push({
        field: 'spec.template.spec.restartPolicy',
        message: `Invalid value: "${String(restartPolicy)}": only "Never" is supported when podFailurePolicy is specified`,
      });
    }
    const containers = getPath(obj, 'spec.template.spec.containers');
    if (!Array.isArray(containers) || containers.length === 0)
      causes.push({ field: 'spec.template.spec.containers', message: 'Required value', reason: 'FieldValueRequired' });
    return causes;
  },
  prepareForUpdate(obj) {
    defaultPodTemplate(spec(obj)['template']);
  },
  validateUpdate(obj, old) {
    const causes: Cause[] = [];
    if (!deepEqual(getPath(obj, 'spec.selector'), getPath(old, 'spec.selector'))) {
      causes.push(
        immutable('spec.selector', `v1.LabelSelector{MatchLabels:${goMap(getPath(obj, 'spec.selector.matchLabels'))}}`),
      );
    }
    if (!deepEqual(getPath(obj, 'spec.template'), getPath(old, 'spec.template'))) {
      causes.push(immutable('spec.template', 'core.PodTemplateSpec{...}'));
    }
    for (const field of ['completionMode', 'podFailurePolicy']) {
      if (!deepEqual(getPath(obj, `spec.${field}`), getPath(old, `spec.${field}`)))
        causes.push(immutable(`spec.${field}`, JSON.stringify(getPath(obj, `spec.${field}`))));
    }
    return causes;
  },
};

function workloadStrategy(defaults: (s: Obj) => void): KindStrategy {
  const selectorMatchesTemplate = (obj: KubeObject): Cause[] => {
    const selector = labelSelectorFromObject(getPath(obj, 'spec.selector'));
    const labels = getPath(obj, 'spec.template.metadata.labels') as Record<string, string> | undefined;
    if (!selector) return [{ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' }];
    if (selector.length === 0 || !matchesLabels(selector, labels)) {
      return [
        {
          field: 'spec.template.metadata.labels',
          message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``,
        },
      ];
    }
    return [];
  };
  return {
    prepareForCreate(obj) {
      defaults(spec(obj));
      defaultPodTemplate(spec(obj)['template']);
    },
    validateCreate: selectorMatchesTemplate,
    prepareForUpdate(obj) {
      defaults(spec(obj));
      defaultPodTemplate(spec(obj)['template']);
    },
    validateUpdate(obj, old) {
      const causes = selectorMatchesTemplate(obj);
      if (!deepEqual(getPath(obj, 'spec.selector'), getPath(old, 'spec.selector'))) {
        causes.push(
          immutable(
            'spec.selector',
            `v1.LabelSelector{MatchLabels:${goMap(getPath(obj, 'spec.selector.matchLabels'))}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}`,
          ),
        );
      }
      return causes;
    },
  };
}

const deploymentStrategy = workloadStrategy((s) => {
  s['replicas'] ??= 1;
  s['revisionHistoryLimit'] ??= 10;
  s['progressDeadlineSeconds'] ??= 600;
  const strategy = isPlainObject(s['strategy']) ? s['strategy'] : {};
  strategy['type'] ??= 'RollingUpdate';
  if (strategy['type'] === 'RollingUpdate') strategy['rollingUpdate'] ??= { maxSurge: '25%', maxUnavailable: '25%' };
  s['strategy'] = strategy;
});

const replicaSetStrategy = workloadStrategy((s) => {
  s['replicas'] ??= 1;
});

const statefulSetStrategy = workloadStrategy((s) => {
  s['replicas'] ??= 1;
  s['podManagementPolicy'] ??= 'OrderedReady';
  s['revisionHistoryLimit'] ??= 10;
  s['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
});

const daemonSetStrategy = workloadStrategy((s) => {
  s['revisionHistoryLimit'] ??= 10;
  s['updateStrategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
});

const PVC_PROTECTION = 'kubernetes.io/pvc-protection';
const PV_PROTECTION = 'kubernetes.io/pv-protection';
const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

const pvcStrategy: KindStrategy = {
  prepareForCreate(obj, ctx) {
    const s = spec(obj);
    s['volumeMode'] ??= 'Filesystem';
    // The DefaultStorageClass admission plugin fills only a missing class; "" explicitly asks for no class.
    if (s['storageClassName'] === undefined) {
      const defaultClass = ctx
        .list('storage.k8s.io/v1', 'StorageClass')
        .find((sc) => sc.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
      if (defaultClass) s['storageClassName'] = defaultClass.metadata.name;
    }
    obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), PVC_PROTECTION])];
    obj['status'] = { phase: 'Pending' };
  },
  validateCreate(obj) {
    const causes: Cause[] = [];
    const modes = getPath(obj, 'spec.accessModes');
    if (!Array.isArray(modes) || modes.length === 0)
      causes.push({
        field: 'spec.accessModes',
        message: 'Required value: at least 1 access mode is required',
        reason: 'FieldValueRequired',
      });
    if (getPath(obj, 'spec.resources.requests.storage') === undefined)
      causes.push({ field: 'spec.resources[storage]', message: 'Required value', reason: 'FieldValueRequired' });
    return causes;
  },
  prepareForUpdate(obj, old) {
    const s = spec(obj);
    s['volumeMode'] ??= 'Filesystem';
    // Clients that re-send the manifest omit what admission and the binder filled in.
    if (s['storageClassName'] === undefined) s['storageClassName'] = getPath(old, 'spec.storageClassName');
    if (s['volumeName'] === undefined && getPath(old, 'spec.volumeName') !== undefined)
      s['volumeName'] = getPath(old, 'spec.volumeName');
  },
  validateUpdate(obj, old) {
    const strip = (s: unknown): unknown =>
      isPlainObject(s) ? { ...s, resources: undefined, volumeAttributesClassName: undefined } : s;
    if (!deepEqual(strip(obj['spec']), strip(old['spec']))) {
      return [
        {
          field: 'spec',
          message:
            'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
          reason: 'FieldValueForbidden',
        },
      ];
    }
    return [];
  },
};

const pvStrategy: KindStrategy = {
  prepareForCreate(obj) {
    const s = spec(obj);
    s['persistentVolumeReclaimPolicy'] ??= 'Retain';
    s['volumeMode'] ??= 'Filesystem';
    obj.metadata.finalizers = [...new Set([...(obj.metadata.finalizers ?? []), PV_PROTECTION])];
    obj['status'] = { phase: 'Pending' };
  },
};

const storageClassStrategy: KindStrategy = {
  prepareForCreate(obj) {
    obj['reclaimPolicy'] ??= 'Delete';
    obj['volumeBindingMode'] ??= 'Immediate';
  },
  validateUpdate(obj, old) {
    const causes: Cause[] = [];
    for (const field of ['provisioner', 'parameters', 'reclaimPolicy', 'volumeBindingMode']) {
      if (!deepEqual(obj[field], old[field]))
        causes.push({
          field,
          message: 'Forbidden: updates to ' + field + ' are forbidden.',
          reason: 'FieldValueForbidden',
        });
    }
    return causes;
  },
};

const serviceStrategy: KindStrategy = {
  prepareForCreate(obj, ctx) {
    const s = spec(obj);
    s['type'] ??= 'ClusterIP';
    s['sessionAffinity'] ??= 'None';
    if (s['type'] !== 'ExternalName') {
      if (s['clusterIP'] === undefined || s['clusterIP'] === '') s['clusterIP'] = ctx.allocateClusterIP();
      s['clusterIPs'] ??= [s['clusterIP']];
      s['ipFamilies'] ??= ['IPv4'];
      s['ipFamilyPolicy'] ??= 'SingleStack';
      s['internalTrafficPolicy'] ??= 'Cluster';
    }
    defaultServicePorts(s, ctx);
    obj['status'] = { loadBalancer: {} };
  },
  prepareForUpdate(obj, old, ctx) {
    const s = spec(obj);
    const oldSpec = isPlainObject(old['spec']) ? old['spec'] : {};
    s['type'] ??= 'ClusterIP';
    s['sessionAffinity'] ??= 'None';
    for (const key of ['clusterIP', 'clusterIPs', 'ipFamilies', 'ipFamilyPolicy', 'internalTrafficPolicy'])
      s[key] ??= oldSpec[key];
    defaultServicePorts(s, ctx, oldSpec);
  },
  validateUpdate(obj, old) {
    if (
      getPath(old, 'spec.clusterIP') !== getPath(obj, 'spec.clusterIP') &&
      getPath(obj, 'spec.type') === getPath(old, 'spec.type')
    ) {
      return [immutable('spec.clusterIPs[0]', `[]string{"${String(getPath(obj, 'spec.clusterIP'))}"}`)];
    }
    return [];
  },
};

function defaultServicePorts(s: Obj, ctx: StrategyContext, oldSpec?: Obj): void {
  const ports = s['ports'];
  if (!Array.isArray(ports)) return;
  const oldPorts = oldSpec && Array.isArray(oldSpec['ports']) ? (oldSpec['ports'] as Obj[]) : [];
  for (const port of ports) {
    if (!isPlainObject(port)) continue;
    port['protocol'] ??= 'TCP';
    port['targetPort'] ??= port['port'];
    if ((s['type'] === 'NodePort' || s['type'] === 'LoadBalancer') && port['nodePort'] === undefined) {
      const previous = oldPorts.find((p) => p['port'] === port['port'])?.['nodePort'];
      port['nodePort'] = previous ?? ctx.allocateNodePort();
    }
  }
}

const cronJobStrategy: KindStrategy = {
  prepareForCreate(obj) {
    const s = spec(obj);
    s['concurrencyPolicy'] ??= 'Allow';
    s['suspend'] ??= false;
    s['successfulJobsHistoryLimit'] ??= 3;
    s['failedJobsHistoryLimit'] ??= 1;
    defaultPodTemplate(getPath(s, 'jobTemplate.spec.template'));
  },
};

export const STRATEGIES: Record<string, KindStrategy> = {
  Secret: secretStrategy,
  ConfigMap: configMapStrategy,
  Namespace: namespaceStrategy,
  Pod: podStrategy,
  Job: jobStrategy,
  CronJob: cronJobStrategy,
  Deployment: deploymentStrategy,
  ReplicaSet: replicaSetStrategy,
  StatefulSet: statefulSetStrategy,
  DaemonSet: daemonSetStrategy,
  PersistentVolumeClaim: pvcStrategy,
  PersistentVolume: pvStrategy,
  StorageClass: storageClassStrategy,
  Service: serviceStrategy,
};

export const FINALIZERS = { PVC_PROTECTION, PV_PROTECTION, DEFAULT_CLASS_ANNOTATION, JOB_UID_LABEL };

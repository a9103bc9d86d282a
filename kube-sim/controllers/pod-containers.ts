/**
 * What the simulated kubelet checks and writes about a pod's containers, apart from its lifecycle (pods.ts): the
 * containers of a pod, image ids, conditions, and what keeps containers from being created — a missing Secret or
 * ConfigMap (or key), a volume source that does not exist — with the real kubelet's messages.
 */
import { createHash } from 'node:crypto';
import { getPath, isPlainObject, timestamp } from '../json.ts';
import { typeFor, type ResourceType } from '../resources.ts';
import type { KubeObject } from '../types.ts';

const SECRET = typeFor('v1', 'Secret');
const CONFIG_MAP = typeFor('v1', 'ConfigMap');

type Obj = Record<string, unknown>;

/** The registry's lookup: the object, or undefined. */
export type Find = (type: ResourceType, namespace: string | undefined, name: string) => KubeObject | undefined;

export interface ContainerProblem {
  reason: 'CreateContainerConfigError' | 'FailedMount';
  message: string;
  container?: string;
  volume?: string;
}

export function containersOf(pod: KubeObject, key: 'containers' | 'initContainers' = 'containers'): Obj[] {
  const list = getPath(pod, `spec.${key}`);
  return Array.isArray(list) ? list.filter(isPlainObject) : [];
}

export function fullImage(image: string): string {
  const hasRegistry = image.includes('/') && /[.:]|^localhost/.test(image.split('/')[0] ?? '');
  const withRepo = hasRegistry ? image : image.includes('/') ? `docker.io/${image}` : `docker.io/library/${image}`;
  return withRepo.includes(':') || withRepo.includes('@') ? withRepo : `${withRepo}:latest`;
}

export function imageId(image: string): string {
  const repo =
    fullImage(image)
      .split('@')[0]
      ?.replace(/:[^/:]+$/, '') ?? image;
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

export function setCondition(
  status: Obj,
  type: string,
  value: 'True' | 'False',
  reason?: string,
  message?: string,
): void {
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as Obj[]) : [];
  const existing = conditions.find((c) => c['type'] === type);
  const now = timestamp();
  const next: Obj = {
    type,
    status: value,
    lastProbeTime: null,
    lastTransitionTime: existing && existing['status'] === value ? existing['lastTransitionTime'] : now,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
  status['conditions'] = existing ? conditions.map((c) => (c === existing ? next : c)) : [...conditions, next];
}

/** The CreateContainerConfigError a scripted `missing-key` pod reports: its first key reference, as if missing. */
export function pretendMissingKey(pod: KubeObject): ContainerProblem | undefined {
  const namespace = pod.metadata.namespace ?? '';
  for (const container of [...containersOf(pod, 'initContainers'), ...containersOf(pod)]) {
    const name = String(container['name']);
    for (const item of Array.isArray(container['env']) ? container['env'].filter(isPlainObject) : []) {
      const secret = getPath(item, 'valueFrom.secretKeyRef');
      const configMap = getPath(item, 'valueFrom.configMapKeyRef');
      const ref = isPlainObject(secret) ? secret : isPlainObject(configMap) ? configMap : undefined;
      if (ref)
        return {
          reason: 'CreateContainerConfigError',
          container: name,
          message: `couldn't find key ${String(ref['key'])} in ${ref === secret ? 'Secret' : 'ConfigMap'} ${namespace}/${String(ref['name'])}`,
        };
    }
    for (const item of Array.isArray(container['envFrom']) ? container['envFrom'].filter(isPlainObject) : []) {
      const ref = isPlainObject(item['secretRef'])
        ? item['secretRef']
        : isPlainObject(item['configMapRef'])
          ? item['configMapRef']
          : undefined;
      if (ref)
        return {
          reason: 'CreateContainerConfigError',
          container: name,
          message: `${ref === item['secretRef'] ? 'secret' : 'configmap'} "${String(ref['name'])}" not found`,
        };
    }
  }
  return undefined;
}

/** What keeps containers from being created: a missing volume source, or a missing Secret/ConfigMap (key). */
export function containerProblem(pod: KubeObject, find: Find): ContainerProblem | undefined {
  const namespace = pod.metadata.namespace;
  const volumes = ((getPath(pod, 'spec.volumes') as unknown[] | undefined) ?? []).filter(isPlainObject);
  for (const volume of volumes) {
    for (const [source, type, nameKey, label] of [
      ['secret', SECRET, 'secretName', 'secret'],
      ['configMap', CONFIG_MAP, 'name', 'configmap'],
    ] as const) {
      const ref = volume[source];
      if (!isPlainObject(ref) || ref['optional'] === true) continue;
      const refName = String(ref[nameKey] ?? '');
      if (!find(type, namespace, refName)) {
        return {
          reason: 'FailedMount',
          volume: String(volume['name']),
          message: `MountVolume.SetUp failed for volume "${String(volume['name'])}" : ${label} "${refName}" not found`,
        };
      }
    }
  }
  for (const container of [...containersOf(pod, 'initContainers'), ...containersOf(pod)]) {
    const name = String(container['name']);
    const env = Array.isArray(container['env']) ? container['env'].filter(isPlainObject) : [];
    for (const item of env) {
      for (const [refKey, type, label, kindWord] of [
        ['secretKeyRef', SECRET, 'secret', 'Secret'],
        ['configMapKeyRef', CONFIG_MAP, 'configmap', 'ConfigMap'],
      ] as const) {
        const ref = getPath(item, `valueFrom.${refKey}`);
        if (!isPlainObject(ref) || ref['optional'] === true) continue;
        const refName = String(ref['name'] ?? '');
        const key = String(ref['key'] ?? '');
        const found = find(type, namespace, refName);
        if (!found)
          return {
            reason: 'CreateContainerConfigError',
            container: name,
            message: `${label} "${refName}" not found`,
          };
        const data = {
          ...(isPlainObject(found['data']) ? found['data'] : {}),
          ...(isPlainObject(found['binaryData']) ? found['binaryData'] : {}),
        };
        if (!(key in data))
          return {
            reason: 'CreateContainerConfigError',
            container: name,
            message: `couldn't find key ${key} in ${kindWord} ${namespace ?? ''}/${refName}`,
          };
      }
    }
    const envFrom = Array.isArray(container['envFrom']) ? container['envFrom'].filter(isPlainObject) : [];
    for (const item of envFrom) {
      for (const [refKey, type, label] of [
        ['secretRef', SECRET, 'secret'],
        ['configMapRef', CONFIG_MAP, 'configmap'],
      ] as const) {
        const ref = item[refKey];
        if (!isPlainObject(ref) || ref['optional'] === true) continue;
        const refName = String(ref['name'] ?? '');
        if (!find(type, namespace, refName))
          return {
            reason: 'CreateContainerConfigError',
            container: name,
            message: `${label} "${refName}" not found`,
          };
      }
    }
  }
  return undefined;
}

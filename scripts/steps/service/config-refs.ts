/**
 * Which Secret and ConfigMap data each Deployment reads — env values, envFrom, secret and configMap volumes, projected
 * volumes — and from that:
 *
 * - a checksum of exactly that data, set as a pod-template annotation: when a value a Deployment reads changes, its
 *   template changes and it restarts (pods read env values only when they start); Deployments that do not read the
 *   changed key keep running. The checksum covers only the data deckhand writes (the app's Secret, the manifests'
 *   ConfigMaps). It is a SHA-256 over the key names and values together, like Helm's `checksum/secret` habit: someone
 *   who may read Deployments but not Secrets learns nothing from it unless the values are guessable, which the input
 *   validators (32+ and 16+ characters for the keys) are there to prevent.
 * - the references that cannot work — a key deckhand does not write, which would leave the pods in
 *   CreateContainerConfigError — found before anything is applied.
 */
import { createHash } from 'node:crypto';
import type { PodSpec } from './manifests.ts';

export interface ConfigRef {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** Undefined: the whole object (envFrom, a volume without items). */
  key?: string;
  optional: boolean;
}

/** The data deckhand writes, by object name: the Secret's values, the ConfigMaps' `data`. */
export interface ConfigData {
  secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
  configMaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

type Obj = Record<string, unknown>;

function object(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function list(value: unknown): Obj[] {
  return Array.isArray(value) ? value.map(object).filter((item): item is Obj => item !== undefined) : [];
}

/** Every reference of the pod spec to Secret or ConfigMap data, in the order the spec names them. */
export function configRefs(spec: PodSpec): ConfigRef[] {
  const refs: ConfigRef[] = [];
  const add = (kind: ConfigRef['kind'], source: Obj | undefined, nameField: string, keys: (string | undefined)[]) => {
    if (!source || typeof source[nameField] !== 'string') return;
    for (const key of keys)
      refs.push({
        kind,
        name: source[nameField] as string,
        ...(key ? { key } : {}),
        optional: source['optional'] === true,
      });
  };
  const itemKeys = (source: Obj | undefined) => {
    const items = list(source?.['items']).map((item) => String(item['key']));
    return items.length > 0 ? items : [undefined];
  };
  for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const env of list(container.env)) {
      const from = object(env['valueFrom']);
      const secret = object(from?.['secretKeyRef']);
      const configMap = object(from?.['configMapKeyRef']);
      add('Secret', secret, 'name', [String(secret?.['key'])]);
      add('ConfigMap', configMap, 'name', [String(configMap?.['key'])]);
    }
    for (const envFrom of list(container.envFrom)) {
      add('Secret', object(envFrom['secretRef']), 'name', [undefined]);
      add('ConfigMap', object(envFrom['configMapRef']), 'name', [undefined]);
    }
  }
  for (const volume of spec.volumes ?? []) {
    const secret = object(volume['secret']);
    add('Secret', secret, 'secretName', itemKeys(secret));
    const configMap = object(volume['configMap']);
    add('ConfigMap', configMap, 'name', itemKeys(configMap));
    for (const source of list(object(volume['projected'])?.['sources'])) {
      const projectedSecret = object(source['secret']);
      add('Secret', projectedSecret, 'name', itemKeys(projectedSecret));
      const projectedConfigMap = object(source['configMap']);
      add('ConfigMap', projectedConfigMap, 'name', itemKeys(projectedConfigMap));
    }
  }
  return refs;
}

function sourceOf(ref: ConfigRef, data: ConfigData): Readonly<Record<string, string>> | undefined {
  return ref.kind === 'Secret' ? data.secrets[ref.name] : data.configMaps[ref.name];
}

/**
 * A checksum of the data deckhand writes that these references read, or undefined when they read none of it (a
 * Deployment without config keeps its template as the files have it).
 */
export function configChecksum(refs: readonly ConfigRef[], data: ConfigData): string | undefined {
  const entries = new Map<string, string | null>();
  for (const ref of refs) {
    const source = sourceOf(ref, data);
    if (!source) continue;
    const keys = ref.key === undefined ? Object.keys(source) : [ref.key];
    for (const key of keys) entries.set(`${ref.kind}/${ref.name}/${key}`, source[key] ?? null);
  }
  if (entries.size === 0) return undefined;
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(`deckhand config v1\n${JSON.stringify(sorted)}`)
    .digest('hex')
    .slice(0, 32);
}

/** Keys the references need from data deckhand writes, which it does not write: "key X of Secret Y". */
export function missingKeys(refs: readonly ConfigRef[], data: ConfigData): string[] {
  const missing = new Set<string>();
  for (const ref of refs) {
    const source = sourceOf(ref, data);
    if (!source || ref.optional || ref.key === undefined || ref.key in source) continue;
    missing.add(`key ${ref.key} of ${ref.kind} ${ref.name}`);
  }
  return [...missing];
}

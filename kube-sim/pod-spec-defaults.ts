/**
 * The API server's defaulting of pod specs (`SetDefaults_PodSpec`, `SetDefaults_Container`, ...), applied to Pods and
 * to the pod templates of Jobs, Deployments and friends. It matters for fidelity: kubectl diff, SSA merges and
 * the Job template immutability check all compare defaulted objects, as the real server does.
 */
import { isPlainObject } from './json.ts';

type Obj = Record<string, unknown>;

function defaultImagePullPolicy(image: unknown): string {
  if (typeof image !== 'string') return 'IfNotPresent';
  const lastPart = image.split('/').pop() ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(container: Obj): void {
  container['terminationMessagePath'] ??= '/dev/termination-log';
  container['terminationMessagePolicy'] ??= 'File';
  container['imagePullPolicy'] ??= defaultImagePullPolicy(container['image']);
  container['resources'] ??= {};
  const ports = container['ports'];
  if (Array.isArray(ports)) for (const port of ports) if (isPlainObject(port)) port['protocol'] ??= 'TCP';
  for (const key of ['env', 'envFrom']) {
    const list = container[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const fieldRef =
        isPlainObject(item) && isPlainObject(item['valueFrom']) ? item['valueFrom']['fieldRef'] : undefined;
      if (isPlainObject(fieldRef)) fieldRef['apiVersion'] ??= 'v1';
    }
  }
}

function defaultVolume(volume: Obj): void {
  for (const source of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const value = volume[source];
    if (isPlainObject(value)) value['defaultMode'] ??= 420;
  }
}

export function defaultPodSpec(spec: Obj, forPod: boolean): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['securityContext'] ??= {};
  spec['terminationGracePeriodSeconds'] ??= 30;
  for (const key of ['containers', 'initContainers']) {
    const list = spec[key];
    if (Array.isArray(list)) for (const c of list) if (isPlainObject(c)) defaultContainer(c);
  }
  const volumes = spec['volumes'];
  if (Array.isArray(volumes)) for (const v of volumes) if (isPlainObject(v)) defaultVolume(v);
  if (forPod) {
    // Admission plugins (ServiceAccount, Priority, DefaultTolerationSeconds) add these to Pods only.
    spec['serviceAccountName'] ??= spec['serviceAccount'] ?? 'default';
    spec['serviceAccount'] ??= spec['serviceAccountName'];
    spec['enableServiceLinks'] ??= true;
    spec['priority'] ??= 0;
    spec['preemptionPolicy'] ??= 'PreemptLowerPriority';
    const tolerations = Array.isArray(spec['tolerations']) ? (spec['tolerations'] as Obj[]) : [];
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      if (!tolerations.some((t) => t['key'] === key))
        tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
    spec['tolerations'] = tolerations;
  }
}

export function defaultPodTemplate(template: unknown): void {
  if (!isPlainObject(template)) return;
  const metadata = isPlainObject(template['metadata']) ? template['metadata'] : {};
  template['metadata'] = metadata;
  const spec = template['spec'];
  if (isPlainObject(spec)) defaultPodSpec(spec, false);
}

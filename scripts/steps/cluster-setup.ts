/**
 * The namespace and the app's Secret, converged idempotently: each is read first, and written (server-side apply,
 * manifest on stdin) only when it is missing or different. Secret values travel on stdin only — never argv, never
 * a file — and are reported as created / updated / unchanged, never shown.
 */
import * as kubectl from '../kubectl.ts';
import type { Runner } from '../lib/shell.ts';
import type { KubeTarget } from '../lib/target.ts';

export type ConvergeResult = 'created' | 'updated' | 'unchanged';

/** Pod Security Admission "restricted", enforced and pinned to a version so a cluster upgrade changes nothing silently. */
export const POD_SECURITY_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'v1.34',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
};

export function namespaceManifest(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'deckhand', ...POD_SECURITY_LABELS } },
  };
}

export async function ensureNamespace(shell: Runner, target: KubeTarget, name: string, options: { clusterReadable: boolean }): Promise<ConvergeResult> {
  const existing = options.clusterReadable ? await kubectl.get(shell, target, 'namespace', name) : undefined;
  const desired = namespaceManifest(name);
  const wantedLabels = (desired.metadata as { labels: Record<string, string> }).labels;
  if (existing && Object.entries(wantedLabels).every(([key, value]) => existing.metadata.labels?.[key] === value)) return 'unchanged';
  await shell.run(kubectl.applyArgs(target), { kind: 'write', input: JSON.stringify(desired), hint: 'Does your kubeconfig user have permission to create namespaces?' });
  return existing ? 'updated' : 'created';
}

export interface SecretSpec {
  name: string;
  namespace: string;
  type?: string;
  /** Plain values; encoded here. */
  values: Readonly<Record<string, string>>;
  labels?: Readonly<Record<string, string>>;
}

export function secretManifest(spec: SecretSpec): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: spec.name, namespace: spec.namespace, labels: { 'app.kubernetes.io/managed-by': 'deckhand', ...spec.labels } },
    type: spec.type ?? 'Opaque',
    data: Object.fromEntries(Object.entries(spec.values).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')])),
  };
}

/** Which keys differ between a live Secret and the wanted values (names only). */
export function changedKeys(live: Readonly<Record<string, string>> | undefined, wanted: Readonly<Record<string, string>>): string[] {
  const liveDecoded = Object.fromEntries(Object.entries(live ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  const keys = new Set([...Object.keys(liveDecoded), ...Object.keys(wanted)]);
  return [...keys].filter((key) => liveDecoded[key] !== wanted[key]).sort();
}

export async function ensureSecret(shell: Runner, target: KubeTarget, spec: SecretSpec, options: { clusterReadable: boolean }): Promise<{ result: ConvergeResult; changed: string[] }> {
  const live = options.clusterReadable ? await kubectl.get(shell, target, 'secret', spec.name, spec.namespace) : undefined;
  const changed = changedKeys(live?.data, spec.values);
  if (live && changed.length === 0 && (live.type ?? 'Opaque') === (spec.type ?? 'Opaque')) return { result: 'unchanged', changed };
  await shell.run(kubectl.applyArgs(target, { namespace: spec.namespace }), { kind: 'write', input: JSON.stringify(secretManifest(spec)) });
  return { result: live ? 'updated' : 'created', changed };
}

/** A `kubernetes.io/dockerconfigjson` pull secret: what the kubelet uses to pull from a private registry. */
export function dockerConfigJson(registry: string, user: string, token: string): string {
  const auth = Buffer.from(`${user}:${token}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [registry]: { username: user, password: token, auth } } });
}

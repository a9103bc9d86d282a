/**
 * The namespace and the app's Secrets, converged idempotently: each is read first (readLiveState), and written
 * (server-side apply, manifest on stdin) only when it is missing or different (convergeNamespaceAndSecrets). Secret
 * values travel on stdin only — never argv, never a file — and are reported as created / updated / unchanged, never
 * shown.
 *
 * deckhand changes only namespaces it owns: one it created (labelled app.kubernetes.io/managed-by=deckhand) gets
 * its Pod Security labels; an existing namespace it did not create keeps its labels as they are (the run says so);
 * and a system namespace — `kube-*`, or one that runs system workloads — is refused outright (exit 2), because
 * relabelling it (Pod Security "restricted") would stop system pods from starting on new nodes.
 */
import { stringify as stringifyYaml } from 'yaml';
import * as kubectl from '../../kubectl.ts';
import { UsageError } from '../../lib/errors.ts';
import { commandFailure, type Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';

/** `kept`: the namespace exists and deckhand did not create it, so its labels were left as they are. */
export type ConvergeResult = 'created' | 'updated' | 'unchanged' | 'kept';

const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** The priority classes Kubernetes reserves for the pods that keep a cluster or a node running. */
const SYSTEM_PRIORITY_CLASSES = ['system-cluster-critical', 'system-node-critical'];

/** Why a namespace is a system namespace by its name alone, or undefined. */
export function systemNamespaceByName(name: string): string | undefined {
  return /^kube-/.test(name) ? `${name} is a Kubernetes system namespace (kube-*)` : undefined;
}

/** The refusal, exit 2: nothing was changed. */
export function systemNamespaceError(namespace: string, why: string, appNamespace: string): UsageError {
  return new UsageError(
    `Refusing to deploy into namespace ${namespace}: ${why}. deckhand would relabel it (Pod Security "restricted"), which stops system pods from starting.`,
    `Deploy into the app's own namespace (${appNamespace}, the default) or another one of yours: --namespace NAME. Nothing was changed.`,
  );
}

/** deckhand created this namespace (and so may set its labels). */
export function ownedByDeckhand(namespace: kubectl.KubeObject): boolean {
  return namespace.metadata.labels?.[MANAGED_BY] === 'deckhand';
}

/** The system workloads a namespace runs (pods with a system priority class, or cluster add-ons), by name. */
export function systemWorkloads(pods: readonly kubectl.KubeObject[]): string[] {
  return pods
    .filter((pod) => {
      const priorityClass = (pod.spec as { priorityClassName?: string } | undefined)?.priorityClassName;
      return (
        (priorityClass !== undefined && SYSTEM_PRIORITY_CLASSES.includes(priorityClass)) ||
        pod.metadata.labels?.['kubernetes.io/cluster-service'] === 'true'
      );
    })
    .map((pod) => pod.metadata.name);
}

/**
 * For an existing namespace deckhand did not create: refuses it when it runs system workloads (one read of its pods).
 * Nothing to read for a namespace that is missing or deckhand's own.
 */
export async function refuseSystemNamespace(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  live: kubectl.KubeObject | undefined,
  appNamespace: string,
): Promise<void> {
  if (!live || ownedByDeckhand(live)) return;
  const pods = await kubectl.list(shell, target, 'pods', { namespace });
  const system = systemWorkloads(pods);
  if (system.length > 0) {
    const shown = `${system.slice(0, 3).join(', ')}${system.length > 3 ? ', …' : ''}`;
    throw systemNamespaceError(namespace, `it runs system workloads (${shown})`, appNamespace);
  }
}

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
    metadata: {
      name: spec.name,
      namespace: spec.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'deckhand', ...spec.labels },
    },
    type: spec.type ?? 'Opaque',
    data: Object.fromEntries(
      Object.entries(spec.values).map(([key, value]) => [key, Buffer.from(value, 'utf8').toString('base64')]),
    ),
  };
}

/** Which keys differ between a live Secret and the wanted values (names only). */
export function changedKeys(
  live: Readonly<Record<string, string>> | undefined,
  wanted: Readonly<Record<string, string>>,
): string[] {
  const liveDecoded = Object.fromEntries(
    Object.entries(live ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
  );
  const keys = new Set([...Object.keys(liveDecoded), ...Object.keys(wanted)]);
  return [...keys].filter((key) => liveDecoded[key] !== wanted[key]).sort();
}

export interface ConvergeReport {
  namespace: ConvergeResult;
  /** Per Secret name: what happened and which keys changed (names only). */
  secrets: Record<string, { result: ConvergeResult; changed: string[] }>;
}

/** What the cluster holds now: the namespace and each Secret, undefined where missing. */
export interface LiveState {
  namespace?: kubectl.KubeObject;
  secrets: Record<string, kubectl.KubeObject | undefined>;
}

/**
 * Reads the namespace and the Secrets, all at once: one GET each by API path, side by side (the namespace being
 * missing does not make the Secret reads fail — they answer NotFound too).
 */
export async function readLiveState(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  secretNames: readonly string[],
): Promise<LiveState> {
  const hint = 'Does your kubeconfig user have permission to read namespaces and Secrets?';
  const [live, ...secrets] = await Promise.all([
    kubectl.getByPath(shell, target, kubectl.corePath('namespaces', namespace), hint),
    ...secretNames.map((name) => kubectl.getByPath(shell, target, kubectl.corePath('secrets', name, namespace), hint)),
  ]);
  return { namespace: live, secrets: Object.fromEntries(secretNames.map((name, index) => [name, secrets[index]])) };
}

/**
 * Brings the namespace and the app's Secrets to the wanted state from what `live` says is there: one server-side
 * apply (on stdin, namespace first) of only those that are missing or different, nothing when all is current.
 */
export async function convergeNamespaceAndSecrets(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  secrets: readonly SecretSpec[],
  live: LiveState,
): Promise<ConvergeReport> {
  const toApply: Record<string, unknown>[] = [];
  const desiredNamespace = namespaceManifest(namespace);
  const wantedLabels = (desiredNamespace.metadata as { labels: Record<string, string> }).labels;
  const liveNamespace = live.namespace;
  const foreign = liveNamespace !== undefined && !ownedByDeckhand(liveNamespace);
  const namespaceCurrent =
    liveNamespace !== undefined &&
    Object.entries(wantedLabels).every(([key, value]) => liveNamespace.metadata.labels?.[key] === value);
  if (!namespaceCurrent && !foreign) toApply.push(desiredNamespace);
  const report: ConvergeReport = {
    namespace: foreign ? 'kept' : namespaceCurrent ? 'unchanged' : liveNamespace ? 'updated' : 'created',
    secrets: {},
  };

  for (const spec of secrets) {
    const current = live.secrets[spec.name];
    const changed = changedKeys(current?.data, spec.values);
    if (current && changed.length === 0 && (current.type ?? 'Opaque') === (spec.type ?? 'Opaque')) {
      report.secrets[spec.name] = { result: 'unchanged', changed };
    } else {
      toApply.push(secretManifest(spec));
      report.secrets[spec.name] = { result: current ? 'updated' : 'created', changed };
    }
  }
  if (toApply.length === 1 && toApply[0] === desiredNamespace && liveNamespace === undefined) {
    // Only the namespace, and it is missing: one POST, without apply's discovery round trips. Another run that made
    // it meanwhile (AlreadyExists) leaves the apply below to bring it up to date.
    const created = await shell.run(kubectl.createRawArgs(target, kubectl.coreCollectionPath('namespaces')), {
      kind: 'write',
      input: JSON.stringify(desiredNamespace),
      nothrow: true,
    });
    if (created.exitCode === 0) return report;
    if (!kubectl.isAlreadyExists(created.stderr))
      throw commandFailure(shell, created, 'Does your kubeconfig user have permission to create namespaces?');
  }
  if (toApply.length > 0) {
    await shell.run(kubectl.applyArgs(target, { namespace }), {
      kind: 'write',
      // One YAML stream, in order (kubectl applies the documents one by one). YAML rather than JSON documents with
      // `---` between them: kubectl treats input that starts with `{` as a JSON stream, and older versions reject the
      // separators there.
      input: toApply.map((object) => stringifyYaml(object)).join('---\n'),
      hint: 'Does your kubeconfig user have permission to create namespaces and Secrets?',
    });
  }
  return report;
}

/** A `kubernetes.io/dockerconfigjson` pull secret: what the kubelet uses to pull from a private registry. */
export function dockerConfigJson(registry: string, user: string, token: string): string {
  const auth = Buffer.from(`${user}:${token}`, 'utf8').toString('base64');
  return JSON.stringify({ auths: { [registry]: { username: user, password: token, auth } } });
}

/**
 * kubectl, wrapped: pure argv builders plus thin runners. Every call names its kubeconfig and context explicitly
 * (kubectlTargetArgs) and reads JSON (`-o json`), never human tables.
 */
import type { Runner } from './lib/shell.ts';
import { kubectlTargetArgs, type KubeTarget } from './lib/target.ts';
import { toGoDuration } from './lib/duration.ts';

/** The fields of Kubernetes objects deckhand reads. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
  type?: string;
}

export interface KubeList<T = KubeObject> {
  items: T[];
}

export function clientVersionArgs(): string[] {
  return ['kubectl', 'version', '--client', '--output', 'json'];
}

/** `v1.34.5` from the output of `kubectl version --client --output json`. */
export function parseClientVersion(stdout: string): string {
  return (JSON.parse(stdout) as { clientVersion: { gitVersion: string } }).clientVersion.gitVersion;
}

export async function clientVersion(shell: Runner): Promise<string> {
  const result = await shell.run(clientVersionArgs(), { kind: 'read', timeoutMs: 15_000 });
  return parseClientVersion(result.stdout);
}

/** `kubectl version` against the server: proves the cluster answers (and the credentials work). */
export function serverVersionArgs(target: KubeTarget): string[] {
  return ['kubectl', 'version', ...kubectlTargetArgs(target), '--output', 'json', '--request-timeout', '10s'];
}

export async function serverVersion(shell: Runner, target: KubeTarget): Promise<string> {
  const result = await shell.run(serverVersionArgs(target), { kind: 'read', timeoutMs: 20_000, hint: `Check that the cluster behind ${target.server} is up and that ${target.kubeconfig} is current (npx tsx tasks.ts kubeconfig).` });
  return (JSON.parse(result.stdout) as { serverVersion?: { gitVersion: string } }).serverVersion?.gitVersion ?? 'unknown';
}

export function getArgs(target: KubeTarget, resource: string, name: string, namespace?: string): string[] {
  return ['kubectl', 'get', resource, name, ...kubectlTargetArgs(target), ...(namespace ? ['--namespace', namespace] : []), '--ignore-not-found', '--output', 'json'];
}

/** One object, or undefined when it does not exist. */
export async function get<T extends KubeObject = KubeObject>(shell: Runner, target: KubeTarget, resource: string, name: string, namespace?: string): Promise<T | undefined> {
  const result = await shell.run(getArgs(target, resource, name, namespace), { kind: 'read' });
  const text = result.stdout.trim();
  return text ? (JSON.parse(text) as T) : undefined;
}

/** Several objects in one round trip (`kubectl get namespace/a secret/b …`); missing ones are left out. */
export function getManyArgs(target: KubeTarget, refs: readonly string[], namespace?: string): string[] {
  return ['kubectl', 'get', ...refs, ...kubectlTargetArgs(target), ...(namespace ? ['--namespace', namespace] : []), '--ignore-not-found', '--output', 'json'];
}

export async function getMany(shell: Runner, target: KubeTarget, refs: readonly string[], namespace?: string): Promise<KubeObject[]> {
  const result = await shell.run(getManyArgs(target, refs, namespace), { kind: 'read' });
  const text = result.stdout.trim();
  if (!text) return [];
  // One result prints as the object itself, several as a List.
  const parsed = JSON.parse(text) as KubeObject | KubeList;
  return 'items' in parsed ? parsed.items : [parsed];
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export function listArgs(target: KubeTarget, resource: string, options: ListOptions = {}): string[] {
  return [
    'kubectl', 'get', resource, ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    ...(options.labelSelector ? ['--selector', options.labelSelector] : []),
    ...(options.fieldSelector ? ['--field-selector', options.fieldSelector] : []),
    '--output', 'json',
  ];
}

export async function list<T extends KubeObject = KubeObject>(shell: Runner, target: KubeTarget, resource: string, options: ListOptions = {}): Promise<T[]> {
  const result = await shell.run(listArgs(target, resource, options), { kind: 'read' });
  return (JSON.parse(result.stdout) as KubeList<T>).items;
}

/**
 * `kubectl apply --server-side` of manifests given on stdin: idempotent (creates or updates), and the manifest —
 * which may hold Secret values — never touches argv or disk.
 */
export function applyArgs(target: KubeTarget, options: { namespace?: string; fieldManager?: string } = {}): string[] {
  return [
    'kubectl', 'apply', ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    '--server-side', '--field-manager', options.fieldManager ?? 'deckhand', '--force-conflicts',
    '--filename', '-',
  ];
}

export function deleteArgs(target: KubeTarget, resource: string, name: string, options: { namespace?: string; wait?: boolean; timeoutMs?: number } = {}): string[] {
  return [
    'kubectl', 'delete', resource, name, ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    '--ignore-not-found', `--wait=${options.wait ? 'true' : 'false'}`,
    ...(options.timeoutMs ? ['--timeout', toGoDuration(options.timeoutMs)] : []),
  ];
}

export function logsArgs(target: KubeTarget, namespace: string, pod: string, options: { container?: string; follow?: boolean; tail?: number } = {}): string[] {
  return [
    'kubectl', 'logs', pod, ...kubectlTargetArgs(target), '--namespace', namespace,
    ...(options.container ? ['--container', options.container] : []),
    ...(options.follow ? ['--follow'] : []),
    ...(options.tail !== undefined ? ['--tail', String(options.tail)] : []),
  ];
}

export function execArgs(target: KubeTarget, namespace: string, pod: string, command: readonly string[], container?: string): string[] {
  return ['kubectl', 'exec', pod, ...kubectlTargetArgs(target), '--namespace', namespace, ...(container ? ['--container', container] : []), '--', ...command];
}

/** `kubectl cp NS/POD:PATH DEST` — needs tar in the pod's image. */
export function cpArgs(target: KubeTarget, namespace: string, pod: string, remotePath: string, localPath: string, container?: string): string[] {
  return ['kubectl', 'cp', ...kubectlTargetArgs(target), ...(container ? ['--container', container] : []), `${namespace}/${pod}:${remotePath}`, localPath];
}

export function waitArgs(target: KubeTarget, namespace: string, resource: string, condition: string, timeoutMs: number): string[] {
  return ['kubectl', 'wait', resource, ...kubectlTargetArgs(target), '--namespace', namespace, `--for=${condition}`, '--timeout', toGoDuration(timeoutMs)];
}

/**
 * `kubectl get <resource> --field-selector metadata.name=<name> --watch --output-watch-events`: the object's current
 * state, then one JSON event per change, until the process is stopped.
 *
 * A list watch narrowed to one name, not `kubectl get <resource> <name> --watch`: for a single named object kubectl
 * drops the first watch event (it expects a duplicate of what its GET printed), so a change that lands between its
 * GET and its WATCH — a Job completing quickly — would never be shown and the wait would hang.
 */
export function watchArgs(target: KubeTarget, namespace: string, resource: string, name: string): string[] {
  return [...listArgs(target, resource, { namespace, fieldSelector: `metadata.name=${name}` }), '--watch', '--output-watch-events'];
}

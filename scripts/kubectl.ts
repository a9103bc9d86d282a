/**
 * kubectl, wrapped: pure argv builders plus thin runners. Every call names its kubeconfig and context explicitly
 * (kubectlTargetArgs) and reads JSON (`-o json`), never human tables.
 *
 * Long on purpose: every kubectl command deckhand runs is built here, so its argv tests, its dry-run lines and the
 * code that runs it share one source; splitting kubectl across files would hide which flags a command gets.
 */
import { commandFailure, type Runner } from './lib/shell.ts';
import { kubectlTargetArgs, type KubeTarget } from './lib/target.ts';
import { toGoDuration } from './lib/duration.ts';
import { deckhand } from './lib/hints.ts';

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
    generation?: number;
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

/**
 * One context of a kubeconfig as a file of its own: only that context, its cluster and its user (--minify), with the
 * certificates and keys it points to put inline (--flatten) and credentials shown (--raw) — what a CI runner needs.
 * Printed on stdout; nothing is written.
 */
export function configViewMinifiedArgs(kubeconfig: string, context?: string): string[] {
  return [
    'kubectl',
    'config',
    'view',
    '--kubeconfig',
    kubeconfig,
    ...(context ? ['--context', context] : []),
    '--minify',
    '--flatten',
    '--raw',
    '--output',
    'yaml',
  ];
}

/** `kubectl version` against the server: proves the cluster answers (and the credentials work). */
export function serverVersionArgs(target: KubeTarget): string[] {
  return ['kubectl', 'version', ...kubectlTargetArgs(target), '--output', 'json', '--request-timeout', '10s'];
}

export async function serverVersion(shell: Runner, target: KubeTarget): Promise<string> {
  const hint = `Check that the cluster behind ${target.server} is up and that ${target.kubeconfig} is current (${deckhand('kubeconfig')}).`;
  const result = await shell.run(serverVersionArgs(target), {
    kind: 'read',
    timeoutMs: 20_000,
    hint,
    networkHint: hint,
  });
  return (
    (JSON.parse(result.stdout) as { serverVersion?: { gitVersion: string } }).serverVersion?.gitVersion ?? 'unknown'
  );
}

export function getArgs(target: KubeTarget, resource: string, name: string, namespace?: string): string[] {
  return [
    'kubectl',
    'get',
    resource,
    name,
    ...kubectlTargetArgs(target),
    ...(namespace ? ['--namespace', namespace] : []),
    '--ignore-not-found',
    '--output',
    'json',
  ];
}

/** One object, or undefined when it does not exist. */
export async function get<T extends KubeObject = KubeObject>(
  shell: Runner,
  target: KubeTarget,
  resource: string,
  name: string,
  namespace?: string,
): Promise<T | undefined> {
  const result = await shell.run(getArgs(target, resource, name, namespace), { kind: 'read' });
  const text = result.stdout.trim();
  return text ? (JSON.parse(text) as T) : undefined;
}

/** The API path of a core (v1) object: `/api/v1/namespaces/caelundas`, `/api/v1/namespaces/caelundas/secrets/x`. */
export function corePath(resource: string, name: string, namespace?: string): string {
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `/api/v1${scope}/${resource}/${encodeURIComponent(name)}`;
}

export function getByPathArgs(target: KubeTarget, apiPath: string): string[] {
  return ['kubectl', 'get', '--raw', apiPath, ...kubectlTargetArgs(target)];
}

/**
 * One object by its API path, or undefined when the server answers NotFound. A single GET: `kubectl get kind/name`
 * first reads the API's discovery documents (two more round trips whenever its cache is cold — CI, a new machine, a
 * new cluster), which is wasted work for objects whose path is known.
 */
export async function getByPath<T extends KubeObject = KubeObject>(
  shell: Runner,
  target: KubeTarget,
  apiPath: string,
  hint?: string,
): Promise<T | undefined> {
  const result = await shell.run(getByPathArgs(target, apiPath), {
    kind: 'read',
    nothrow: true,
    ...(hint === undefined ? {} : { hint }),
  });
  if (result.exitCode === 0) return JSON.parse(result.stdout) as T;
  if (isNotFound(result.stderr)) return undefined;
  throw commandFailure(shell, result, hint);
}

/** kubectl's wording for a 404 from the API server: `Error from server (NotFound): secrets "x" not found`. */
export function isNotFound(stderr: string): boolean {
  return /^Error from server \(NotFound\)/m.test(stderr);
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export function listArgs(target: KubeTarget, resource: string, options: ListOptions = {}): string[] {
  return [
    'kubectl',
    'get',
    resource,
    ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    ...(options.labelSelector ? ['--selector', options.labelSelector] : []),
    ...(options.fieldSelector ? ['--field-selector', options.fieldSelector] : []),
    '--output',
    'json',
  ];
}

export async function list<T extends KubeObject = KubeObject>(
  shell: Runner,
  target: KubeTarget,
  resource: string,
  options: ListOptions = {},
): Promise<T[]> {
  const result = await shell.run(listArgs(target, resource, options), { kind: 'read' });
  return (JSON.parse(result.stdout) as KubeList<T>).items;
}

/** Names only (`--output name`): for Secrets, whose values need not leave the API server to be counted. */
export function listNamesArgs(target: KubeTarget, resource: string, options: ListOptions = {}): string[] {
  return [...listArgs(target, resource, options).slice(0, -2), '--output', 'name'];
}

/** `secret/a` lines → `['a']`. */
export async function listNames(
  shell: Runner,
  target: KubeTarget,
  resource: string,
  options: ListOptions = {},
): Promise<string[]> {
  const result = await shell.run(listNamesArgs(target, resource, options), { kind: 'read' });
  return result.stdout
    .split('\n')
    .map((line) => line.trim().replace(/^[^/]+\//, ''))
    .filter((line) => line !== '');
}

/**
 * `kubectl apply --server-side` of manifests given on stdin: idempotent (creates or updates), and the manifest —
 * which may hold Secret values — never touches argv or disk.
 */
export function applyArgs(
  target: KubeTarget,
  options: { namespace?: string; fieldManager?: string; output?: 'json' } = {},
): string[] {
  return [
    'kubectl',
    'apply',
    ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    '--server-side',
    '--field-manager',
    options.fieldManager ?? 'deckhand',
    '--force-conflicts',
    // The applied objects as the server stored them (a List): their resourceVersion and generation tell what changed.
    ...(options.output ? ['--output', options.output] : []),
    '--filename',
    '-',
  ];
}

/**
 * A POST of one object, given on stdin, to its collection (`/api/v1/namespaces/NS/secrets`): create-if-absent, so of
 * two runs that want the same name exactly one gets it and the other is told AlreadyExists (isAlreadyExists).
 * `kubectl create --raw` sends exactly that one request; `kubectl create -f` would first spend discovery and OpenAPI
 * round trips on validating the object client-side, which `fieldValidation=Strict` asks the API server to do instead.
 * The created object comes back on stdout, which the caller keeps to itself (it may be a Secret).
 */
export function createRawArgs(target: KubeTarget, collectionPath: string): string[] {
  return [
    'kubectl',
    'create',
    '--raw',
    `${collectionPath}?fieldValidation=Strict`,
    ...kubectlTargetArgs(target),
    '--filename',
    '-',
  ];
}

/** The API path of a core (v1) collection: `/api/v1/namespaces` or `/api/v1/namespaces/NS/secrets`. */
export function coreCollectionPath(resource: string, namespace?: string): string {
  return namespace === undefined
    ? `/api/v1/${resource}`
    : `/api/v1/namespaces/${encodeURIComponent(namespace)}/${resource}`;
}

/** kubectl's wording for a 409 on create: `Error from server (AlreadyExists): secrets "x" already exists`. */
export function isAlreadyExists(stderr: string): boolean {
  return /^Error from server \(AlreadyExists\)/m.test(stderr);
}

export function deleteArgs(
  target: KubeTarget,
  resource: string,
  name: string,
  options: { namespace?: string; wait?: boolean; timeoutMs?: number } = {},
): string[] {
  return [
    'kubectl',
    'delete',
    resource,
    name,
    ...kubectlTargetArgs(target),
    ...(options.namespace ? ['--namespace', options.namespace] : []),
    '--ignore-not-found',
    `--wait=${options.wait ? 'true' : 'false'}`,
    ...(options.timeoutMs ? ['--timeout', toGoDuration(options.timeoutMs)] : []),
  ];
}

export function logsArgs(
  target: KubeTarget,
  namespace: string,
  pod: string,
  options: {
    container?: string;
    follow?: boolean;
    tail?: number;
    previous?: boolean;
    /** Each line prefixed with its RFC 3339 time: what a follow that resumes needs to know where it was. */
    timestamps?: boolean;
    /** Lines from this time on (the API server counts whole seconds). */
    sinceTime?: string;
  } = {},
): string[] {
  return [
    'kubectl',
    'logs',
    pod,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    ...(options.container ? ['--container', options.container] : []),
    ...(options.follow ? ['--follow'] : []),
    ...(options.timestamps ? ['--timestamps'] : []),
    ...(options.sinceTime ? ['--since-time', options.sinceTime] : []),
    // The container run before the last restart: what a crash-looping container printed before it died.
    ...(options.previous ? ['--previous'] : []),
    ...(options.tail !== undefined ? ['--tail', String(options.tail)] : []),
  ];
}

export function execArgs(
  target: KubeTarget,
  namespace: string,
  pod: string,
  command: readonly string[],
  container?: string,
): string[] {
  return execSessionArgs(target, namespace, pod, command, { container });
}

/**
 * `kubectl exec` with stdin (`-i`) and/or a terminal (`-t`). A TTY is for people only: it turns `\n` into `\r\n` and
 * is not binary-clean, so anything whose output is kept (a dump) runs without one.
 */
export function execSessionArgs(
  target: KubeTarget,
  namespace: string,
  pod: string,
  command: readonly string[],
  options: { container?: string; stdin?: boolean; tty?: boolean } = {},
): string[] {
  return [
    'kubectl',
    'exec',
    pod,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    ...(options.container ? ['--container', options.container] : []),
    ...(options.stdin ? ['--stdin'] : []),
    ...(options.tty ? ['--tty'] : []),
    '--',
    ...command,
  ];
}

/**
 * `kubectl port-forward RESOURCE [LOCAL]:REMOTE` on loopback only. Without a local port the kernel picks a free one
 * (kubectl prints it: "Forwarding from 127.0.0.1:PORT -> REMOTE"), so a local Postgres on 5432 is never in the way.
 */
export function portForwardArgs(
  target: KubeTarget,
  namespace: string,
  resource: string,
  remotePort: number,
  localPort?: number,
): string[] {
  return [
    'kubectl',
    'port-forward',
    resource,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    '--address',
    '127.0.0.1',
    `${localPort ?? ''}:${remotePort}`,
  ];
}

/** The local port from kubectl's "Forwarding from 127.0.0.1:54321 -> 5432" line, or undefined for other lines. */
export function parseForwardingLine(line: string): number | undefined {
  const match = /^Forwarding from 127\.0\.0\.1:(\d+) -> \d+/.exec(line.trim());
  return match ? Number(match[1]) : undefined;
}

/** What ends a `kubectl port-forward` that nobody stopped, from its stderr. */
export function portForwardEnding(stderr: string): 'pod-gone' | 'port-taken' | 'other' {
  if (/lost connection to pod|pod is not running|not found/i.test(stderr)) return 'pod-gone';
  if (/address already in use|unable to listen on any of the requested ports/i.test(stderr)) return 'port-taken';
  return 'other';
}

/**
 * `kubectl create token SA --duration D -o json`: a short-lived ServiceAccount token from the TokenRequest API (never
 * a Secret, which would not expire). JSON, so the expiry the server granted is known (it may shorten the duration).
 */
export function createTokenArgs(
  target: KubeTarget,
  namespace: string,
  serviceAccount: string,
  durationMs: number,
): string[] {
  return [
    'kubectl',
    'create',
    'token',
    serviceAccount,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    '--duration',
    toGoDuration(durationMs),
    '--output',
    'json',
  ];
}

/** `kubectl auth can-i VERB RESOURCE --as USER`: answers yes (exit 0) or no (exit 1) on stdout. */
export function authCanIArgs(
  target: KubeTarget,
  verb: string,
  resource: string,
  options: { namespace: string; as: string },
): string[] {
  return [
    'kubectl',
    'auth',
    'can-i',
    verb,
    resource,
    ...kubectlTargetArgs(target),
    '--namespace',
    options.namespace,
    '--as',
    options.as,
  ];
}

/** `kubectl cp NS/POD:PATH DEST` — needs tar in the pod's image. */
export function cpArgs(
  target: KubeTarget,
  namespace: string,
  pod: string,
  remotePath: string,
  localPath: string,
  container?: string,
): string[] {
  return [
    'kubectl',
    'cp',
    ...kubectlTargetArgs(target),
    ...(container ? ['--container', container] : []),
    `${namespace}/${pod}:${remotePath}`,
    localPath,
  ];
}

export function waitArgs(
  target: KubeTarget,
  namespace: string,
  resource: string,
  condition: string,
  timeoutMs: number,
  options: { selector?: string } = {},
): string[] {
  return [
    'kubectl',
    'wait',
    resource,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    `--for=${condition}`,
    '--timeout',
    toGoDuration(timeoutMs),
    ...(options.selector ? ['--selector', options.selector] : []),
  ];
}

/**
 * `kubectl get <resource> --watch --output-watch-events`: the current objects, then one JSON event per change, until
 * the process is stopped.
 */
export function listWatchArgs(target: KubeTarget, resource: string, options: ListOptions = {}): string[] {
  return [...listArgs(target, resource, options), '--watch', '--output-watch-events'];
}

/** The kinds deckhand watches, by the resource name its watches use: what a resumed watch's API path is built from. */
const WATCHED_KINDS: Record<string, { apiVersion: string; kind: string }> = {
  job: { apiVersion: 'batch/v1', kind: 'Job' },
  jobs: { apiVersion: 'batch/v1', kind: 'Job' },
  pods: { apiVersion: 'v1', kind: 'Pod' },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment' },
  replicasets: { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  events: { apiVersion: 'v1', kind: 'Event' },
};

/**
 * A watch resumed where an earlier one ended: `kubectl get --watch` cannot start from a resourceVersion, so this is
 * the collection's watch URL through `kubectl get --raw`, which streams one JSON event per line. The API server
 * answers 410 Gone (before the stream, or as an ERROR event in it) when its history no longer reaches back that far.
 */
export function resumeWatchArgs(
  target: KubeTarget,
  resource: string,
  options: ListOptions & { resourceVersion: string },
): string[] {
  const watched = WATCHED_KINDS[resource];
  if (!watched) throw new Error(`resumeWatchArgs: no API path known for "${resource}"`);
  const query = new URLSearchParams({ watch: 'true', resourceVersion: options.resourceVersion });
  if (options.labelSelector) query.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) query.set('fieldSelector', options.fieldSelector);
  const apiPath = resourcePath({ ...watched, ...(options.namespace ? { namespace: options.namespace } : {}) });
  return getByPathArgs(target, `${apiPath}?${query.toString()}`);
}

/**
 * One object, watched: a list watch narrowed to its name, not `kubectl get <resource> <name> --watch`: for a single
 * named object kubectl drops the first watch event (it expects a duplicate of what its GET printed), so a change that
 * lands between its GET and its WATCH — a Job completing quickly — would never be shown and the wait would hang.
 */
export function watchArgs(target: KubeTarget, namespace: string, resource: string, name: string): string[] {
  return listWatchArgs(target, resource, { namespace, fieldSelector: `metadata.name=${name}` });
}

/** `kubectl patch pv NAME` to a reclaim policy (Delete makes the CSI driver delete the cloud volume and the PV). */
export function patchReclaimPolicyArgs(target: KubeTarget, volume: string, policy: 'Delete' | 'Retain'): string[] {
  return [
    'kubectl',
    'patch',
    'persistentvolume',
    volume,
    ...kubectlTargetArgs(target),
    '--type',
    'merge',
    '--patch',
    JSON.stringify({ spec: { persistentVolumeReclaimPolicy: policy } }),
  ];
}

/**
 * PersistentVolumes are cluster-scoped: a kubeconfig limited to one namespace cannot list them. Callers then simply
 * lack the volume facts instead of failing.
 */
export async function listPersistentVolumes(
  shell: Runner,
  target: KubeTarget,
): Promise<{ ok: true; volumes: KubeObject[] } | { ok: false; error: string }> {
  const result = await shell.run(listArgs(target, 'persistentvolumes'), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0)
    return { ok: false, error: result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}` };
  return { ok: true, volumes: (JSON.parse(result.stdout) as KubeList).items };
}

/** The claim a PersistentVolume is (or was) bound to: it stays on the PV after the claim is deleted. */
export function claimRefOf(volume: KubeObject): { name?: string; namespace?: string } | undefined {
  return (volume.spec as { claimRef?: { name?: string; namespace?: string } } | undefined)?.claimRef;
}

// ─── Resources by API path, and Deployment roll-outs ──────────────────────────────────────────────────────────

/** Kinds without a namespace among those deckhand's manifests may hold. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'IngressClass',
  'CustomResourceDefinition',
  'PriorityClass',
]);

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED.has(kind);
}

/** The resource name the API serves a kind under: Deployment → deployments, NetworkPolicy → networkpolicies. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

/**
 * The API path of a kind's collection in a namespace (or of one object, with `name`): `apps/v1` Deployments in
 * wpp-bot → `/apis/apps/v1/namespaces/wpp-bot/deployments`. Core (`v1`) kinds live under `/api/v1`.
 */
export function resourcePath(ref: { apiVersion: string; kind: string; namespace?: string; name?: string }): string {
  const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
  const scope =
    isClusterScoped(ref.kind) || ref.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(ref.namespace)}`;
  return `${base}${scope}/${pluralOf(ref.kind)}${ref.name === undefined ? '' : `/${encodeURIComponent(ref.name)}`}`;
}

export function rolloutUndoArgs(
  target: KubeTarget,
  namespace: string,
  deployment: string,
  toRevision?: number,
): string[] {
  return [
    'kubectl',
    'rollout',
    'undo',
    `deployment/${deployment}`,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    ...(toRevision === undefined ? [] : [`--to-revision=${toRevision}`]),
  ];
}

/** Sets `kubectl.kubernetes.io/restartedAt` on the pod template: new pods by the Deployment's own strategy. */
export function rolloutRestartArgs(target: KubeTarget, namespace: string, deployment: string): string[] {
  return [
    'kubectl',
    'rollout',
    'restart',
    `deployment/${deployment}`,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
  ];
}

/** `kubectl annotate --overwrite`: a merge patch of metadata only, so it never starts a roll-out. */
export function annotateArgs(
  target: KubeTarget,
  namespace: string,
  resource: string,
  annotations: Readonly<Record<string, string>>,
): string[] {
  return [
    'kubectl',
    'annotate',
    resource,
    ...kubectlTargetArgs(target),
    '--namespace',
    namespace,
    '--overwrite',
    ...Object.entries(annotations).map(([key, value]) => `${key}=${value}`),
  ];
}

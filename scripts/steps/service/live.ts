/**
 * What the cluster holds of a service before its roll-out changes anything: every object of the kinds its manifests
 * hold (one LIST per kind in the namespace, the Namespace itself, the Secrets by name), plus its ReplicaSets (the
 * revisions a failed roll-out goes back to). Each read is one `kubectl get --raw` of an API path — no discovery round
 * trips — and they run side by side, started with the prerequisite checks so their round trips overlap the local
 * work and the image builds.
 */
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { objectKey } from './compare.ts';
import type { Manifest } from './manifests.ts';

export interface ReplicaSetInfo extends Manifest {
  metadata: Manifest['metadata'] & { ownerReferences?: { kind: string; name: string }[]; creationTimestamp?: string };
  spec?: { replicas?: number; template?: { spec?: { containers?: { name: string; image?: string }[] } } };
  status?: { replicas?: number; readyReplicas?: number };
}

export interface LiveState {
  /** By `Kind/name`, for the kinds the manifests hold. */
  objects: Map<string, Manifest>;
  /** The Secrets deckhand writes, by name (undefined: not there). */
  secrets: Record<string, Manifest | undefined>;
  replicaSets: ReplicaSetInfo[];
}

export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface LiveReads {
  /** Settled, never rejected: whoever awaits decides which failure to report. */
  settled: Promise<{ version: PromiseSettledResult<string>; state: PromiseSettledResult<LiveState> }>;
  /** The reads' echo lines (--verbose), kept until the step that uses them shows them. */
  lines: string[];
  stop(): void;
}

const HINT = 'Does your kubeconfig user have permission to read this namespace?';

/** The distinct kinds of these objects (and ReplicaSets), to read once each. */
export function kindsOf(objects: readonly Manifest[]): KindRef[] {
  const kinds = new Map<string, KindRef>([['apps/v1/ReplicaSet', { apiVersion: 'apps/v1', kind: 'ReplicaSet' }]]);
  for (const { apiVersion, kind } of objects)
    if (kind !== 'Secret') kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind });
  return [...kinds.values()];
}

export async function readLive(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  kinds: readonly KindRef[],
  secretNames: readonly string[],
): Promise<LiveState> {
  const [lists, secrets] = await Promise.all([
    Promise.all(kinds.map((kind) => readKind(shell, target, namespace, kind))),
    Promise.all(
      secretNames.map((name) =>
        kubectl.getByPath<Manifest & kubectl.KubeObject>(
          shell,
          target,
          kubectl.corePath('secrets', name, namespace),
          HINT,
        ),
      ),
    ),
  ]);
  const objects = new Map<string, Manifest>();
  for (const item of lists.flat()) objects.set(objectKey(item), item);
  return {
    objects,
    secrets: Object.fromEntries(secretNames.map((name, index) => [name, secrets[index]])),
    replicaSets: lists.flat().filter((item): item is ReplicaSetInfo => item.kind === 'ReplicaSet'),
  };
}

/** One kind's objects in the namespace (a Namespace: that one, when it exists). */
async function readKind(shell: Runner, target: KubeTarget, namespace: string, ref: KindRef): Promise<Manifest[]> {
  if (kubectl.isClusterScoped(ref.kind)) {
    if (ref.kind !== 'Namespace') return [];
    const found = await kubectl.getByPath<Manifest & kubectl.KubeObject>(
      shell,
      target,
      kubectl.resourcePath({ ...ref, name: namespace }),
      HINT,
    );
    return found ? [{ ...found, apiVersion: ref.apiVersion, kind: ref.kind }] : [];
  }
  const list = await kubectl.getByPath<kubectl.KubeObject & { items?: Manifest[] }>(
    shell,
    target,
    kubectl.resourcePath({ ...ref, namespace }),
    HINT,
  );
  // Items of a list carry no apiVersion and kind of their own on a real API server.
  return (list?.items ?? []).map((item) => ({ ...item, apiVersion: ref.apiVersion, kind: ref.kind }));
}

/** The cluster check and the reads, in flight together; `stop` ends them when the run fails before it needs them. */
export function startLiveReads(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  kinds: readonly KindRef[],
  secretNames: readonly string[],
): LiveReads {
  const lines: string[] = [];
  const stopper = new AbortController();
  const reader = shell.withLog((line) => lines.push(line)).withStopSignal(stopper.signal);
  const settled = Promise.allSettled([
    kubectl.serverVersion(reader, target),
    readLive(reader, target, namespace, kinds, secretNames),
  ]).then(([version, state]) => ({ version, state }));
  return { settled, lines, stop: () => stopper.abort() };
}

/** The live state of an empty namespace: what a dry run without a cluster assumes. */
export function nothingLive(): LiveState {
  return { objects: new Map(), secrets: {}, replicaSets: [] };
}

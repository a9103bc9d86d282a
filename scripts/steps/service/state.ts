/**
 * A running service as the cluster reports it, for `status`, `rollback`, `restart` and `logs`: its Deployments,
 * their ReplicaSets (one per revision), its pods and its Ingresses — one LIST each, by API path, side by side — and
 * the revisions of a Deployment read from those ReplicaSets, with the commit each was built from.
 */
import * as kubectl from '../../kubectl.ts';
import { UsageError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { commitOf } from './change-cause.ts';
import { CHANGE_CAUSE, REVISION } from './compare.ts';
import type { ReplicaSetInfo } from './live.ts';
import type { DeploymentLike, ServicePodLike } from './rollout-diagnosis.ts';

export interface DeploymentInfo extends DeploymentLike {
  metadata: DeploymentLike['metadata'] & { creationTimestamp?: string };
  spec?: DeploymentLike['spec'] & {
    paused?: boolean;
    strategy?: { type?: string };
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
}

export interface IngressInfo {
  metadata: { name: string };
  spec?: { tls?: { hosts?: string[] }[]; rules?: { host?: string }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface ServiceState {
  deployments: DeploymentInfo[];
  replicaSets: ReplicaSetInfo[];
  pods: (ServicePodLike & { metadata: { labels?: Record<string, string> } })[];
  ingresses: IngressInfo[];
}

export interface Revision {
  deployment: string;
  revision: number;
  replicaSet: string;
  images: string[];
  commit?: string;
  changeCause?: string;
  /** When the ReplicaSet was made (a revision brought back by an undo keeps its first time). */
  createdAt?: string;
  current: boolean;
}

export async function readServiceState(shell: Runner, target: KubeTarget, namespace: string): Promise<ServiceState> {
  const list = async <T>(apiVersion: string, kind: string): Promise<T[]> => {
    const answer = await kubectl.getByPath<kubectl.KubeObject & { items?: T[] }>(
      shell,
      target,
      kubectl.resourcePath({ apiVersion, kind, namespace }),
      'Does your kubeconfig user have permission to read this namespace?',
    );
    return answer?.items ?? [];
  };
  const [deployments, replicaSets, pods, ingresses] = await Promise.all([
    list<DeploymentInfo>('apps/v1', 'Deployment'),
    list<ReplicaSetInfo>('apps/v1', 'ReplicaSet'),
    list<ServiceState['pods'][number]>('v1', 'Pod'),
    list<IngressInfo>('networking.k8s.io/v1', 'Ingress'),
  ]);
  return { deployments, replicaSets, pods, ingresses };
}

export function ownedBy(
  object: { metadata: { ownerReferences?: { kind: string; name: string }[] } },
  kind: string,
  name: string,
): boolean {
  return object.metadata.ownerReferences?.some((owner) => owner.kind === kind && owner.name === name) ?? false;
}

/** A Deployment's revisions, newest first, from its ReplicaSets. */
export function revisionsOf(deployment: DeploymentInfo, replicaSets: readonly ReplicaSetInfo[]): Revision[] {
  const current = Number(deployment.metadata.annotations?.[REVISION] ?? 0);
  return replicaSets
    .filter((rs) => ownedBy(rs, 'Deployment', deployment.metadata.name) && rs.metadata.annotations?.[REVISION])
    .map((rs): Revision => {
      const images = (rs.spec?.template?.spec?.containers ?? []).map((container) => container.image ?? '?');
      const cause = rs.metadata.annotations?.[CHANGE_CAUSE];
      const revision = Number(rs.metadata.annotations![REVISION]);
      const commit = commitOf(cause, images[0]);
      return {
        deployment: deployment.metadata.name,
        revision,
        replicaSet: rs.metadata.name,
        images,
        ...(commit ? { commit } : {}),
        ...(cause ? { changeCause: cause } : {}),
        ...(rs.metadata.creationTimestamp ? { createdAt: rs.metadata.creationTimestamp } : {}),
        current: revision === current,
      };
    })
    .sort((a, b) => b.revision - a.revision);
}

/** The pods of a Deployment (through its ReplicaSets), newest first. */
export function podsOf(state: ServiceState, deployment: string): ServiceState['pods'] {
  const sets = state.replicaSets.filter((rs) => ownedBy(rs, 'Deployment', deployment)).map((rs) => rs.metadata.name);
  return state.pods
    .filter((pod) => sets.some((rs) => ownedBy(pod, 'ReplicaSet', rs)))
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
}

/** The commands that work on one Deployment of the app refuse a name it does not have (exit 2). */
export function unknownDeployment(app: { name: string; deployments: readonly string[] }, name: string): UsageError {
  return new UsageError(`${app.name} has no Deployment "${name}".`, `Its Deployments: ${app.deployments.join(', ')}.`);
}

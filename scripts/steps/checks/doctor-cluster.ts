/**
 * doctor's checks of the cluster: which kubeconfig, whether only you can read it, whether the cluster answers and
 * kubectl is within one minor version of it (kubectl's supported skew), whether the cluster guard lets deckhand
 * change it, the default StorageClass (deploy's PVCs leave the class empty) and its reclaim policy, and Traefik with
 * its load balancer address. The reads after the first run only when the cluster answers.
 */
import * as kubectl from '../../kubectl.ts';
import { assertManagedTarget } from '../../lib/cluster-guard.ts';
import { readManagedCluster } from '../../lib/cluster-state.ts';
import type { Config } from '../../lib/config.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { Runner } from '../../lib/shell.ts';
import { kubeconfigPermissionProblem, targetBanner, type KubeTarget } from '../../lib/target.ts';
import { readRelease } from '../cluster/chart-release.ts';
import { addressOf } from '../cluster/ingress-dns.ts';
import { TRAEFIK } from '../cluster/ingress-plan.ts';
import { DEPLOYS, minorOf, type CheckResult } from './check.ts';
import { installHint } from './install-hints.ts';
import { PINNED_VERSIONS } from './pinned-tools.ts';

export interface ClusterCheckInput {
  config: Config;
  shell: Runner;
  resolveTarget: (namespace: string) => KubeTarget;
  namespace: string;
  /** kubectl's client version, when it is installed. */
  kubectlVersion?: string;
  /** helm runs (the Traefik check needs it). */
  helm: boolean;
}

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';

export async function clusterChecks(input: ClusterCheckInput): Promise<CheckResult[]> {
  let target: KubeTarget;
  try {
    target = input.resolveTarget(input.namespace);
  } catch (error) {
    if (!(error instanceof DeckhandError)) throw error;
    return [
      {
        name: 'kubeconfig',
        status: 'warn',
        message: error.message,
        ...(error.fix ? { fix: error.fix } : {}),
        blocks: { purposes: DEPLOYS, lack: 'no kubeconfig' },
      },
    ];
  }
  const results: CheckResult[] = [
    { name: 'kubeconfig', status: 'ok', message: `${target.kubeconfig} (from ${target.kubeconfigSource})` },
  ];
  const permissions = kubeconfigPermissionProblem(target.kubeconfig);
  results.push(
    permissions
      ? {
          name: 'kubeconfig mode',
          status: 'warn',
          message: permissions.replace(/ Fix: .*$/, ''),
          fix: `chmod 600 ${target.kubeconfig}`,
        }
      : { name: 'kubeconfig mode', status: 'ok', message: 'only you can read it (no group or other permissions)' },
  );
  results.push(guardCheck(input.config, target));
  let serverVersion: string;
  try {
    serverVersion = await kubectl.serverVersion(input.shell, target);
  } catch (error) {
    results.push({
      name: 'cluster',
      status: 'fail',
      message: `the cluster at ${target.server} does not answer`,
      ...(error instanceof DeckhandError && error.fix ? { fix: error.fix } : {}),
      blocks: { purposes: DEPLOYS, lack: 'the cluster does not answer' },
    });
    return results;
  }
  results.push({ name: 'cluster', status: 'ok', message: `${targetBanner(target)} · Kubernetes ${serverVersion}` });
  if (input.kubectlVersion) results.push(skewCheck(input.kubectlVersion, serverVersion));
  const [storage, traefik] = await Promise.all([
    storageClassCheck(input.shell, target),
    input.helm ? traefikCheck(input.shell, target) : Promise.resolve(undefined),
  ]);
  results.push(storage, ...(traefik ? [traefik] : []));
  return results;
}

/** kubectl supports a server one minor version older or newer than itself. */
export function skewCheck(clientVersion: string, serverVersion: string): CheckResult {
  const client = minorOf(clientVersion);
  const server = minorOf(serverVersion);
  if (!client || !server)
    return { name: 'kubectl skew', status: 'warn', message: `cannot compare ${clientVersion} with ${serverVersion}` };
  const skew = client.minor - server.minor;
  if (client.major === server.major && Math.abs(skew) <= 1)
    return {
      name: 'kubectl skew',
      status: 'ok',
      message: `kubectl ${clientVersion} with a ${server.major}.${server.minor} server (within one minor version)`,
    };
  return {
    name: 'kubectl skew',
    status: 'warn',
    message: `kubectl ${clientVersion} is ${Math.abs(skew)} minor versions ${skew > 0 ? 'newer' : 'older'} than the server (${serverVersion}); kubectl supports one`,
    fix: `Install kubectl ${server.major}.${server.minor} (±1): ${pinnedFits(server) ? installHint('kubectl') : 'https://kubernetes.io/docs/tasks/tools/'}`,
  };
}

/** `tools install` helps only when its kubectl is itself within one minor version of the server. */
function pinnedFits(server: { major: number; minor: number }): boolean {
  const pinned = minorOf(PINNED_VERSIONS.kubectl)!;
  return pinned.major === server.major && Math.abs(pinned.minor - server.minor) <= 1;
}

function guardCheck(config: Config, target: KubeTarget): CheckResult {
  const managed = readManagedCluster(config.stateRoot);
  if (!managed)
    return {
      name: 'cluster guard',
      status: 'warn',
      message: 'no managed cluster recorded: deckhand changes whatever cluster the kubeconfig names',
      fix: `Record the project's cluster with ${deckhand('kubeconfig')} (it writes .deckhand/cluster.json)`,
    };
  try {
    assertManagedTarget(target, managed);
  } catch (error) {
    if (!(error instanceof DeckhandError)) throw error;
    return {
      name: 'cluster guard',
      status: 'fail',
      message: `the target ${target.server} is not the managed cluster "${managed.label}" (${managed.server}): deploy would refuse it`,
      ...(error.fix ? { fix: error.fix } : {}),
      blocks: { purposes: DEPLOYS, lack: 'the target is not the managed cluster' },
    };
  }
  return {
    name: 'cluster guard',
    status: 'ok',
    message: target.explicit
      ? `target named on the command line (the managed cluster is "${managed.label}")`
      : `the target is the managed cluster "${managed.label}"`,
  };
}

async function storageClassCheck(shell: Runner, target: KubeTarget): Promise<CheckResult> {
  const name = 'storage class';
  let classes: (kubectl.KubeObject & { reclaimPolicy?: string; provisioner?: string })[];
  try {
    classes = await kubectl.list(shell, target, 'storageclasses');
  } catch (error) {
    return {
      name,
      status: 'warn',
      message: `could not list StorageClasses (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`,
    };
  }
  const defaults = classes.filter((sc) => sc.metadata.annotations?.[DEFAULT_CLASS] === 'true');
  if (defaults.length === 0)
    return {
      name,
      status: 'fail',
      message: `no default StorageClass (the cluster has ${classes.map((sc) => sc.metadata.name).join(', ') || 'none'}): a Job's PVC would stay Pending`,
      fix: `Mark one as the default: kubectl annotate storageclass NAME ${DEFAULT_CLASS}=true (on LKE: linode-block-storage-retain)`,
      blocks: { purposes: DEPLOYS, lack: 'no default StorageClass' },
    };
  const chosen = defaults[0]!;
  const policy = chosen.reclaimPolicy ?? 'Delete';
  return {
    name,
    status: 'ok',
    message:
      `${chosen.metadata.name} (default, reclaim ${policy})` +
      (policy === 'Retain'
        ? ': a volume outlives its PVC and is billed until deleted (`uninstall` offers to delete it)'
        : ': a volume is deleted with its PVC'),
  };
}

async function traefikCheck(shell: Runner, target: KubeTarget): Promise<CheckResult> {
  const name = 'traefik';
  const release = await readRelease(shell, target, TRAEFIK.namespace, TRAEFIK.release, TRAEFIK.chartName).catch(
    () => undefined,
  );
  if (!release)
    return {
      name,
      status: 'warn',
      message: 'Traefik is not installed (the web services need it; Job apps do not)',
      fix: `${deckhand('ingress', 'install')}`,
    };
  const service = await kubectl
    .getByPath(shell, target, kubectl.corePath('services', TRAEFIK.service, TRAEFIK.namespace))
    .catch(() => undefined);
  const address = addressOf(service);
  const version = `Traefik chart ${release.chartVersion}, ${release.status}`;
  if (!address)
    return {
      name,
      status: 'warn',
      message: `${version}, but its Service has no load balancer address yet`,
      fix: `kubectl -n ${TRAEFIK.namespace} describe service ${TRAEFIK.service} (what the cloud controller says), then ${deckhand('ingress', 'status')}`,
    };
  const outdated = release.chartVersion === TRAEFIK.chartVersion ? '' : ` (deckhand pins ${TRAEFIK.chartVersion})`;
  return {
    name,
    status: outdated ? 'warn' : 'ok',
    message: `${version}${outdated}, address ${[address.ip, address.hostname].filter(Boolean).join(' · ')}`,
    ...(outdated ? { fix: deckhand('ingress', 'install') } : {}),
  };
}

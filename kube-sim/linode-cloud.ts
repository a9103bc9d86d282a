/**
 * What Linode's own controllers do in an LKE cluster, as far as tests need to script it:
 * - the cloud controller manager gives a Service of type LoadBalancer a NodeBalancer: after a delay, its status
 *   carries the IPv4 and the NodeBalancer's hostname (only the hostname with the annotation
 *   `service.beta.kubernetes.io/linode-loadbalancer-hostname-only-ingress: "true"`); or, when scripted, never;
 * - the Linode CSI driver deletes the Block Storage volume of a Released PersistentVolume whose reclaim policy is
 *   Delete (then the PV goes); a Retain volume stays. Deletion can be scripted to fail.
 */
import { getPath } from './json.ts';
import type { KubeObject } from './types.ts';

export interface LoadBalancerMatch {
  namespace?: string;
  name?: string;
}

export interface LoadBalancerBehavior {
  /** `never`: the NodeBalancer is never ready (the Service stays `<pending>`, a Warning event says why). */
  outcome?: 'assign' | 'never';
  /** Delay before the address shows (default: the simulator's `loadBalancerMs` timing). */
  delayMs?: number;
  ip?: string;
  hostname?: string;
}

/** A NodeBalancer the simulated cloud controller made. */
export interface NodeBalancerRecord {
  namespace: string;
  service: string;
  ip: string;
  hostname: string;
}

export interface VolumeDeletionBehavior {
  outcome: 'delete' | 'fail';
  /** The error the driver reports when deletion fails. */
  message?: string;
}

/** A Linode Block Storage volume the simulated CSI driver deleted. */
export interface DeletedVolumeRecord {
  persistentVolume: string;
  volumeHandle: string;
  /** The Linode volume id (the number before the first `-` of the CSI volume handle). */
  linodeVolumeId: number;
}

export const HOSTNAME_ONLY_ANNOTATION = 'service.beta.kubernetes.io/linode-loadbalancer-hostname-only-ingress';

export class LinodeCloud {
  readonly nodeBalancers: NodeBalancerRecord[] = [];
  readonly deletedVolumes: DeletedVolumeRecord[] = [];
  private readonly loadBalancerRules: Array<{ match: LoadBalancerMatch; behavior: LoadBalancerBehavior }> = [];
  private volumeDeletion: VolumeDeletionBehavior = { outcome: 'delete' };
  private nextAddress = 10;

  setLoadBalancerBehavior(match: LoadBalancerMatch, behavior: LoadBalancerBehavior): void {
    this.loadBalancerRules.push({ match, behavior });
  }

  loadBalancerBehavior(service: KubeObject): LoadBalancerBehavior {
    let merged: LoadBalancerBehavior = {};
    for (const { match, behavior } of this.loadBalancerRules) {
      if (match.namespace !== undefined && match.namespace !== service.metadata.namespace) continue;
      if (match.name !== undefined && match.name !== service.metadata.name) continue;
      merged = { ...merged, ...behavior };
    }
    return merged;
  }

  /** The ingress entries of a new NodeBalancer for the Service, recorded. */
  provisionNodeBalancer(service: KubeObject, behavior: LoadBalancerBehavior): Array<Record<string, string>> {
    this.nextAddress += 1;
    const ip = behavior.ip ?? `172.236.${Math.floor(this.nextAddress / 250)}.${(this.nextAddress % 250) + 1}`;
    const hostname = behavior.hostname ?? `nb-${ip.replace(/\./g, '-')}.chicago.nodebalancer.linode.com`;
    this.nodeBalancers.push({
      namespace: service.metadata.namespace ?? '',
      service: service.metadata.name ?? '',
      ip,
      hostname,
    });
    const hostnameOnly = service.metadata.annotations?.[HOSTNAME_ONLY_ANNOTATION] === 'true';
    return [hostnameOnly ? { hostname } : { ip, hostname, ipMode: 'VIP' }];
  }

  setVolumeDeletion(behavior: VolumeDeletionBehavior): void {
    this.volumeDeletion = behavior;
  }

  /** Deletes the Linode volume behind a PV; returns the driver's error when scripted to fail. */
  deleteVolume(pv: KubeObject): string | undefined {
    const volumeHandle = String(getPath(pv, 'spec.csi.volumeHandle') ?? '');
    if (this.volumeDeletion.outcome === 'fail') {
      return (
        this.volumeDeletion.message ??
        `rpc error: code = Internal desc = failed to delete volume ${volumeHandle}: [500] Internal Server Error`
      );
    }
    this.deletedVolumes.push({
      persistentVolume: pv.metadata.name ?? '',
      volumeHandle,
      linodeVolumeId: Number.parseInt(volumeHandle.split('-')[0] ?? '', 10),
    });
    return undefined;
  }
}

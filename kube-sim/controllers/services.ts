/**
 * Services of type LoadBalancer get a NodeBalancer's IPv4 and hostname after a short delay, as LKE's cloud controller
 * manager gives them (scriptable: see LinodeCloud); `helm --wait` (kstatus) waits for that ingress entry.
 */
import { clone, getPath } from '../json.ts';
import { LinodeCloud } from '../linode-cloud.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const SERVICE = typeFor('v1', 'Service');
const SOURCE = { component: 'service-controller' };

export class ServiceController implements Controller {
  readonly name = 'service-controller';
  private readonly ctx: ControllerContext;
  private readonly cloud: LinodeCloud;
  private readonly pending = new Set<string>();

  constructor(ctx: ControllerContext, cloud: LinodeCloud = new LinodeCloud()) {
    this.ctx = ctx;
    this.cloud = cloud;
  }

  handle(event: StoreEvent): void {
    const svc = event.object;
    if (svc.kind !== 'Service' || event.type === 'DELETED') return;
    if (getPath(svc, 'spec.type') !== 'LoadBalancer' || getPath(svc, 'status.loadBalancer.ingress') !== undefined)
      return;
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const uid = svc.metadata.uid ?? '';
    if (this.pending.has(uid)) return;
    this.pending.add(uid);
    const behavior = this.cloud.loadBalancerBehavior(svc);
    this.ctx.events.record(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', SOURCE);
    this.ctx.timers.after(
      behavior.delayMs ?? this.ctx.timings.loadBalancerMs,
      `load balancer ${namespace}/${name}`,
      () => {
        this.pending.delete(uid);
        const current = this.ctx.registry.find(SERVICE, namespace, name);
        if (!current || current.metadata.uid !== uid || getPath(current, 'status.loadBalancer.ingress') !== undefined)
          return;
        if (behavior.outcome === 'never') {
          // The cloud controller retries for ever; one Warning says why the address does not come.
          this.pending.add(uid);
          this.ctx.events.record(
            current,
            'Warning',
            'SyncLoadBalancerFailed',
            'Error syncing load balancer: failed to ensure load balancer: [400] NodeBalancer could not be created (kube-sim: scripted to never get an address)',
            SOURCE,
          );
          return;
        }
        const next = clone(current);
        next['status'] = { loadBalancer: { ingress: this.cloud.provisionNodeBalancer(current, behavior) } };
        const updated = this.ctx.registry.writeStatus(SERVICE, next);
        if (updated) this.ctx.events.record(updated, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', SOURCE);
      },
    );
  }
}

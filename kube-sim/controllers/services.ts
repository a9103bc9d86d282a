/**
 * Services of type LoadBalancer get an external IP after a short delay, as LKE's cloud controller manager gives them
 * a NodeBalancer; `helm --wait` (kstatus) waits for that ingress entry.
 */
import { clone, getPath } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const SERVICE = typeFor('v1', 'Service');
const SOURCE = { component: 'service-controller' };

export class ServiceController implements Controller {
  readonly name = 'service-controller';
  private readonly ctx: ControllerContext;
  private nextAddress = 10;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const svc = event.object;
    if (svc.kind !== 'Service' || event.type === 'DELETED') return;
    if (getPath(svc, 'spec.type') !== 'LoadBalancer' || getPath(svc, 'status.loadBalancer.ingress') !== undefined) return;
    const namespace = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    this.ctx.events.record(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer', SOURCE);
    this.ctx.timers.after(this.ctx.timings.loadBalancerMs, `load balancer ${namespace}/${name}`, () => {
      const current = this.ctx.registry.find(SERVICE, namespace, name);
      if (!current || current.metadata.uid !== svc.metadata.uid || getPath(current, 'status.loadBalancer.ingress') !== undefined) return;
      this.nextAddress += 1;
      const next = clone(current);
      next['status'] = { loadBalancer: { ingress: [{ ip: `172.236.0.${this.nextAddress % 250}`, ipMode: 'VIP' }] } };
      const updated = this.ctx.registry.writeStatus(SERVICE, next);
      if (updated) this.ctx.events.record(updated, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer', SOURCE);
    });
  }
}

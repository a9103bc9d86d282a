/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods (creating from the template, deleting not-ready and
 * newest first), and writes the status the deployment controller counts: replicas, ready, and available (Ready for
 * at least `minReadySeconds`). Pods of a Deployment get the behaviour scripted with `setDeploymentBehavior`.
 */
import { servicePlan } from '../behaviors.ts';
import { clone, getPath, isPlainObject } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { controlledBy, isActivePod, readySince, replicasOf } from './deployment-util.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const REPLICA_SET = typeFor('apps/v1', 'ReplicaSet');
const POD = typeFor('v1', 'Pod');
const SOURCE = { component: 'replicaset-controller' };

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset-controller';
  private readonly ctx: ControllerContext;
  /** Pending re-checks of pods that will count as available once minReadySeconds have passed. */
  private readonly availabilityTimers = new Map<string, () => void>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    const namespace = obj.metadata.namespace ?? '';
    if (obj.kind === 'ReplicaSet') {
      if (event.type === 'DELETED') {
        this.availabilityTimers.get(obj.metadata.uid ?? '')?.();
        this.availabilityTimers.delete(obj.metadata.uid ?? '');
      } else this.reconcile(namespace, obj.metadata.name ?? '');
    } else if (obj.kind === 'Pod') {
      for (const ref of obj.metadata.ownerReferences ?? [])
        if (ref.kind === 'ReplicaSet' && ref.controller) this.reconcile(namespace, ref.name);
    }
  }

  private reconcile(namespace: string, name: string): void {
    const rs = this.ctx.registry.find(REPLICA_SET, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const pods = this.ctx.registry.list(POD, { namespace }).filter((p) => controlledBy(p, rs));
    const active = pods.filter(isActivePod);
    const desired = replicasOf(rs);
    if (active.length < desired) {
      for (let i = active.length; i < desired; i += 1) active.push(this.createPod(rs));
    } else if (active.length > desired) {
      // Unready pods go first, then the newest, as the real controller ranks them.
      const victims = [...active].sort(
        (a, b) =>
          Number(readySince(a) !== undefined) - Number(readySince(b) !== undefined) ||
          String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
      );
      for (const pod of victims.slice(0, active.length - desired)) {
        this.ctx.registry.delete(POD, namespace, pod.metadata.name ?? '', {});
        this.ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`, SOURCE);
      }
    }
    const current = this.ctx.registry.list(POD, { namespace }).filter((p) => controlledBy(p, rs) && isActivePod(p));
    const minReadyMs = Number(getPath(rs, 'spec.minReadySeconds') ?? 0) * 1000;
    const now = Date.now();
    const readyTimes = current.map(readySince).filter((t): t is number => t !== undefined);
    const available = readyTimes.filter((t) => t + minReadyMs <= now).length;
    this.scheduleAvailabilityCheck(
      rs,
      readyTimes.filter((t) => t + minReadyMs > now).map((t) => t + minReadyMs - now),
    );
    this.ctx.registry.writeStatus(REPLICA_SET, {
      ...rs,
      status: {
        replicas: current.length,
        fullyLabeledReplicas: current.length,
        readyReplicas: readyTimes.length,
        availableReplicas: available,
        observedGeneration: rs.metadata.generation ?? 1,
      },
    });
  }

  private scheduleAvailabilityCheck(rs: KubeObject, waits: number[]): void {
    const uid = rs.metadata.uid ?? '';
    this.availabilityTimers.get(uid)?.();
    this.availabilityTimers.delete(uid);
    if (waits.length === 0) return;
    const namespace = rs.metadata.namespace ?? '';
    const name = rs.metadata.name ?? '';
    this.availabilityTimers.set(
      uid,
      this.ctx.timers.after(Math.min(...waits) + 5, `replicaset minReadySeconds ${namespace}/${name}`, () =>
        this.reconcile(namespace, name),
      ),
    );
  }

  private createPod(rs: KubeObject): KubeObject {
    const namespace = rs.metadata.namespace ?? 'default';
    const name = rs.metadata.name ?? '';
    const template = getPath(rs, 'spec.template');
    const meta = isPlainObject(template) && isPlainObject(template['metadata']) ? template['metadata'] : {};
    const pod = this.ctx.registry.create(POD, namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${name}-`,
        labels: { ...(isPlainObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : {}) },
        ...(isPlainObject(meta['annotations']) ? { annotations: meta['annotations'] as Record<string, string> } : {}),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name,
            uid: rs.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: clone(isPlainObject(template) ? template['spec'] : {}),
    });
    const deploymentName =
      (rs.metadata.ownerReferences ?? []).find((r) => r.kind === 'Deployment' && r.controller)?.name ?? name;
    const containers = getPath(pod, 'spec.containers');
    const image =
      Array.isArray(containers) && isPlainObject(containers[0]) ? String(containers[0]['image'] ?? '') : undefined;
    const behaviors = this.ctx.behaviors;
    behaviors.assign(namespace, pod.metadata.name ?? '', {
      deploymentName,
      planFor: () => servicePlan(behaviors.forService(namespace, deploymentName, image)),
    });
    this.ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, SOURCE);
    return pod;
  }
}

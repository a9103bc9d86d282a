/**
 * Deployments and ReplicaSets. A Deployment owns one ReplicaSet per pod template (named by a template hash, with a
 * revision annotation); a changed template (`kubectl rollout restart`, a new image) creates a new ReplicaSet whose
 * pods must become Ready before the old ones are scaled down. Status carries what `kubectl rollout status` and
 * kstatus (`helm --wait`) read: observedGeneration, replica counts, and the Available/Progressing conditions,
 * including ProgressDeadlineExceeded when pods never become Ready.
 */
import { createHash } from 'node:crypto';
import { clone, getPath, isPlainObject, timestamp } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const DEPLOYMENT = typeFor('apps/v1', 'Deployment');
const REPLICA_SET = typeFor('apps/v1', 'ReplicaSet');
const POD = typeFor('v1', 'Pod');
const REVISION = 'deployment.kubernetes.io/revision';
const HASH_LABEL = 'pod-template-hash';

type Obj = Record<string, unknown>;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(canonical(template))).digest();
  return [...digest.subarray(0, 10)].map((b) => SAFE[b % SAFE.length]).join('');
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.controller === true);
}

function isReady(pod: KubeObject): boolean {
  const conditions = getPath(pod, 'status.conditions');
  return Array.isArray(conditions) && conditions.some((c) => isPlainObject(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

function maxUnavailable(deployment: KubeObject, replicas: number): number {
  if (getPath(deployment, 'spec.strategy.type') !== 'RollingUpdate') return 0;
  const raw = getPath(deployment, 'spec.strategy.rollingUpdate.maxUnavailable') ?? '25%';
  if (typeof raw === 'number') return raw;
  const percent = /^(\d+)%$/.exec(String(raw));
  return percent ? Math.floor((replicas * Number(percent[1])) / 100) : 0;
}

function condition(type: string, status: 'True' | 'False', reason: string, message: string, previous: Obj[]): Obj {
  const old = previous.find((c) => c['type'] === type);
  const now = timestamp();
  const same = old && old['status'] === status && old['reason'] === reason;
  return { type, status, lastUpdateTime: same ? old['lastUpdateTime'] : now, lastTransitionTime: old && old['status'] === status ? old['lastTransitionTime'] : now, reason, message };
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly ctx: ControllerContext;
  /** When each deployment last made progress, for progressDeadlineSeconds. */
  private readonly progress = new Map<string, { signature: string; at: number; cancel?: () => void }>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    const namespace = obj.metadata.namespace ?? '';
    if (obj.kind === 'Deployment') {
      if (event.type === 'DELETED') this.progress.get(obj.metadata.uid ?? '')?.cancel?.();
      else this.reconcileDeployment(namespace, obj.metadata.name ?? '');
    } else if (obj.kind === 'ReplicaSet') {
      if (event.type !== 'DELETED') this.reconcileReplicaSet(namespace, obj.metadata.name ?? '');
      for (const ref of obj.metadata.ownerReferences ?? []) if (ref.kind === 'Deployment') this.reconcileDeployment(namespace, ref.name);
    } else if (obj.kind === 'Pod') {
      for (const ref of obj.metadata.ownerReferences ?? []) if (ref.kind === 'ReplicaSet') this.reconcileReplicaSet(namespace, ref.name);
    }
  }

  private reconcileReplicaSet(namespace: string, name: string): void {
    const rs = this.ctx.registry.find(REPLICA_SET, namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const pods = this.ctx.registry.list(POD, { namespace }).filter((p) => ownedBy(p, rs));
    const active = pods.filter((p) => !p.metadata.deletionTimestamp && getPath(p, 'status.phase') !== 'Failed' && getPath(p, 'status.phase') !== 'Succeeded');
    const desired = num(getPath(rs, 'spec.replicas'), 1);
    const source = { component: 'replicaset-controller' };
    if (active.length < desired) {
      for (let i = active.length; i < desired; i += 1) {
        const template = getPath(rs, 'spec.template');
        const meta = isPlainObject(template) && isPlainObject(template['metadata']) ? template['metadata'] : {};
        const pod = this.ctx.registry.create(POD, namespace, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: `${name}-`,
            labels: { ...(isPlainObject(meta['labels']) ? (meta['labels'] as Record<string, string>) : {}) },
            ...(isPlainObject(meta['annotations']) ? { annotations: meta['annotations'] as Record<string, string> } : {}),
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: rs.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
          },
          spec: clone(isPlainObject(template) ? template['spec'] : {}),
        });
        active.push(pod);
        this.ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, source);
      }
    } else if (active.length > desired) {
      // Not-ready and newer pods go first, as the real controller prefers.
      const victims = [...active].sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
      for (const pod of victims.slice(0, active.length - desired)) {
        this.ctx.registry.delete(POD, namespace, pod.metadata.name ?? '', {});
        this.ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`, source);
      }
    }
    const current = pods.filter((p) => !p.metadata.deletionTimestamp && getPath(p, 'status.phase') !== 'Failed' && getPath(p, 'status.phase') !== 'Succeeded');
    const ready = current.filter(isReady).length;
    this.ctx.registry.writeStatus(REPLICA_SET, {
      ...rs,
      status: {
        replicas: current.length,
        fullyLabeledReplicas: current.length,
        readyReplicas: ready,
        availableReplicas: ready,
        terminatingReplicas: pods.filter((p) => p.metadata.deletionTimestamp).length,
        observedGeneration: rs.metadata.generation ?? 1,
      },
    });
  }

  private reconcileDeployment(namespace: string, name: string): void {
    const deployment = this.ctx.registry.find(DEPLOYMENT, namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp) return;
    const replicas = num(getPath(deployment, 'spec.replicas'), 1);
    const template = getPath(deployment, 'spec.template');
    const hash = templateHash(template);
    const owned = this.ctx.registry.list(REPLICA_SET, { namespace }).filter((rs) => ownedBy(rs, deployment));
    const maxRevision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0)));
    const source = { component: 'deployment-controller' };
    let newRs = owned.find((rs) => rs.metadata.labels?.[HASH_LABEL] === hash);
    let justCreated = false;
    if (!newRs) {
      const rsName = `${name}-${hash}`;
      const templateObj = clone(isPlainObject(template) ? template : {});
      const templateMeta = isPlainObject(templateObj['metadata']) ? templateObj['metadata'] : {};
      templateMeta['labels'] = { ...(isPlainObject(templateMeta['labels']) ? templateMeta['labels'] : {}), [HASH_LABEL]: hash };
      templateObj['metadata'] = templateMeta;
      const selector = clone(getPath(deployment, 'spec.selector')) as Obj;
      selector['matchLabels'] = { ...(isPlainObject(selector['matchLabels']) ? selector['matchLabels'] : {}), [HASH_LABEL]: hash };
      newRs = this.ctx.registry.create(REPLICA_SET, namespace, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: rsName,
          labels: templateMeta['labels'] as Record<string, string>,
          annotations: { 'deployment.kubernetes.io/desired-replicas': String(replicas), 'deployment.kubernetes.io/max-replicas': String(replicas + 1), [REVISION]: String(maxRevision + 1) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: deployment.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        spec: { replicas, selector, template: templateObj },
      });
      justCreated = true;
      if (replicas > 0) this.ctx.events.record(deployment, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} from 0 to ${replicas}`, source);
    } else {
      const rsReplicas = num(getPath(newRs, 'spec.replicas'), 1);
      const isLatest = Number(newRs.metadata.annotations?.[REVISION] ?? 0) === maxRevision;
      if (rsReplicas !== replicas || !isLatest) {
        const scaled = clone(newRs);
        (scaled['spec'] as Obj)['replicas'] = replicas;
        scaled.metadata.annotations = { ...scaled.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': String(replicas), ...(isLatest ? {} : { [REVISION]: String(maxRevision + 1) }) };
        newRs = this.ctx.registry.writeInternal(REPLICA_SET, scaled) ?? newRs;
        if (rsReplicas !== replicas) this.ctx.events.record(deployment, 'Normal', 'ScalingReplicaSet', `Scaled ${replicas > rsReplicas ? 'up' : 'down'} replica set ${newRs.metadata.name ?? ''} from ${rsReplicas} to ${replicas}`, source);
      }
    }
    const newAvailable = num(getPath(newRs, 'status.availableReplicas'));
    const oldSets = owned.filter((rs) => rs.metadata.uid !== newRs?.metadata.uid);
    if (newAvailable >= replicas) {
      for (const old of oldSets) {
        const oldReplicas = num(getPath(old, 'spec.replicas'), 1);
        if (oldReplicas === 0) continue;
        const scaled = clone(old);
        (scaled['spec'] as Obj)['replicas'] = 0;
        this.ctx.registry.writeInternal(REPLICA_SET, scaled);
        this.ctx.events.record(deployment, 'Normal', 'ScalingReplicaSet', `Scaled down replica set ${old.metadata.name ?? ''} from ${oldReplicas} to 0`, source);
      }
    }
    const revision = newRs.metadata.annotations?.[REVISION];
    if (revision && deployment.metadata.annotations?.[REVISION] !== revision) {
      const annotated = clone(deployment);
      annotated.metadata.annotations = { ...annotated.metadata.annotations, [REVISION]: revision };
      this.ctx.registry.writeInternal(DEPLOYMENT, annotated);
    }
    this.writeDeploymentStatus(namespace, name, newRs, justCreated);
  }

  private writeDeploymentStatus(namespace: string, name: string, newRs: KubeObject, justCreated: boolean): void {
    const deployment = this.ctx.registry.find(DEPLOYMENT, namespace, name);
    if (!deployment) return;
    const replicas = num(getPath(deployment, 'spec.replicas'), 1);
    const sets = this.ctx.registry.list(REPLICA_SET, { namespace }).filter((rs) => ownedBy(rs, deployment));
    const sum = (field: string): number => sets.reduce((n, rs) => n + num(getPath(rs, `status.${field}`)), 0);
    const total = sum('replicas');
    const ready = sum('readyReplicas');
    const available = sum('availableReplicas');
    const updated = num(getPath(sets.find((rs) => rs.metadata.uid === newRs.metadata.uid), 'status.replicas'));
    const previous = (getPath(deployment, 'status.conditions') as unknown[] | undefined ?? []).filter(isPlainObject);
    const rsName = newRs.metadata.name ?? '';
    const complete = updated === replicas && available >= replicas && total === replicas;
    const uid = deployment.metadata.uid ?? '';
    const signature = `${total}/${updated}/${ready}/${available}/${rsName}`;
    let tracked = this.progress.get(uid);
    if (!tracked || tracked.signature !== signature) {
      tracked?.cancel?.();
      tracked = { signature, at: Date.now() };
      this.progress.set(uid, tracked);
    }
    const deadlineSeconds = num(getPath(deployment, 'spec.progressDeadlineSeconds'), 600);
    const timedOut = !complete && Date.now() - tracked.at >= deadlineSeconds * 1000;
    if (!complete && !timedOut && !tracked.cancel) {
      tracked.cancel = this.ctx.timers.after(tracked.at + deadlineSeconds * 1000 - Date.now(), `deployment deadline ${namespace}/${name}`, () => {
        const current = this.progress.get(uid);
        if (current) current.cancel = undefined;
        this.writeDeploymentStatus(namespace, name, newRs, false);
      });
    }
    const availableCondition =
      available >= replicas - maxUnavailable(deployment, replicas)
        ? condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.', previous)
        : condition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.', previous);
    const progressing = timedOut
      ? condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`, previous)
      : complete
        ? condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`, previous)
        : justCreated
          ? condition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, previous)
          : condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, previous);
    const status: Obj = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: total,
      updatedReplicas: updated,
      readyReplicas: ready,
      availableReplicas: available,
      ...(replicas - available > 0 ? { unavailableReplicas: replicas - available } : {}),
      conditions: [availableCondition, progressing],
    };
    this.ctx.registry.writeStatus(DEPLOYMENT, { ...deployment, status });
  }
}

/**
 * The deployment controller, after the real one (`pkg/controller/deployment`): one ReplicaSet per pod template,
 * named by a template hash and numbered by `deployment.kubernetes.io/revision` (a template seen before — `rollout
 * undo` — brings its old ReplicaSet back under a new revision, the old numbers kept in `revision-history`); the
 * Deployment's annotations, `kubernetes.io/change-cause` among them, copied onto the new ReplicaSet; RollingUpdate
 * within maxSurge/maxUnavailable and Recreate (old pods gone before new ones start); `paused`; pruning to
 * `revisionHistoryLimit`; and the status the real controller writes, with the Available and Progressing conditions
 * and their real reasons, ProgressDeadlineExceeded included.
 *
 * Long on purpose: one controller's reconcile loop, as the real one keeps it together; its steps (ReplicaSet per
 * template, scaling within the surge limits, status and conditions) read and write the same in-flight state.
 */
import { clone, getPath, isPlainObject } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import {
  controlledBy,
  DESIRED_REPLICAS,
  equalIgnoreHash,
  fenceposts,
  findCondition,
  HASH_LABEL,
  maxUnavailable,
  MAX_REPLICAS,
  newCondition,
  num,
  removeCondition,
  replicasOf,
  REVISION,
  revisionOf,
  setCondition,
  setNewReplicaSetAnnotations,
  sumOver,
  templateHash,
} from './deployment-util.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const DEPLOYMENT = typeFor('apps/v1', 'Deployment');
const REPLICA_SET = typeFor('apps/v1', 'ReplicaSet');
const POD = typeFor('v1', 'Pod');
const SOURCE = { component: 'deployment-controller' };
// progressDeadlineSeconds at MaxInt32 means "no deadline" (`HasProgressDeadline`).
const NO_DEADLINE = 2147483647;

type Obj = Record<string, unknown>;

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly ctx: ControllerContext;
  /** Re-checks of Deployments that may pass their progress deadline (`requeueStuckDeployment`). */
  private readonly deadlines = new Map<string, { at: number; cancel: () => void }>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    const namespace = obj.metadata.namespace ?? '';
    if (obj.kind === 'Deployment') {
      if (event.type === 'DELETED') this.clearDeadline(obj.metadata.uid ?? '');
      else this.reconcile(namespace, obj.metadata.name ?? '');
    } else if (obj.kind === 'ReplicaSet') {
      for (const ref of obj.metadata.ownerReferences ?? [])
        if (ref.kind === 'Deployment' && ref.controller) this.reconcile(namespace, ref.name);
    } else if (obj.kind === 'Pod') {
      // Recreate waits for old pods to be gone, which their ReplicaSet's status does not always show.
      for (const ref of obj.metadata.ownerReferences ?? []) {
        if (ref.kind !== 'ReplicaSet' || !ref.controller) continue;
        const rs = this.ctx.registry.find(REPLICA_SET, namespace, ref.name);
        const owner = rs?.metadata.ownerReferences?.find((r) => r.kind === 'Deployment' && r.controller);
        if (owner) this.reconcile(namespace, owner.name);
      }
    }
  }

  private clearDeadline(uid: string): void {
    this.deadlines.get(uid)?.cancel();
    this.deadlines.delete(uid);
  }

  private reconcile(namespace: string, name: string): void {
    const deployment = this.ctx.registry.find(DEPLOYMENT, namespace, name);
    if (!deployment || deployment.metadata.deletionTimestamp) return;
    const sets = this.ctx.registry.list(REPLICA_SET, { namespace }).filter((rs) => controlledBy(rs, deployment));
    if (getPath(deployment, 'spec.paused') === true) return this.syncPaused(deployment, sets);
    if (getPath(deployment, 'spec.strategy.type') === 'Recreate') return this.rolloutRecreate(deployment, sets);
    return this.rolloutRolling(deployment, sets);
  }

  private rolloutRolling(initial: KubeObject, sets: KubeObject[]): void {
    let { deployment, newRs, oldSets } = this.syncRevision(initial, sets, true);
    if (!newRs) return;
    const all = [...oldSets, newRs];
    if (this.reconcileNewReplicaSet(deployment, all, newRs)) return this.syncRolloutStatus(deployment, newRs);
    if (this.reconcileOldReplicaSets(deployment, all, oldSets, newRs)) return this.syncRolloutStatus(deployment, newRs);
    if (this.isComplete(deployment, isPlainObject(deployment['status']) ? deployment['status'] : {}))
      this.cleanup(deployment, oldSets);
    ({ deployment, newRs } = this.refresh(deployment, newRs));
    this.syncRolloutStatus(deployment, newRs);
  }

  private rolloutRecreate(initial: KubeObject, sets: KubeObject[]): void {
    let { deployment, newRs, oldSets } = this.syncRevision(initial, sets, false);
    let scaledDown = false;
    for (const old of oldSets) if (replicasOf(old) > 0) scaledDown = this.scale(deployment, old, 0) || scaledDown;
    if (scaledDown) return this.syncRolloutStatus(deployment, newRs);
    if (this.oldPodsRunning(newRs, oldSets)) return this.syncRolloutStatus(deployment, newRs);
    if (!newRs) ({ deployment, newRs, oldSets } = this.syncRevision(deployment, sets, true));
    if (!newRs) return;
    this.scale(deployment, newRs, replicasOf(deployment));
    if (this.isComplete(deployment, isPlainObject(deployment['status']) ? deployment['status'] : {}))
      this.cleanup(deployment, oldSets);
    ({ deployment, newRs } = this.refresh(deployment, newRs));
    this.syncRolloutStatus(deployment, newRs);
  }

  /** A paused Deployment only scales and prunes; its Progressing condition says it is paused. */
  private syncPaused(initial: KubeObject, sets: KubeObject[]): void {
    const { deployment, newRs, oldSets } = this.syncRevision(initial, sets, false);
    const active = sets.filter((rs) => replicasOf(rs) > 0);
    const target = newRs ?? (active.length === 1 ? active[0] : undefined);
    if (target && active.length <= 1 && replicasOf(target) !== replicasOf(deployment))
      this.scale(deployment, target, replicasOf(deployment));
    this.cleanup(deployment, oldSets);
    this.syncRolloutStatus(deployment, newRs);
  }

  private refresh(deployment: KubeObject, rs: KubeObject): { deployment: KubeObject; newRs: KubeObject } {
    return {
      deployment:
        this.ctx.registry.find(DEPLOYMENT, deployment.metadata.namespace, deployment.metadata.name ?? '') ?? deployment,
      newRs: this.ctx.registry.find(REPLICA_SET, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs,
    };
  }

  /**
   * Finds the ReplicaSet of the current template (creating it when asked), gives it the next revision, and records
   * that revision on the Deployment (`getAllReplicaSetsAndSyncRevision`).
   */
  private syncRevision(
    deployment: KubeObject,
    sets: KubeObject[],
    create: boolean,
  ): { deployment: KubeObject; newRs?: KubeObject; oldSets: KubeObject[] } {
    const template = getPath(deployment, 'spec.template');
    const existing = [...sets].sort(byCreation).find((rs) => equalIgnoreHash(getPath(rs, 'spec.template'), template));
    const oldSets = sets.filter((rs) => rs.metadata.uid !== existing?.metadata.uid);
    const newRevision = Math.max(0, ...oldSets.map(revisionOf)) + 1;
    const namespace = deployment.metadata.namespace ?? '';
    const name = deployment.metadata.name ?? '';
    const { maxSurge } = fenceposts(deployment);
    let newRs = existing;
    let created = false;
    if (existing) {
      const copy = clone(existing);
      const minReady = getPath(deployment, 'spec.minReadySeconds');
      const minReadyChanged = getPath(copy, 'spec.minReadySeconds') !== minReady;
      if (minReadyChanged) (copy['spec'] as Obj)['minReadySeconds'] = minReady;
      if (setNewReplicaSetAnnotations(deployment, copy, newRevision, true, maxSurge) || minReadyChanged)
        newRs = this.ctx.registry.writeInternal(REPLICA_SET, copy) ?? existing;
    } else if (create) {
      const hash = templateHash(template);
      const templateObj = clone(isPlainObject(template) ? template : {});
      const templateMeta = isPlainObject(templateObj['metadata']) ? templateObj['metadata'] : {};
      templateMeta['labels'] = {
        ...(isPlainObject(templateMeta['labels']) ? templateMeta['labels'] : {}),
        [HASH_LABEL]: hash,
      };
      templateObj['metadata'] = templateMeta;
      const selector = clone(getPath(deployment, 'spec.selector')) as Obj;
      selector['matchLabels'] = {
        ...(isPlainObject(selector['matchLabels']) ? selector['matchLabels'] : {}),
        [HASH_LABEL]: hash,
      };
      const replicas = this.newReplicaCount(deployment, oldSets, undefined);
      const rs: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels: templateMeta['labels'] as Record<string, string>,
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name,
              uid: deployment.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          replicas,
          ...(getPath(deployment, 'spec.minReadySeconds') !== undefined
            ? { minReadySeconds: getPath(deployment, 'spec.minReadySeconds') }
            : {}),
          selector,
          template: templateObj,
        },
      };
      setNewReplicaSetAnnotations(deployment, rs, newRevision, false, maxSurge);
      newRs = this.ctx.registry.create(REPLICA_SET, namespace, rs);
      created = true;
      if (replicas > 0)
        this.ctx.events.record(
          deployment,
          'Normal',
          'ScalingReplicaSet',
          `Scaled up replica set ${newRs.metadata.name ?? ''} from 0 to ${replicas}`,
          SOURCE,
        );
    }
    if (!newRs) return { deployment, oldSets };
    const revision = newRs.metadata.annotations?.[REVISION];
    const status: Obj = isPlainObject(deployment['status']) ? clone(deployment['status']) : {};
    const hasDeadline = num(getPath(deployment, 'spec.progressDeadlineSeconds'), 600) !== NO_DEADLINE;
    let statusChanged = false;
    if (created && hasDeadline) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'True',
          'NewReplicaSetCreated',
          `Created new replica set "${newRs.metadata.name ?? ''}"`,
        ),
      );
      statusChanged = true;
    } else if (hasDeadline && !findCondition(status, 'Progressing')) {
      setCondition(
        status,
        newCondition(
          'Progressing',
          'True',
          'FoundNewReplicaSet',
          `Found new replica set "${newRs.metadata.name ?? ''}"`,
        ),
      );
      statusChanged = true;
    }
    let current = deployment;
    if (revision && deployment.metadata.annotations?.[REVISION] !== revision) {
      const annotated = clone(deployment);
      annotated.metadata.annotations = { ...annotated.metadata.annotations, [REVISION]: revision };
      current = this.ctx.registry.writeInternal(DEPLOYMENT, annotated) ?? deployment;
    }
    if (statusChanged) current = this.ctx.registry.writeStatus(DEPLOYMENT, { ...current, status }) ?? current;
    return { deployment: current, newRs, oldSets };
  }

  /** `NewRSNewReplicas`: Recreate starts all at once; RollingUpdate may surge to replicas + maxSurge in total. */
  private newReplicaCount(deployment: KubeObject, all: KubeObject[], newRs: KubeObject | undefined): number {
    const replicas = replicasOf(deployment);
    if (getPath(deployment, 'spec.strategy.type') !== 'RollingUpdate') return replicas;
    const current = sumOver(all, 'spec.replicas');
    const newReplicas = newRs ? replicasOf(newRs) : 0;
    const maxTotal = replicas + fenceposts(deployment).maxSurge;
    if (current >= maxTotal) return newReplicas;
    return newReplicas + Math.max(0, Math.min(maxTotal - current, replicas - newReplicas));
  }

  private reconcileNewReplicaSet(deployment: KubeObject, all: KubeObject[], newRs: KubeObject): boolean {
    const replicas = replicasOf(deployment);
    const current = replicasOf(newRs);
    if (current === replicas) return false;
    if (current > replicas) return this.scale(deployment, newRs, replicas);
    return this.scale(deployment, newRs, this.newReplicaCount(deployment, all, newRs));
  }

  /** Scales old ReplicaSets down as far as maxUnavailable allows, their unhealthy pods first. */
  private reconcileOldReplicaSets(
    deployment: KubeObject,
    all: KubeObject[],
    oldSets: KubeObject[],
    newRs: KubeObject,
  ): boolean {
    const active = oldSets.filter((rs) => replicasOf(rs) > 0).sort(byCreation);
    if (sumOver(active, 'spec.replicas') === 0) return false;
    const minAvailable = replicasOf(deployment) - maxUnavailable(deployment);
    const newUnavailable = replicasOf(newRs) - num(getPath(newRs, 'status.availableReplicas'));
    const maxScaledDown = sumOver(all, 'spec.replicas') - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned = 0;
    const remaining = new Map(active.map((rs) => [rs.metadata.uid, replicasOf(rs)]));
    for (const rs of active) {
      if (cleaned >= maxScaledDown) break;
      const replicas = remaining.get(rs.metadata.uid) ?? 0;
      const unhealthy = replicas - num(getPath(rs, 'status.availableReplicas'));
      if (unhealthy <= 0) continue;
      const count = Math.min(maxScaledDown - cleaned, unhealthy);
      this.scale(deployment, rs, replicas - count);
      remaining.set(rs.metadata.uid, replicas - count);
      cleaned += count;
    }
    const available = sumOver([...oldSets, newRs], 'status.availableReplicas');
    let toScaleDown = Math.max(0, available - minAvailable);
    let scaled = 0;
    for (const rs of active) {
      if (toScaleDown <= 0) break;
      const replicas = remaining.get(rs.metadata.uid) ?? 0;
      if (replicas === 0) continue;
      const count = Math.min(replicas, toScaleDown);
      this.scale(deployment, rs, replicas - count);
      toScaleDown -= count;
      scaled += count;
    }
    return cleaned + scaled > 0;
  }

  private scale(deployment: KubeObject, rs: KubeObject, replicas: number): boolean {
    const latest = this.ctx.registry.find(REPLICA_SET, rs.metadata.namespace, rs.metadata.name ?? '') ?? rs;
    const from = replicasOf(latest);
    const desired = String(replicasOf(deployment));
    const max = String(replicasOf(deployment) + fenceposts(deployment).maxSurge);
    if (
      from === replicas &&
      latest.metadata.annotations?.[DESIRED_REPLICAS] === desired &&
      latest.metadata.annotations?.[MAX_REPLICAS] === max
    )
      return false;
    const scaled = clone(latest);
    (scaled['spec'] as Obj)['replicas'] = replicas;
    scaled.metadata.annotations = { ...scaled.metadata.annotations, [DESIRED_REPLICAS]: desired, [MAX_REPLICAS]: max };
    this.ctx.registry.writeInternal(REPLICA_SET, scaled);
    if (from === replicas) return false;
    this.ctx.events.record(
      deployment,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${replicas > from ? 'up' : 'down'} replica set ${latest.metadata.name ?? ''} from ${from} to ${replicas}`,
      SOURCE,
    );
    return true;
  }

  /** Recreate waits while any pod of an old ReplicaSet exists and has not terminated, terminating ones included. */
  private oldPodsRunning(newRs: KubeObject | undefined, oldSets: KubeObject[]): boolean {
    if (sumOver(oldSets, 'status.replicas') > 0) return true;
    const namespace = oldSets[0]?.metadata.namespace;
    if (namespace === undefined) return false;
    return this.ctx.registry.list(POD, { namespace }).some((pod) => {
      if (newRs && controlledBy(pod, newRs)) return false;
      if (!oldSets.some((rs) => controlledBy(pod, rs))) return false;
      const phase = getPath(pod, 'status.phase');
      return phase !== 'Failed' && phase !== 'Succeeded';
    });
  }

  private isComplete(deployment: KubeObject, status: Obj): boolean {
    const replicas = replicasOf(deployment);
    return (
      num(status['updatedReplicas']) === replicas &&
      num(status['replicas']) === replicas &&
      num(status['availableReplicas']) === replicas &&
      num(status['observedGeneration']) >= (deployment.metadata.generation ?? 1)
    );
  }

  /** Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(deployment: KubeObject, oldSets: KubeObject[]): void {
    const limit = getPath(deployment, 'spec.revisionHistoryLimit');
    if (typeof limit !== 'number') return;
    const alive = oldSets.filter((rs) => !rs.metadata.deletionTimestamp).sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of alive.slice(0, Math.max(0, alive.length - limit))) {
      const latest = this.ctx.registry.find(REPLICA_SET, rs.metadata.namespace, rs.metadata.name ?? '');
      if (!latest || replicasOf(latest) !== 0 || num(getPath(latest, 'status.replicas')) !== 0) continue;
      if ((latest.metadata.generation ?? 1) > num(getPath(latest, 'status.observedGeneration'))) continue;
      this.ctx.registry.delete(REPLICA_SET, latest.metadata.namespace, latest.metadata.name ?? '', {});
    }
  }

  private syncRolloutStatus(initial: KubeObject, newRsHint: KubeObject | undefined): void {
    const deployment =
      this.ctx.registry.find(DEPLOYMENT, initial.metadata.namespace, initial.metadata.name ?? '') ?? initial;
    const sets = this.ctx.registry
      .list(REPLICA_SET, { namespace: deployment.metadata.namespace ?? '' })
      .filter((rs) => controlledBy(rs, deployment));
    const newRs = newRsHint ? sets.find((rs) => rs.metadata.uid === newRsHint.metadata.uid) : undefined;
    const old: Obj = isPlainObject(deployment['status']) ? deployment['status'] : {};
    const replicas = replicasOf(deployment);
    const available = sumOver(sets, 'status.availableReplicas');
    const status: Obj = {
      observedGeneration: deployment.metadata.generation ?? 1,
      replicas: sumOver(sets, 'status.replicas'),
      updatedReplicas: newRs ? num(getPath(newRs, 'status.replicas')) : 0,
      readyReplicas: sumOver(sets, 'status.readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sumOver(sets, 'spec.replicas') - available),
      conditions: clone(old['conditions'] ?? []),
      ...(old['collisionCount'] !== undefined ? { collisionCount: old['collisionCount'] } : {}),
    };
    for (const key of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'])
      if (status[key] === 0) delete status[key];
    setCondition(
      status,
      available >= replicas - maxUnavailable(deployment)
        ? newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : newCondition(
            'Available',
            'False',
            'MinimumReplicasUnavailable',
            'Deployment does not have minimum availability.',
          ),
    );
    const deadlineSeconds = num(getPath(deployment, 'spec.progressDeadlineSeconds'), 600);
    const paused = getPath(deployment, 'spec.paused') === true;
    const progressing = findCondition(status, 'Progressing');
    // The real messages name the new ReplicaSet, or the Deployment while Recreate has not created it yet.
    const subject = newRs
      ? `ReplicaSet "${newRs.metadata.name ?? ''}"`
      : `Deployment "${deployment.metadata.name ?? ''}"`;
    if (deadlineSeconds === NO_DEADLINE) removeCondition(status, 'Progressing');
    else if (paused || progressing?.reason === 'DeploymentPaused') this.pausedCondition(status, paused);
    else if (!(
      num(status['replicas']) === num(status['updatedReplicas']) && progressing?.reason === 'NewReplicaSetAvailable'
    )) {
      if (this.isComplete(deployment, status)) {
        setCondition(
          status,
          newCondition('Progressing', 'True', 'NewReplicaSetAvailable', `${subject} has successfully progressed.`),
        );
      } else if (madeProgress(old, status)) {
        const next = newCondition('Progressing', 'True', 'ReplicaSetUpdated', `${subject} is progressing.`);
        if (progressing?.status === 'True') next.lastTransitionTime = progressing.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, next);
      } else if (
        progressing &&
        (progressing.reason === 'ProgressDeadlineExceeded' ||
          Date.parse(progressing.lastUpdateTime) + deadlineSeconds * 1000 < Date.now())
      ) {
        setCondition(
          status,
          newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', `${subject} has timed out progressing.`),
        );
      }
    }
    const after = findCondition(status, 'Progressing');
    if (!paused && after?.status === 'True' && after.reason !== 'NewReplicaSetAvailable')
      this.requeueAt(deployment, Date.parse(after.lastUpdateTime) + deadlineSeconds * 1000 + 50);
    else this.clearDeadline(deployment.metadata.uid ?? '');
    this.ctx.registry.writeStatus(DEPLOYMENT, { ...deployment, status });
  }

  private pausedCondition(status: Obj, paused: boolean): void {
    const progressing = findCondition(status, 'Progressing');
    if (progressing?.reason === 'ProgressDeadlineExceeded') return;
    if (paused && progressing?.reason !== 'DeploymentPaused')
      setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentPaused', 'Deployment is paused'));
    else if (!paused && progressing?.reason === 'DeploymentPaused')
      setCondition(status, newCondition('Progressing', 'Unknown', 'DeploymentResumed', 'Deployment is resumed'));
  }

  private requeueAt(deployment: KubeObject, at: number): void {
    const uid = deployment.metadata.uid ?? '';
    if (this.deadlines.get(uid)?.at === at) return;
    this.clearDeadline(uid);
    const namespace = deployment.metadata.namespace ?? '';
    const name = deployment.metadata.name ?? '';
    const cancel = this.ctx.timers.after(at - Date.now(), `deployment deadline ${namespace}/${name}`, () => {
      this.deadlines.delete(uid);
      this.reconcile(namespace, name);
    });
    this.deadlines.set(uid, { at, cancel });
  }
}

function byCreation(a: KubeObject, b: KubeObject): number {
  return (
    String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)) ||
    String(a.metadata.name).localeCompare(String(b.metadata.name))
  );
}

/** `DeploymentProgressing`: more updated, ready or available replicas, or fewer old ones, than the stored status shows. */
function madeProgress(old: Obj, next: Obj): boolean {
  const oldOld = num(old['replicas']) - num(old['updatedReplicas']);
  const newOld = num(next['replicas']) - num(next['updatedReplicas']);
  return (
    num(next['updatedReplicas']) > num(old['updatedReplicas']) ||
    newOld < oldOld ||
    num(next['readyReplicas']) > num(old['readyReplicas']) ||
    num(next['availableReplicas']) > num(old['availableReplicas'])
  );
}

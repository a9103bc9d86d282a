/**
 * The Job controller: a pod per attempt (a new one per retry, after a short backoff), `backoffLimit`,
 * `activeDeadlineSeconds`, `podFailurePolicy` (FailJob / Ignore / Count on exit codes and pod conditions),
 * `ttlSecondsAfterFinished`, and the status a real controller writes: counts, `startTime`/`completionTime`, and the
 * terminal conditions in their real order (`SuccessCriteriaMet` then `Complete`; `FailureTarget` then `Failed` once
 * the job's pods are gone or terminal).
 */
import { clone, getPath, isPlainObject, timestamp } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { Controller, ControllerContext } from './runtime.ts';

const JOB = typeFor('batch/v1', 'Job');
const POD = typeFor('v1', 'Pod');
const SOURCE = { component: 'job-controller' };

type Obj = Record<string, unknown>;

interface JobState {
  attempts: number;
  counted: Set<string>;
  succeeded: number;
  failed: number;
  lastFailureAt?: number;
  cancelRetry?: () => void;
  cancelDeadline?: () => void;
  cancelTtl?: () => void;
  indexedGapRecorded?: boolean;
}

interface Failure {
  reason: 'BackoffLimitExceeded' | 'DeadlineExceeded' | 'PodFailurePolicy';
  message: string;
}

function conditionTrue(job: KubeObject, type: string): boolean {
  const conditions = getPath(job, 'status.conditions');
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isPlainObject(c) && c['type'] === type && c['status'] === 'True')
  );
}

function addCondition(status: Obj, type: string, reason: string, message: string): void {
  const conditions = Array.isArray(status['conditions']) ? (status['conditions'] as Obj[]) : [];
  if (conditions.some((c) => c['type'] === type)) return;
  const now = timestamp();
  status['conditions'] = [
    ...conditions,
    { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message },
  ];
}

function isTerminal(pod: KubeObject): boolean {
  const phase = getPath(pod, 'status.phase');
  return phase === 'Succeeded' || phase === 'Failed';
}

function podIsReady(pod: KubeObject): boolean {
  const conditions = getPath(pod, 'status.conditions');
  return (
    Array.isArray(conditions) &&
    conditions.some((c) => isPlainObject(c) && c['type'] === 'Ready' && c['status'] === 'True')
  );
}

/** The first podFailurePolicy rule a failed pod matches, with the message the real controller writes. */
function matchPolicy(job: KubeObject, pod: KubeObject): { action: string; message: string } | undefined {
  const rules = getPath(job, 'spec.podFailurePolicy.rules');
  if (!Array.isArray(rules)) return undefined;
  const statuses = ((getPath(pod, 'status.containerStatuses') as unknown[] | undefined) ?? []).filter(isPlainObject);
  const podConditions = ((getPath(pod, 'status.conditions') as unknown[] | undefined) ?? []).filter(isPlainObject);
  const podRef = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
  for (const [index, rule] of rules.entries()) {
    if (!isPlainObject(rule)) continue;
    const action = String(rule['action']);
    const onExit = rule['onExitCodes'];
    if (isPlainObject(onExit)) {
      const values = Array.isArray(onExit['values']) ? onExit['values'].map(Number) : [];
      for (const s of statuses) {
        if (onExit['containerName'] && onExit['containerName'] !== s['name']) continue;
        const code = Number(getPath(s, 'state.terminated.exitCode') ?? 0);
        if (code === 0) continue;
        const hit = onExit['operator'] === 'NotIn' ? !values.includes(code) : values.includes(code);
        if (hit)
          return {
            action,
            message: `Container ${String(s['name'])} for pod ${podRef} failed with exit code ${code} matching ${action} rule at index ${index}`,
          };
      }
    }
    const onConditions = rule['onPodConditions'];
    if (Array.isArray(onConditions)) {
      for (const wanted of onConditions.filter(isPlainObject)) {
        const found = podConditions.find(
          (c) => c['type'] === wanted['type'] && c['status'] === (wanted['status'] ?? 'True'),
        );
        if (found)
          return {
            action,
            message: `Pod ${podRef} has condition ${String(wanted['type'])} matching ${action} rule at index ${index}`,
          };
      }
    }
  }
  return undefined;
}

export class JobController implements Controller {
  readonly name = 'job-controller';
  private readonly ctx: ControllerContext;
  private readonly states = new Map<string, JobState>();

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const obj = event.object;
    if (obj.kind === 'Job') {
      if (event.type === 'DELETED') this.forget(obj.metadata.uid ?? '');
      else this.reconcile(obj.metadata.namespace ?? '', obj.metadata.name ?? '');
      return;
    }
    if (obj.kind === 'Pod') {
      const owner = (obj.metadata.ownerReferences ?? []).find((r) => r.kind === 'Job' && r.controller === true);
      if (owner) this.reconcile(obj.metadata.namespace ?? '', owner.name);
    }
  }

  private forget(uid: string): void {
    const state = this.states.get(uid);
    state?.cancelRetry?.();
    state?.cancelDeadline?.();
    state?.cancelTtl?.();
    this.states.delete(uid);
  }

  private state(job: KubeObject): JobState {
    const uid = job.metadata.uid ?? '';
    let state = this.states.get(uid);
    if (!state) {
      state = {
        attempts: 0,
        counted: new Set(),
        succeeded: Number(getPath(job, 'status.succeeded') ?? 0),
        failed: Number(getPath(job, 'status.failed') ?? 0),
      };
      this.states.set(uid, state);
    }
    return state;
  }

  private reconcile(namespace: string, name: string): void {
    const job = this.ctx.registry.find(JOB, namespace, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const state = this.state(job);
    const spec = isPlainObject(job['spec']) ? job['spec'] : {};
    if (spec['completionMode'] === 'Indexed' && !state.indexedGapRecorded) {
      state.indexedGapRecorded = true;
      this.ctx.recordGap(`Job ${namespace}/${name} uses completionMode Indexed, which kube-sim runs as NonIndexed`);
    }
    const status: Obj = isPlainObject(job['status']) ? clone(job['status']) : {};
    const finished = conditionTrue(job, 'Complete') || conditionTrue(job, 'Failed');
    const pods = this.ctx.registry
      .list(POD, { namespace })
      .filter((p) =>
        (p.metadata.ownerReferences ?? []).some((r) => r.uid === job.metadata.uid && r.controller === true),
      );

    if (finished) {
      this.scheduleTtl(job, state);
      return;
    }
    if (spec['suspend'] === true) return;
    status['startTime'] ??= timestamp();

    let policyFailure: Failure | undefined;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!isTerminal(pod) || state.counted.has(uid)) continue;
      state.counted.add(uid);
      if (getPath(pod, 'status.phase') === 'Succeeded') {
        state.succeeded += 1;
        continue;
      }
      const rule = matchPolicy(job, pod);
      if (rule?.action === 'Ignore') continue;
      state.failed += 1;
      state.lastFailureAt = Date.now();
      if (rule?.action === 'FailJob' && !policyFailure)
        policyFailure = { reason: 'PodFailurePolicy', message: rule.message };
    }
    const live = pods.filter((p) => !isTerminal(p));
    const active = live.filter((p) => !p.metadata.deletionTimestamp);
    // With restartPolicy OnFailure, failures are container restarts inside the pods that are still running.
    const restarts = active.reduce((sum, pod) => {
      const statuses = ((getPath(pod, 'status.containerStatuses') as unknown[] | undefined) ?? []).filter(
        isPlainObject,
      );
      return sum + statuses.reduce((n, s) => n + Number(s['restartCount'] ?? 0), 0);
    }, 0);
    const backoffLimit = Number(spec['backoffLimit'] ?? 6);
    const completions = Number(spec['completions'] ?? 1);
    const parallelism = Number(spec['parallelism'] ?? 1);
    const ownDeadline = typeof spec['activeDeadlineSeconds'] === 'number' ? spec['activeDeadlineSeconds'] : undefined;
    const deadline =
      ownDeadline === undefined ? undefined : (this.ctx.behaviors.jobDeadlineSeconds(namespace, name) ?? ownDeadline);
    const startedAt = Date.parse(String(status['startTime']));

    let failure: Failure | undefined = conditionTrue(job, 'FailureTarget') ? this.existingFailure(job) : policyFailure;
    if (!failure && state.failed + restarts > backoffLimit)
      failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    if (!failure && deadline !== undefined && Date.now() - startedAt >= deadline * 1000)
      failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };

    status['succeeded'] = state.succeeded;
    status['failed'] = state.failed + (restarts > 0 && failure ? restarts : 0);
    status['terminating'] = live.filter((p) => p.metadata.deletionTimestamp).length;
    status['uncountedTerminatedPods'] = {};

    if (failure) {
      state.cancelRetry?.();
      state.cancelDeadline?.();
      if (!conditionTrue(job, 'FailureTarget')) {
        addCondition(status, 'FailureTarget', failure.reason, failure.message);
        this.ctx.events.record(job, 'Warning', failure.reason, failure.message, SOURCE);
      }
      for (const pod of active) {
        this.ctx.registry.delete(POD, namespace, pod.metadata.name ?? '', {});
        this.ctx.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name ?? ''}`, SOURCE);
      }
      status['active'] = 0;
      status['ready'] = 0;
      status['terminating'] = live.length;
      if (live.length === 0) addCondition(status, 'Failed', failure.reason, failure.message);
      this.writeStatus(job, status);
      return;
    }

    if (state.succeeded >= completions) {
      addCondition(status, 'SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods');
      status['active'] = active.length;
      status['ready'] = active.filter(podIsReady).length;
      if (live.length === 0) {
        addCondition(status, 'Complete', 'CompletionsReached', 'Reached expected number of succeeded pods');
        status['completionTime'] = timestamp();
        this.ctx.events.record(job, 'Normal', 'Completed', 'Job completed', SOURCE);
      }
      this.writeStatus(job, status);
      return;
    }

    const wanted = Math.min(parallelism, completions - state.succeeded);
    let missing = wanted - active.length;
    if (missing > 0 && !state.cancelRetry) {
      const sinceFailure =
        state.lastFailureAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - state.lastFailureAt;
      if (sinceFailure < this.ctx.timings.jobRetryMs) {
        state.cancelRetry = this.ctx.timers.after(
          this.ctx.timings.jobRetryMs - sinceFailure,
          `job retry ${namespace}/${name}`,
          () => {
            state.cancelRetry = undefined;
            this.reconcile(namespace, name);
          },
        );
      } else {
        while (missing > 0) {
          const created = this.createPod(job, state);
          if (created) active.push(created);
          missing -= 1;
        }
      }
    }
    if (deadline !== undefined && !state.cancelDeadline) {
      // A timer may fire a millisecond before Date.now() says it is due: the reconcile then arms it again.
      state.cancelDeadline = this.ctx.timers.after(
        Math.max(0, startedAt + deadline * 1000 - Date.now()),
        `job deadline ${namespace}/${name}`,
        () => {
          state.cancelDeadline = undefined;
          this.reconcile(namespace, name);
        },
      );
    }
    status['active'] = active.length;
    status['ready'] = active.filter(podIsReady).length;
    this.writeStatus(job, status);
  }

  private existingFailure(job: KubeObject): Failure {
    const conditions = ((getPath(job, 'status.conditions') as unknown[] | undefined) ?? []).filter(isPlainObject);
    const target = conditions.find((c) => c['type'] === 'FailureTarget');
    return {
      reason: String(target?.['reason'] ?? 'BackoffLimitExceeded') as Failure['reason'],
      message: String(target?.['message'] ?? ''),
    };
  }

  private writeStatus(job: KubeObject, status: Obj): void {
    this.ctx.registry.writeStatus(JOB, { ...job, status });
  }

  private createPod(job: KubeObject, state: JobState): KubeObject | undefined {
    const namespace = job.metadata.namespace ?? 'default';
    const jobName = job.metadata.name ?? '';
    const template = getPath(job, 'spec.template');
    const templateMeta = isPlainObject(template) && isPlainObject(template['metadata']) ? template['metadata'] : {};
    const attempt = state.attempts;
    state.attempts += 1;
    const pod = this.ctx.registry.create(POD, namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${jobName}-`,
        namespace,
        labels: {
          ...(isPlainObject(templateMeta['labels']) ? (templateMeta['labels'] as Record<string, string>) : {}),
        },
        ...(isPlainObject(templateMeta['annotations'])
          ? { annotations: templateMeta['annotations'] as Record<string, string> }
          : {}),
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: jobName,
            uid: job.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: clone(isPlainObject(template) ? template['spec'] : {}),
    });
    const behaviors = this.ctx.behaviors;
    this.ctx.behaviors.assign(namespace, pod.metadata.name ?? '', {
      jobName,
      planFor: (restart) => behaviors.forJob(namespace, jobName, attempt + restart),
    });
    this.ctx.events.record(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name ?? ''}`, SOURCE);
    return pod;
  }

  private scheduleTtl(job: KubeObject, state: JobState): void {
    const ttl = getPath(job, 'spec.ttlSecondsAfterFinished');
    if (typeof ttl !== 'number' || state.cancelTtl) return;
    const conditions = ((getPath(job, 'status.conditions') as unknown[] | undefined) ?? []).filter(isPlainObject);
    const finishedAt =
      conditions
        .filter((c) => c['type'] === 'Complete' || c['type'] === 'Failed')
        .map((c) => Date.parse(String(c['lastTransitionTime'])))[0] ?? Date.now();
    const namespace = job.metadata.namespace ?? '';
    const name = job.metadata.name ?? '';
    state.cancelTtl = this.ctx.timers.after(
      finishedAt + ttl * 1000 - Date.now(),
      `job ttl ${namespace}/${name}`,
      () => {
        const current = this.ctx.registry.find(JOB, namespace, name);
        if (!current || current.metadata.uid !== job.metadata.uid || current.metadata.deletionTimestamp) return;
        // The TTL-after-finished controller deletes in the foreground, so the Job goes after its pods.
        this.ctx.registry.delete(JOB, namespace, name, { propagationPolicy: 'Foreground' });
      },
    );
  }
}

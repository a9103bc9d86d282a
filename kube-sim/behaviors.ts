/**
 * What simulated containers do. Job pods follow `JobBehavior` (defaults, then every matching `setJobBehavior` rule in
 * the order they were set, then the per-attempt override). Deployment pods follow `ServiceBehavior` (every matching
 * `setDeploymentBehavior` rule in order; by default they serve: start, become Ready and run until deleted). Other
 * pods serve.
 */
import type { DeploymentMatch, JobBehavior, JobMatch, JobOutcome, PullError, ServiceBehavior } from './types.ts';

export interface PodPlan {
  outcome: JobOutcome | 'serve';
  exitCode: number;
  delayMs: number;
  logLines: string[];
  logIntervalMs?: number;
  files?: Record<string, string | Uint8Array>;
  links?: Record<string, string>;
  /** Service pods: when the running container turns Ready (default: at once). */
  readiness?: { mode: 'never' } | { mode: 'after'; ms?: number };
  /** Service pods: what failing probes report, and why image pulls fail. */
  probeMessage?: string;
  pullError?: PullError;
}

/** Given to the pod runtime by the controller that creates a pod: the plan for each run of its container. */
export interface PodAssignment {
  /** `restart` counts container restarts in this pod (restartPolicy OnFailure/Always). */
  planFor(restart: number): PodPlan;
  jobName?: string;
  /** Set for pods of a Deployment: the kubelet keeps retrying image pulls and restarts with back-off. */
  deploymentName?: string;
}

export const DEFAULT_JOB_BEHAVIOR: JobBehavior = {
  outcome: 'succeed',
  delayMs: 200,
  logLines: ['kube-sim: job started', 'kube-sim: working', 'kube-sim: job finished'],
};

const SERVE_PLAN: PodPlan = { outcome: 'serve', exitCode: 0, delayMs: 0, logLines: [] };

export function jobMatches(match: JobMatch, namespace: string, name: string): boolean {
  if (match.namespace !== undefined && match.namespace !== namespace) return false;
  if (match.name !== undefined && match.name !== name) return false;
  if (match.namePrefix !== undefined && !name.startsWith(match.namePrefix)) return false;
  return true;
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function deploymentMatches(
  match: DeploymentMatch,
  namespace: string,
  name: string,
  image: string | undefined,
): boolean {
  if (!jobMatches(match, namespace, name)) return false;
  return match.image === undefined || match.image === image;
}

/** The plan for a service container run under `behavior`. */
export function servicePlan(behavior: ServiceBehavior): PodPlan {
  const base = {
    exitCode: 0,
    delayMs: 0,
    logLines: behavior.logLines ?? [],
    logIntervalMs: behavior.logIntervalMs ?? 10,
    ...(behavior.probeMessage !== undefined ? { probeMessage: behavior.probeMessage } : {}),
  };
  switch (behavior.outcome) {
    case 'crash-loop':
      return { ...base, outcome: 'fail', exitCode: behavior.exitCode ?? 1, delayMs: behavior.runMs ?? 50 };
    case 'never-ready':
      return { ...base, outcome: 'serve', readiness: { mode: 'never' } };
    case 'slow':
      return {
        ...base,
        outcome: 'serve',
        readiness: { mode: 'after', ...(behavior.readyAfterMs !== undefined ? { ms: behavior.readyAfterMs } : {}) },
      };
    case 'image-pull-error':
      return { ...base, outcome: 'image-pull-error', pullError: behavior.pullError ?? 'not-found' };
    case 'unschedulable':
      return { ...base, outcome: 'unschedulable' };
    case 'missing-key':
      return { ...base, outcome: 'missing-key' };
    default:
      return { ...base, outcome: 'serve' };
  }
}

export class BehaviorBook {
  private readonly defaults: JobBehavior;
  private readonly rules: Array<{ match: JobMatch; behavior: Partial<JobBehavior> }> = [];
  private readonly serviceRules: Array<{ match: DeploymentMatch; behavior: Partial<ServiceBehavior> }> = [];
  private readonly assignments = new Map<string, PodAssignment>();

  constructor(defaults: Partial<JobBehavior> = {}) {
    this.defaults = { ...DEFAULT_JOB_BEHAVIOR, ...defined(defaults) };
  }

  set(match: JobMatch, behavior: Partial<JobBehavior>): void {
    this.rules.push({ match, behavior });
  }

  /** The plan for attempt `attempt` (0-based) of a Job's pods. */
  forJob(namespace: string, name: string, attempt: number): PodPlan {
    let merged: JobBehavior = { ...this.defaults };
    for (const rule of this.rules)
      if (jobMatches(rule.match, namespace, name)) merged = { ...merged, ...defined(rule.behavior) };
    const override = merged.attempts?.[attempt];
    if (override) merged = { ...merged, ...defined(override) };
    const outcome = merged.outcome;
    return {
      outcome,
      exitCode:
        outcome === 'oom-killed' || outcome === 'disrupted' ? 137 : outcome === 'fail' ? (merged.exitCode ?? 1) : 0,
      delayMs: merged.delayMs ?? 0,
      logLines: merged.logLines ?? [],
      ...(merged.logIntervalMs !== undefined ? { logIntervalMs: merged.logIntervalMs } : {}),
      ...(merged.files ? { files: merged.files } : {}),
      ...(merged.links ? { links: merged.links } : {}),
      ...(outcome === 'image-pull-error' ? { pullError: merged.pullError ?? 'not-found' } : {}),
    };
  }

  /** The deadline a scripted rule gives a Job instead of its own activeDeadlineSeconds, if any. */
  jobDeadlineSeconds(namespace: string, name: string): number | undefined {
    let seconds = this.defaults.deadlineSeconds;
    for (const rule of this.rules)
      if (jobMatches(rule.match, namespace, name) && rule.behavior.deadlineSeconds !== undefined)
        seconds = rule.behavior.deadlineSeconds;
    return seconds;
  }

  setService(match: DeploymentMatch, behavior: Partial<ServiceBehavior>): void {
    this.serviceRules.push({ match, behavior });
  }

  /** What a pod of Deployment `name` running `image` does: matching rules in the order they were set. */
  forService(namespace: string, name: string, image: string | undefined): ServiceBehavior {
    let merged: ServiceBehavior = { outcome: 'ready' };
    for (const rule of this.serviceRules)
      if (deploymentMatches(rule.match, namespace, name, image)) merged = { ...merged, ...defined(rule.behavior) };
    return merged;
  }

  assign(namespace: string, podName: string, assignment: PodAssignment): void {
    this.assignments.set(`${namespace}/${podName}`, assignment);
  }

  /** The assignment for a new pod (consumed), or the serving default for pods no Job created. */
  take(namespace: string, podName: string): PodAssignment {
    const key = `${namespace}/${podName}`;
    const found = this.assignments.get(key);
    this.assignments.delete(key);
    return found ?? { planFor: () => SERVE_PLAN };
  }
}

/**
 * What simulated containers do. Job pods follow `JobBehavior` (defaults, then every matching `setJobBehavior` rule in
 * the order they were set, then the per-attempt override); other pods "serve": they start, become Ready and run
 * until deleted.
 */
import type { JobBehavior, JobMatch, JobOutcome } from './types.ts';

export interface PodPlan {
  outcome: JobOutcome | 'serve';
  exitCode: number;
  delayMs: number;
  logLines: string[];
  logIntervalMs?: number;
  files?: Record<string, string | Uint8Array>;
  links?: Record<string, string>;
}

/** Given to the pod runtime by the controller that creates a pod: the plan for each run of its container. */
export interface PodAssignment {
  /** `restart` counts container restarts in this pod (restartPolicy OnFailure/Always). */
  planFor(restart: number): PodPlan;
  jobName?: string;
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

export class BehaviorBook {
  private readonly defaults: JobBehavior;
  private readonly rules: Array<{ match: JobMatch; behavior: Partial<JobBehavior> }> = [];
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
    for (const rule of this.rules) if (jobMatches(rule.match, namespace, name)) merged = { ...merged, ...defined(rule.behavior) };
    const override = merged.attempts?.[attempt];
    if (override) merged = { ...merged, ...defined(override) };
    const outcome = merged.outcome;
    return {
      outcome,
      exitCode: outcome === 'oom-killed' || outcome === 'disrupted' ? 137 : outcome === 'fail' ? (merged.exitCode ?? 1) : 0,
      delayMs: merged.delayMs ?? 0,
      logLines: merged.logLines ?? [],
      ...(merged.logIntervalMs !== undefined ? { logIntervalMs: merged.logIntervalMs } : {}),
      ...(merged.files ? { files: merged.files } : {}),
      ...(merged.links ? { links: merged.links } : {}),
    };
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

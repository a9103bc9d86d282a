/**
 * Whether a Deployment's roll-out is done, still on its way, or cannot succeed — and why, in plain words. Pure
 * functions over what the cluster reports (the Deployment, its new pods, their events); the watcher feeds them.
 *
 * `kubectl rollout status` fails only on the progress deadline (600 s by default). These stop at the first sign that
 * waiting cannot help: a crash loop, an image that cannot be pulled, a Secret key that does not exist (shared with
 * the Job's diagnosis), no node for the pod (unless the cluster autoscaler announced one), or a probe that has failed
 * more often than its own settings allow: `failureThreshold` failures, `periodSeconds` apart, after
 * `initialDelaySeconds`. Counting the kubelet's Unhealthy events instead of seconds makes the rule the same on a real
 * cluster and on the simulator (whose probe time runs faster).
 */
import { stuckReason, type Diagnosis, type EventLike, type PodLike } from '../cluster/pod-diagnosis.ts';
import { plural } from '../../lib/wording.ts';

export type { Diagnosis, EventLike } from '../cluster/pod-diagnosis.ts';

export interface Probe {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface ServicePodLike extends PodLike {
  metadata: PodLike['metadata'] & { ownerReferences?: { kind: string; name: string }[] };
  spec?: { containers?: { name: string; image?: string; readinessProbe?: Probe; startupProbe?: Probe }[] };
}

export interface DeploymentLike {
  metadata: { name: string; generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number; progressDeadlineSeconds?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export type Progress =
  { state: 'waiting'; note: string } | { state: 'complete' } | { state: 'failed'; diagnosis: Diagnosis };

/** kubectl's own reading of a roll-out (`rollout status`), against the generation this roll-out wrote. */
export function rolloutProgress(deployment: DeploymentLike, generation: number): Progress {
  const status = deployment.status ?? {};
  const name = deployment.metadata.name;
  if ((status.observedGeneration ?? 0) < generation)
    return { state: 'waiting', note: `${name}: waiting for the controller` };
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      diagnosis: {
        summary:
          `Deployment ${name} made no progress for ${deployment.spec?.progressDeadlineSeconds ?? 600} s (its progressDeadlineSeconds): ${progressing.message ?? ''}`.trim(),
        fix: 'The events (above) say what the new pods waited for.',
      },
    };
  }
  const replicas = deployment.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  if (updated < replicas) return { state: 'waiting', note: `${name}: ${updated} of ${replicas} new pods created` };
  if ((status.replicas ?? 0) > updated)
    return { state: 'waiting', note: `${name}: ${(status.replicas ?? 0) - updated} old pods still stopping` };
  if ((status.availableReplicas ?? 0) < updated)
    return { state: 'waiting', note: `${name}: ${status.availableReplicas ?? 0} of ${updated} new pods available` };
  return { state: 'complete' };
}

/** Each container's failed startup and readiness probes, from the pod's Unhealthy events (their counts summed). */
export function probeFailures(
  pod: ServicePodLike,
  events: readonly EventLike[],
): Map<string, { startup: number; readiness: number; last?: string }> {
  const failures = new Map<string, { startup: number; readiness: number; last?: string }>();
  const firstContainer = pod.spec?.containers?.[0]?.name ?? '';
  for (const event of events) {
    if (event.reason !== 'Unhealthy' || event.involvedObject?.name !== pod.metadata.name) continue;
    const kind = /^(Startup|Readiness) probe failed/.exec(event.message ?? '')?.[1];
    if (!kind) continue;
    const fieldPath = (event.involvedObject as { fieldPath?: string }).fieldPath ?? '';
    const container = /^spec\.containers\{(.+)\}$/.exec(fieldPath)?.[1] ?? firstContainer;
    const entry = failures.get(container) ?? { startup: 0, readiness: 0 };
    if (kind === 'Startup') entry.startup += event.count ?? 1;
    else entry.readiness += event.count ?? 1;
    entry.last = event.message;
    failures.set(container, entry);
  }
  return failures;
}

/** Why a new pod of `deployment` cannot become available, or undefined while it still may. */
export function podProblem(
  pod: ServicePodLike,
  events: readonly EventLike[],
  deployment: string,
): Diagnosis | undefined {
  const name = pod.metadata.name;
  const podEvents = events.filter((event) => event.involvedObject?.name === name);
  const stuck = stuckReason(pod, podEvents, [], [], `Deployment ${deployment}`);
  if (stuck) return stuck;
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason === 'CrashLoopBackOff' || (status.restartCount ?? 0) >= 2) return crashLoop(name, status);
    if (waiting?.reason === 'CreateContainerError' || waiting?.reason === 'RunContainerError') {
      return {
        summary: `The container ${status.name} of the new pod ${name} cannot start: ${waiting.message ?? waiting.reason}.`,
        fix: 'Check the image (built for linux/amd64?), its command and its volume mounts.',
      };
    }
  }
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable' && !scalingUp(podEvents)) {
    return {
      summary: `No node can run the new pod ${name} of Deployment ${deployment}: ${scheduled.message ?? 'no node fits'}`,
      fix: "Lower the pod's resource requests, or let the cluster grow (node_max in terraform/terraform.tfvars). When the cluster autoscaler adds a node it says so (TriggeredScaleUp) and deckhand waits for it.",
    };
  }
  const failures = probeFailures(pod, podEvents);
  for (const container of pod.spec?.containers ?? []) {
    const status = pod.status?.containerStatuses?.find((candidate) => candidate.name === container.name);
    const failed = failures.get(container.name);
    if (!failed || status?.ready) continue;
    for (const [which, probe, count] of [
      ['startup', container.startupProbe, failed.startup],
      ['readiness', container.readinessProbe, failed.readiness],
    ] as const) {
      if (!probe) continue;
      const allowed = probe.failureThreshold ?? 3;
      if (count <= allowed) continue;
      return {
        summary:
          `The new pod ${name} of Deployment ${deployment} is not ready: its ${which} probe failed ${plural(count, 'time')}, more than the ${allowed} its settings allow (every ${probe.periodSeconds ?? 10} s after ${probe.initialDelaySeconds ?? 0} s). Last: ${failed.last ?? ''}`.trim(),
        fix:
          which === 'readiness'
            ? "The app runs but says it cannot serve: its last log lines (above) say why (a database it cannot reach, a wrong setting). Raise the probe's failureThreshold only if it really needs longer."
            : "The app did not finish starting in the time its startup probe allows: read its last log lines (above); raise the startup probe's failureThreshold if it really needs longer.",
      };
    }
  }
  return undefined;
}

/** What the pod is waiting for, when it is worth saying (a node the autoscaler is adding). */
export function podNote(pod: ServicePodLike, events: readonly EventLike[]): string | undefined {
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (
    scheduled?.status === 'False' &&
    scalingUp(events.filter((event) => event.involvedObject?.name === pod.metadata.name))
  )
    return `Pod ${pod.metadata.name} waits for the node the cluster autoscaler is adding.`;
  return undefined;
}

/** The last container run crashed (it exits, and the kubelet restarts it later and later). */
export function isCrashLooping(pod: ServicePodLike): boolean {
  return (pod.status?.containerStatuses ?? []).some(
    (status) => status.state?.waiting?.reason === 'CrashLoopBackOff' || (status.restartCount ?? 0) > 0,
  );
}

function crashLoop(
  pod: string,
  status: NonNullable<NonNullable<PodLike['status']>['containerStatuses']>[number],
): Diagnosis {
  const last = status.lastState?.terminated ?? status.state?.terminated;
  const restarts = status.restartCount ?? 0;
  if (last?.reason === 'OOMKilled') {
    return {
      summary: `The container ${status.name} of the new pod ${pod} ran out of memory (OOMKilled) and keeps being restarted (${restarts} so far).`,
      fix: "Raise the container's resources.limits.memory in the manifest (and requests.memory with it), then deploy again.",
    };
  }
  const exit =
    last?.exitCode !== undefined ? ` with code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}` : '';
  return {
    summary: `The container ${status.name} of the new pod ${pod} keeps crashing: it exited${exit} and was restarted ${plural(restarts, 'time')} (CrashLoopBackOff).`,
    fix:
      last?.exitCode === 126 || last?.exitCode === 127
        ? 'Exit 126/127 means the command could not run: check the command and that the image was built for linux/amd64.'
        : 'Its last log lines (above) say why it stopped: fix the code or the settings and deploy again.',
  };
}

function scalingUp(events: readonly EventLike[]): boolean {
  const last = [...events]
    .filter((event) => event.reason === 'TriggeredScaleUp' || event.reason === 'NotTriggerScaleUp')
    .sort((a, b) => (a.lastTimestamp ?? '').localeCompare(b.lastTimestamp ?? ''))
    .pop();
  return last?.reason === 'TriggeredScaleUp';
}

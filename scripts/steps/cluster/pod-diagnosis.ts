/**
 * Why a pod cannot start or keeps failing, in plain words, from what the cluster reports: its status, the events
 * about it and about the PVCs it mounts. Pure functions shared by every wait on pods (a Job's, a helper pod's, a
 * Deployment's roll-out): tests feed them objects, the watchers feed them live state.
 *
 * `stuckReason` spots a state that will never fix itself (a missing image or Secret key, a storage class that does
 * not exist) so a wait can stop at once instead of waiting out its timeout.
 */

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string };
}

export interface PodLike {
  metadata: { name: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { containers?: { name: string; image?: string }[] };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: {
      name: string;
      state?: ContainerState;
      lastState?: ContainerState;
      ready?: boolean;
      restartCount?: number;
    }[];
  };
}

export interface EventLike {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject?: { kind?: string; name?: string };
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

export interface PvcLike {
  metadata: { name: string };
  spec?: { storageClassName?: string };
  status?: { phase?: string };
}

export interface Diagnosis {
  /** One sentence: what went wrong. */
  summary: string;
  /** What to do about it. */
  fix: string;
}

const PULL_WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

/**
 * A pod state that will not fix itself, or undefined while things may still work out. `workload` names what the pod
 * runs for, in the explanation ("the Job", "Deployment wpp-bot").
 */
export function stuckReason(
  pod: PodLike,
  events: readonly EventLike[],
  pvcs: readonly PvcLike[],
  pvcEvents: readonly EventLike[],
  workload = 'the Job',
): Diagnosis | undefined {
  for (const container of pod.status?.containerStatuses ?? []) {
    const waiting = container.state?.waiting;
    if (!waiting?.reason) continue;
    if (PULL_WAITING.has(waiting.reason)) return explainPull(pod, container.name, waiting.message ?? '', events);
    if (waiting.reason === 'CreateContainerConfigError') return explainConfigError(waiting.message ?? '', workload);
  }
  const pending = pvcs.find((pvc) => pvc.status?.phase === 'Pending');
  if (pending) {
    const failure = pvcEvents.find((event) => event.reason === 'ProvisioningFailed');
    if (failure) return explainPvc(pending, failure);
  }
  return undefined;
}

/**
 * Why the pod cannot start yet although nothing is broken for sure (for example, waiting for a node). The autoscaler
 * is named only when the nodes are short of CPU, memory or pod slots — what a new node fixes — never for a claim.
 * (One argument only: it is passed to `Array.map`.)
 */
export function waitingNote(pod: PodLike): string | undefined {
  const reason = unscheduledReason(pod);
  if (reason === undefined) return undefined;
  const autoscaler = nodeShortage(reason) ? ' (the autoscaler may be adding a node)' : '';
  return `Not scheduled yet: ${autoscaler ? `${reason}${autoscaler}` : reason.replace(/\.$/, '')}.`;
}

/** The scheduler's reason the pod has no node (its FailedScheduling text), or undefined when it is not waiting for one. */
export function unscheduledReason(pod: PodLike): string | undefined {
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') return undefined;
  return scheduled.message?.trim() || 'no node fits';
}

/** The nodes lack CPU, memory or room for pods: a node the cluster autoscaler adds would fit the pod. */
export function nodeShortage(reason: string): boolean {
  return /Insufficient (cpu|memory|pods|ephemeral-storage)|Too many pods/i.test(reason);
}

/**
 * The claims among `pvcs` that are Pending only because their StorageClass binds a volume once a pod using them has
 * a node (volumeBindingMode WaitForFirstConsumer): normal until the pod is scheduled, never the cause itself.
 */
export function claimsWaitingForConsumer(pvcs: readonly PvcLike[], pvcEvents: readonly EventLike[]): PvcLike[] {
  return pvcs.filter(
    (pvc) =>
      pvc.status?.phase === 'Pending' &&
      pvcEvents.some(
        (event) =>
          event.reason === 'WaitForFirstConsumer' &&
          (event.involvedObject?.name === undefined || event.involvedObject.name === pvc.metadata.name),
      ) &&
      !pvcEvents.some(
        (event) => event.reason === 'ProvisioningFailed' && event.involvedObject?.name === pvc.metadata.name,
      ),
  );
}

/**
 * A workload's pod that was never given a node: the cause is the scheduler's reason (a claim waiting for its first
 * consumer is only a consequence, and said so), and what to do depends on it.
 */
export function explainNeverScheduled(
  pod: PodLike,
  reason: string,
  pvcs: readonly PvcLike[],
  pvcEvents: readonly EventLike[],
): Diagnosis {
  const waiting = claimsWaitingForConsumer(pvcs, pvcEvents).map((pvc) => pvc.metadata.name);
  const claims =
    waiting.length > 0
      ? ` (its PVC ${waiting.join(', ')} is Pending only because its storage class binds a volume once the pod has a node — volumeBindingMode WaitForFirstConsumer — which is normal)`
      : '';
  const fix = nodeShortage(reason)
    ? "No node has room for the pod: lower the Job's resources.requests in the app values file, or let the cluster grow (node_max in terraform/terraform.tfvars)."
    : /PersistentVolumeClaim|persistentvolumeclaim|volume/i.test(reason)
      ? 'Its volume is the problem: see `kubectl describe pvc` and the storage class.'
      : `See why: kubectl describe pod ${pod.metadata.name}.`;
  return { summary: `${reason.replace(/\.$/, '')}${claims}`, fix };
}

export function lastExitCode(pods: readonly PodLike[]): number | undefined {
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const terminated = container.state?.terminated ?? container.lastState?.terminated;
      if (terminated?.exitCode !== undefined) return terminated.exitCode;
    }
  }
  return undefined;
}

function explainPull(
  pod: PodLike,
  containerName: string,
  waitingMessage: string,
  events: readonly EventLike[],
): Diagnosis {
  const image = pod.spec?.containers?.find((container) => container.name === containerName)?.image ?? 'the image';
  const text = [
    waitingMessage,
    ...events
      .filter((event) => event.reason === 'Failed' || event.reason === 'ErrImagePull')
      .map((event) => event.message ?? ''),
  ].join('\n');
  if (/no match for platform|does not match the specified platform|exec format error/i.test(text)) {
    return {
      summary: `The image ${image} has no linux/amd64 variant, the architecture of LKE nodes.`,
      fix: 'Build for linux/amd64: install docker buildx (deckhand then builds with --platform linux/amd64), or build on an amd64 machine or in CI.',
    };
  }
  if (/unauthorized|authentication required|denied|forbidden|\b401\b|\b403\b/i.test(text)) {
    return {
      summary: `The registry refused to give ${image} to the cluster (no or wrong credentials).`,
      fix: 'Make the package public, or set REGISTRY_PULL_TOKEN (a read:packages token) so deckhand creates an image pull secret, then deploy again.',
    };
  }
  if (/not found|manifest unknown|does not exist/i.test(text)) {
    return {
      summary: `The image ${image} does not exist in the registry (wrong tag, or the push did not happen).`,
      fix: 'Check the tag with `docker manifest inspect <image>`; deploy without --image to build and push it.',
    };
  }
  return {
    summary: `The cluster cannot pull ${image}: ${firstLine(text) || 'image pull failed'}.`,
    fix: 'Check the image name, the registry and its credentials.',
  };
}

function explainConfigError(message: string, workload: string): Diagnosis {
  const missingKey = /couldn't find key (\S+) in Secret (\S+)/.exec(message);
  if (missingKey) {
    return {
      summary: `The Secret ${missingKey[2]} has no key ${missingKey[1]}, which ${workload} needs.`,
      fix: `Set ${missingKey[1]} (in the app's env file or the environment) and deploy again; deckhand writes the Secret before each run.`,
    };
  }
  const missingConfigKey = /couldn't find key (\S+) in ConfigMap (\S+)/.exec(message);
  if (missingConfigKey) {
    return {
      summary: `The ConfigMap ${missingConfigKey[2]} has no key ${missingConfigKey[1]}, which ${workload} needs.`,
      fix: `Add ${missingConfigKey[1]} to that ConfigMap in the manifests (or drop the reference), then deploy again.`,
    };
  }
  const missingSecret = /secret "([^"]+)" not found/.exec(message);
  if (missingSecret) {
    return {
      summary: `The Secret ${missingSecret[1]} does not exist in the namespace.`,
      fix: 'Deploy again with deckhand (it creates the Secret), or check the namespace.',
    };
  }
  return {
    summary: `The container cannot be configured: ${firstLine(message)}.`,
    fix: 'Check the env and volume settings in the values file.',
  };
}

function explainPvc(pvc: PvcLike, failure: EventLike): Diagnosis {
  const storageClass = pvc.spec?.storageClassName;
  if (/storageclass.* not found/i.test(failure.message ?? '')) {
    return {
      summary: `The PVC ${pvc.metadata.name} asks for storage class "${storageClass}", which this cluster does not have, so no volume can be created.`,
      fix: 'Leave persistence.storageClassName empty to use the cluster default (on LKE: linode-block-storage-retain), or name one from `kubectl get storageclass`.',
    };
  }
  return {
    summary: `The PVC ${pvc.metadata.name} cannot get a volume: ${firstLine(failure.message ?? '')}.`,
    fix: 'Check `kubectl describe pvc` and the storage class.',
  };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

/** Waiting reasons that may never clear by themselves (the diagnosis decides whether they are). */
const SUSPICIOUS_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** A short key for a pod state worth reading events for, or undefined when the pod is simply on its way. */
export function suspiciousState(pod: PodLike): string | undefined {
  const waiting = (pod.status?.containerStatuses ?? [])
    .map((status) => status.state?.waiting?.reason)
    .find((reason) => reason && SUSPICIOUS_WAITING.has(reason));
  if (waiting) return `waiting:${waiting}`;
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  // Unschedulable covers a PVC that cannot be provisioned (its events then tell why).
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    return `unschedulable:${scheduled.message ?? ''}`;
  return undefined;
}

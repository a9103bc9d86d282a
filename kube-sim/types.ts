/** Shapes shared by the simulator's modules. Kubernetes objects stay plain JSON; validation/ checks them against schemas. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: unknown };

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** What a simulated Job pod does. Every field is optional in `setJobBehavior`; the rest comes from `jobDefaults`. */
export interface JobBehavior {
  outcome: JobOutcome;
  /** Exit code for `fail` (default 1). `oom-killed` always exits 137. */
  exitCode?: number;
  /** How long the container runs before it terminates (ms). */
  delayMs?: number;
  /** Lines the container prints, spread over `delayMs` unless `logIntervalMs` is set. */
  logLines?: string[];
  logIntervalMs?: number;
  /**
   * Files the container writes when it terminates. Absolute paths must fall under one of the pod's PVC mounts;
   * relative paths are written under the first PVC mount. When omitted, the pod writes one small text file
   * (`kube-sim-output.txt`) into every PVC it mounts.
   */
  files?: Record<string, string | Uint8Array>;
  /**
   * Symbolic links the container leaves beside its files (path → link target, paths as for `files`): what a hostile
   * or careless Job could leave for the copy to trip over.
   */
  links?: Record<string, string>;
  /** Overrides per attempt (0 = first pod), e.g. `[{ outcome: 'fail' }, { outcome: 'succeed' }]` to prove a retry. */
  attempts?: Array<Partial<Omit<JobBehavior, 'attempts'>>>;
  /** `image-pull-error`: why the pull fails (default: the tag does not exist). */
  pullError?: PullError;
  /**
   * The Job's activeDeadlineSeconds counts as this many seconds, so DeadlineExceeded can be watched without waiting
   * the hour a chart sets. Read from the rules matching the Job (not per attempt).
   */
  deadlineSeconds?: number;
}

/** Why an image pull fails: the tag is not there, the registry refuses, or no variant for the node's platform. */
export type PullError = 'not-found' | 'unauthorized' | 'wrong-platform';

export type JobOutcome =
  | 'succeed'
  | 'fail'
  | 'never-finish'
  | 'image-pull-error'
  | 'oom-killed'
  | 'unschedulable'
  /** The pod is evicted: it fails with a `DisruptionTarget` condition (what `podFailurePolicy` `Ignore` rules match). */
  | 'disrupted'
  /**
   * The kubelet behaves as if the first Secret/ConfigMap key (or whole envFrom source) the pod reads were missing:
   * CreateContainerConfigError naming it. (Missing keys in the cluster need no script: they are found by themselves.)
   */
  | 'missing-key';

/** Selects Jobs for `setJobBehavior`. All given fields must match; `{}` matches every Job. */
export interface JobMatch {
  namespace?: string;
  name?: string;
  namePrefix?: string;
}

export interface Gap {
  method: string;
  path: string;
  reason: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  contentType?: string;
  /** When the request arrived (performance.now()), for timelines. */
  at?: number;
}

/** Controller delays in milliseconds. Small by default so tests stay fast; raise them to watch transitions by eye. */
export interface SimTimings {
  /** Pod creation -> scheduled (or FailedScheduling). */
  scheduleMs: number;
  /** Scheduled -> container running (image pull, volume mounts). */
  containerStartMs: number;
  /** ErrImagePull -> ImagePullBackOff. */
  imageBackoffMs: number;
  /** Pod deletion grace: deletionTimestamp -> object gone. */
  podTerminationMs: number;
  /** A Job's failed pod -> its replacement pod. */
  jobRetryMs: number;
  /** PVC creation -> PV provisioned and bound. */
  provisionMs: number;
  /** Namespace deletion -> contents removed. */
  namespaceCleanupMs: number;
  /** Service type LoadBalancer -> ingress IP assigned. */
  loadBalancerMs: number;
  /**
   * Milliseconds of simulated time per second a pod's probe settings name (default 10: a readinessProbe with
   * periodSeconds 10 is probed every 100 ms). Probe-driven timings (Unhealthy events, slow starts) follow from it.
   */
  probeMsPerSecond: number;
  /** A crashed service container -> its restart (the kubelet's back-off, 10 s and doubling, is only quoted). */
  restartBackoffMs: number;
}

/**
 * What the pods of a Deployment do (`setDeploymentBehavior`). Pods that no rule matches serve: they start and are
 * Ready at once.
 */
export type ServiceOutcome =
  | 'ready'
  /** Each run exits with `exitCode` after `runMs`; the kubelet restarts it (CrashLoopBackOff, restartCount grows). */
  | 'crash-loop'
  /** Running but never Ready: the readiness probe fails every period (Warning Unhealthy events). */
  | 'never-ready'
  /** ErrImagePull, then ImagePullBackOff, retried on the kubelet's back-off (Warning Failed/BackOff events). */
  | 'image-pull-error'
  /** Ready, but only once its startup/readiness probe has failed for most of the window the probe allows. */
  | 'slow'
  /** The scheduler finds no node (PodScheduled=False, Unschedulable; Warning FailedScheduling events). */
  | 'unschedulable'
  /** As if the first Secret/ConfigMap key the pod reads were missing (see JobOutcome `missing-key`). */
  | 'missing-key';

export interface ServiceBehavior {
  outcome: ServiceOutcome;
  /** Exit code of each crashed run (default 1). */
  exitCode?: number;
  /** How long each crash-looping run lasts before it exits (default 50 ms). */
  runMs?: number;
  /** Lines each run of the main container prints (spread over `logIntervalMs`, default 10 ms apart). */
  logLines?: string[];
  logIntervalMs?: number;
  /** `slow`: ms from container start to Ready; default derived from the probe (just inside what it allows). */
  readyAfterMs?: number;
  /** What a failing probe reports after "Readiness probe failed: " (default derived from the probe's kind). */
  probeMessage?: string;
  /** `image-pull-error`: why the pull fails (default: the tag does not exist). */
  pullError?: PullError;
}

/** Selects Deployments (and their pods) for `setDeploymentBehavior`. All given fields must match. */
export interface DeploymentMatch {
  namespace?: string;
  /** The Deployment's name. */
  name?: string;
  namePrefix?: string;
  /** The main container's image as written in the pod template (exact), e.g. to script one release's image. */
  image?: string;
}

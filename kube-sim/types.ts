/** Shapes shared by the simulator's modules. Kubernetes objects stay plain JSON: the simulator has no schemas. */

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
}

export type JobOutcome =
  | 'succeed'
  | 'fail'
  | 'never-finish'
  | 'image-pull-error'
  | 'oom-killed'
  | 'unschedulable'
  /** The pod is evicted: it fails with a `DisruptionTarget` condition (what `podFailurePolicy` `Ignore` rules match). */
  | 'disrupted';

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
}

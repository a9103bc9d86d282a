/**
 * The scheduler and kubelet, simulated per pod: Pending -> scheduled -> containers created -> Running -> terminated,
 * with the status fields, conditions and Events a real node reports. Failures that follow from cluster state need
 * no flag: an unbound or missing PVC keeps the pod unschedulable (FailedScheduling), a missing Secret/ConfigMap or
 * key gives CreateContainerConfigError or FailedMount, and the pod starts by itself once the object appears.
 * Outcomes chosen by tests (`setJobBehavior`) add image pull errors, OOM kills, evictions and exit codes.
 *
 * Long on purpose: one pod's lifecycle is one state machine (scheduled → created → running → finished →
 * terminating) whose steps schedule and cancel each other's timers; the checks that need none of that state live in
 * pod-containers.ts.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path/posix';
import type { PodAssignment, PodPlan } from '../behaviors.ts';
import { clone, getPath, isPlainObject, timestamp } from '../json.ts';
import { typeFor } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { claimMountPaths, resolvePodPath } from '../volumes.ts';
import { SELECTED_NODE } from './storage.ts';
import { NODE_NAMES } from '../seed.ts';
import type { Controller, ControllerContext } from './runtime.ts';
import {
  containerProblem,
  containersOf,
  fullImage,
  imageId,
  pretendMissingKey,
  setCondition,
} from './pod-containers.ts';
import { backOffText, driveReadiness, pullErrorMessage } from './service-pods.ts';

const POD = typeFor('v1', 'Pod');

type Obj = Record<string, unknown>;

type Stage =
  | 'scheduling'
  | 'unschedulable'
  | 'starting'
  | 'blocked'
  | 'image-error'
  | 'running'
  | 'restarting'
  | 'finished'
  | 'terminating';

interface PodRun {
  namespace: string;
  name: string;
  uid: string;
  assignment: PodAssignment;
  stage: Stage;
  /** Why an unschedulable/blocked pod waits: a test-chosen outcome never clears; cluster state may. */
  waitingOn?: 'behavior' | 'cluster';
  restarts: number;
  node?: string;
  cancels: Array<() => void>;
}

const PVC = typeFor('v1', 'PersistentVolumeClaim');
const STORAGE_CLASS = typeFor('storage.k8s.io/v1', 'StorageClass');
/** unschedulableReason: the pod fits, and waits only for its WaitForFirstConsumer claims to bind. */
const WAITING_FOR_BINDING = 'waiting for volume binding';

const NO_PREEMPTION = 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';

export class PodRuntime implements Controller {
  readonly name = 'kubelet';
  private readonly ctx: ControllerContext;
  private readonly runs = new Map<string, PodRun>();
  private nodeIndex = 0;
  private ipCounter = 10;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
  }

  handle(event: StoreEvent): void {
    const kind = event.object.kind;
    if (kind === 'Pod') this.onPod(event);
    else if (kind === 'PersistentVolumeClaim' || kind === 'PersistentVolume')
      this.retryWaiting(event.object.metadata.namespace, 'unschedulable');
    else if (kind === 'Secret' || kind === 'ConfigMap') this.retryWaiting(event.object.metadata.namespace, 'blocked');
  }

  private onPod(event: StoreEvent): void {
    const pod = event.object;
    const uid = pod.metadata.uid ?? '';
    if (event.type === 'DELETED') {
      this.cancel(this.runs.get(uid));
      this.runs.delete(uid);
      this.ctx.logs.drop(uid);
      return;
    }
    const current = this.ctx.registry.find(POD, pod.metadata.namespace, pod.metadata.name ?? '');
    if (!current || current.metadata.uid !== uid) return;
    let run = this.runs.get(uid);
    if (!run && event.type === 'ADDED' && this.isFresh(current)) {
      run = {
        namespace: current.metadata.namespace ?? 'default',
        name: current.metadata.name ?? '',
        uid,
        assignment: this.ctx.behaviors.take(current.metadata.namespace ?? 'default', current.metadata.name ?? ''),
        stage: 'scheduling',
        restarts: 0,
        cancels: [],
      };
      this.runs.set(uid, run);
      const scheduled = getPath(current, 'spec.nodeName');
      if (typeof scheduled === 'string' && scheduled) {
        run.node = scheduled;
        this.later(run, this.ctx.timings.containerStartMs, () => this.startContainers(run as PodRun));
      } else {
        this.later(run, this.ctx.timings.scheduleMs, () => this.trySchedule(run as PodRun));
      }
    }
    if (current.metadata.deletionTimestamp && run?.stage !== 'terminating') this.beginTermination(current, run);
  }

  /** Pods seeded with a status by tests are left alone; only new, unstarted pods are run. */
  private isFresh(pod: KubeObject): boolean {
    const phase = getPath(pod, 'status.phase');
    return (phase === undefined || phase === 'Pending') && getPath(pod, 'status.containerStatuses') === undefined;
  }

  private later(run: PodRun, ms: number, fn: () => void): void {
    run.cancels.push(this.ctx.timers.after(ms, `kubelet ${run.namespace}/${run.name}`, fn));
  }

  private cancel(run: PodRun | undefined): void {
    if (!run) return;
    for (const cancel of run.cancels) cancel();
    run.cancels = [];
  }

  private pod(run: PodRun): KubeObject | undefined {
    const pod = this.ctx.registry.find(POD, run.namespace, run.name);
    return pod && pod.metadata.uid === run.uid && !pod.metadata.deletionTimestamp ? pod : undefined;
  }

  private writeStatus(run: PodRun, mutate: (status: Obj, pod: KubeObject) => void): KubeObject | undefined {
    const pod = this.pod(run);
    if (!pod) return undefined;
    const status = isPlainObject(pod['status']) ? clone(pod['status']) : {};
    mutate(status, pod);
    return this.ctx.registry.writeStatus(POD, { ...pod, status });
  }

  private retryWaiting(namespace: string | undefined, stage: 'unschedulable' | 'blocked'): void {
    for (const run of this.runs.values()) {
      if (
        run.stage !== stage ||
        run.waitingOn !== 'cluster' ||
        (namespace !== undefined && run.namespace !== namespace)
      )
        continue;
      run.stage = stage === 'unschedulable' ? 'scheduling' : 'starting';
      this.later(
        run,
        stage === 'unschedulable' ? this.ctx.timings.scheduleMs : this.ctx.timings.containerStartMs,
        () => (stage === 'unschedulable' ? this.trySchedule(run) : this.startContainers(run)),
      );
    }
  }

  private unschedulableReason(pod: KubeObject, plan: PodPlan): string | undefined {
    if (plan.outcome === 'unschedulable') {
      return '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
    }
    const volumes = ((getPath(pod, 'spec.volumes') as unknown[] | undefined) ?? []).filter(isPlainObject);
    const waitingClaims: KubeObject[] = [];
    for (const volume of volumes) {
      const claimName = getPath(volume, 'persistentVolumeClaim.claimName');
      if (typeof claimName !== 'string') continue;
      const pvc = this.ctx.registry.find(typeFor('v1', 'PersistentVolumeClaim'), pod.metadata.namespace, claimName);
      if (!pvc) return `0/3 nodes are available: persistentvolumeclaim "${claimName}" not found. ${NO_PREEMPTION}`;
      if (pvc.metadata.deletionTimestamp)
        return `0/3 nodes are available: persistentvolumeclaim "${claimName}" is being deleted. ${NO_PREEMPTION}`;
      if (getPath(pvc, 'status.phase') === 'Bound') continue;
      if (!this.waitsForFirstConsumer(pvc))
        return `0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NO_PREEMPTION}`;
      waitingClaims.push(pvc);
    }
    if (waitingClaims.length === 0) return undefined;
    // The pod fits a node: the scheduler names it on each claim that waited for this consumer (the provisioner then
    // creates the volume there) and binds the pod once they are Bound — no FailedScheduling, this is the normal path.
    const node = NODE_NAMES[this.nodeIndex % NODE_NAMES.length] ?? 'node';
    for (const pvc of waitingClaims) {
      if (pvc.metadata.annotations?.[SELECTED_NODE]) continue;
      const annotated = clone(pvc);
      annotated.metadata.annotations = { ...annotated.metadata.annotations, [SELECTED_NODE]: node };
      this.ctx.registry.writeInternal(PVC, annotated);
    }
    return WAITING_FOR_BINDING;
  }

  private waitsForFirstConsumer(pvc: KubeObject): boolean {
    const className = getPath(pvc, 'spec.storageClassName');
    if (typeof className !== 'string' || className === '') return false;
    return (
      getPath(this.ctx.registry.find(STORAGE_CLASS, undefined, className) ?? {}, 'volumeBindingMode') ===
      'WaitForFirstConsumer'
    );
  }

  private trySchedule(run: PodRun): void {
    const pod = this.pod(run);
    if (!pod) return;
    const plan = run.assignment.planFor(0);
    const reason = this.unschedulableReason(pod, plan);
    if (reason === WAITING_FOR_BINDING) {
      // Retried when the claims change (PersistentVolumeClaim events).
      run.stage = 'unschedulable';
      run.waitingOn = 'cluster';
      return;
    }
    if (reason) {
      run.stage = 'unschedulable';
      run.waitingOn = plan.outcome === 'unschedulable' ? 'behavior' : 'cluster';
      const updated = this.writeStatus(run, (status) => {
        status['phase'] = 'Pending';
        setCondition(status, 'PodScheduled', 'False', 'Unschedulable', reason);
      });
      if (updated)
        this.ctx.events.record(updated, 'Warning', 'FailedScheduling', reason, { component: 'default-scheduler' });
      return;
    }
    const node = NODE_NAMES[this.nodeIndex % NODE_NAMES.length] ?? 'node';
    this.nodeIndex += 1;
    run.node = node;
    const bound = this.ctx.registry.writeInternal(POD, { ...pod, spec: { ...(pod['spec'] as Obj), nodeName: node } });
    if (!bound) return;
    run.stage = 'starting';
    const hostIP = `192.168.140.${10 + NODE_NAMES.indexOf(node)}`;
    this.ipCounter += 1;
    const podIP = `10.2.${NODE_NAMES.indexOf(node)}.${this.ipCounter % 250}`;
    const updated = this.writeStatus(run, (status, current) => {
      status['phase'] = 'Pending';
      setCondition(status, 'PodReadyToStartContainers', 'False');
      setCondition(status, 'Initialized', 'True');
      setCondition(
        status,
        'Ready',
        'False',
        'ContainersNotReady',
        `containers with unready status: [${containersOf(current)
          .map((c) => c['name'])
          .join(' ')}]`,
      );
      setCondition(
        status,
        'ContainersReady',
        'False',
        'ContainersNotReady',
        `containers with unready status: [${containersOf(current)
          .map((c) => c['name'])
          .join(' ')}]`,
      );
      setCondition(status, 'PodScheduled', 'True');
      status['hostIP'] = hostIP;
      status['hostIPs'] = [{ ip: hostIP }];
      status['podIP'] = podIP;
      status['podIPs'] = [{ ip: podIP }];
      status['startTime'] = timestamp();
      status['containerStatuses'] = containersOf(current).map((c) => this.waitingStatus(c, 'ContainerCreating'));
    });
    if (updated)
      this.ctx.events.record(
        updated,
        'Normal',
        'Scheduled',
        `Successfully assigned ${run.namespace}/${run.name} to ${node}`,
        { component: 'default-scheduler' },
      );
    this.later(run, this.ctx.timings.containerStartMs, () => this.startContainers(run));
  }

  private waitingStatus(container: Obj, reason: string, message?: string, previous?: Obj): Obj {
    return {
      name: container['name'],
      state: { waiting: { reason, ...(message ? { message } : {}) } },
      lastState: previous?.['lastState'] ?? {},
      ready: false,
      restartCount: previous?.['restartCount'] ?? 0,
      image: container['image'],
      imageID: previous?.['imageID'] ?? '',
      started: false,
    };
  }

  private startContainers(run: PodRun): void {
    const pod = this.pod(run);
    if (!pod) return;
    const node = run.node ?? '';
    const source = { component: 'kubelet', host: node };
    const scripted = run.assignment.planFor(run.restarts).outcome === 'missing-key';
    const problem = scripted
      ? pretendMissingKey(pod)
      : containerProblem(pod, (type, namespace, name) => this.ctx.registry.find(type, namespace, name));
    if (scripted && !problem)
      this.ctx.recordGap(
        `pod ${run.namespace}/${run.name} is scripted missing-key but reads no Secret or ConfigMap key; it starts normally`,
      );
    if (problem) {
      run.stage = 'blocked';
      run.waitingOn = scripted ? 'behavior' : 'cluster';
      const updated = this.writeStatus(run, (status, current) => {
        status['containerStatuses'] = containersOf(current).map((c) =>
          problem.reason === 'CreateContainerConfigError' && c['name'] === problem.container
            ? this.waitingStatus(c, 'CreateContainerConfigError', problem.message)
            : this.waitingStatus(c, 'ContainerCreating'),
        );
      });
      if (updated) {
        if (problem.reason === 'FailedMount')
          this.ctx.events.record(updated, 'Warning', 'FailedMount', problem.message, source);
        else
          this.ctx.events.record(
            updated,
            'Warning',
            'Failed',
            `Error: ${problem.message}`,
            source,
            `spec.containers{${problem.container ?? ''}}`,
          );
      }
      return;
    }
    const plan = run.assignment.planFor(run.restarts);
    const main = containersOf(pod)[0];
    const mainName = String(main?.['name'] ?? '');
    const image = String(main?.['image'] ?? '');
    const fieldPath = `spec.containers{${mainName}}`;
    if (plan.outcome === 'image-pull-error') {
      this.pullFails(run, plan, mainName, image);
      return;
    }
    this.ctx.events.record(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, source, fieldPath);
    for (const container of containersOf(pod)) {
      const name = String(container['name']);
      const containerImage = String(container['image'] ?? '');
      const fp = `spec.containers{${name}}`;
      if (name !== mainName)
        this.ctx.events.record(pod, 'Normal', 'Pulling', `Pulling image "${containerImage}"`, source, fp);
      this.ctx.events.record(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${containerImage}" in 412ms (412ms including waiting). Image size: 2170876 bytes.`,
        source,
        fp,
      );
      this.ctx.events.record(pod, 'Normal', 'Created', `Created container: ${name}`, source, fp);
      this.ctx.events.record(pod, 'Normal', 'Started', `Started container ${name}`, source, fp);
    }
    this.run(run, plan);
  }

  /**
   * ErrImagePull, then ImagePullBackOff. A Deployment's pod keeps retrying on the kubelet's back-off, so the events
   * repeat (counted); a Job's pod stays in ImagePullBackOff.
   */
  private pullFails(run: PodRun, plan: PodPlan, mainName: string, image: string): void {
    run.stage = 'image-error';
    const source = { component: 'kubelet', host: run.node ?? '' };
    const fieldPath = `spec.containers{${mainName}}`;
    const message = pullErrorMessage(fullImage(image), plan.pullError);
    const pulling = this.pod(run);
    if (!pulling) return;
    this.ctx.events.record(pulling, 'Normal', 'Pulling', `Pulling image "${image}"`, source, fieldPath);
    const updated = this.writeStatus(run, (status, current) => {
      status['containerStatuses'] = containersOf(current).map((c) =>
        c['name'] === mainName
          ? this.waitingStatus(c, 'ErrImagePull', message)
          : this.waitingStatus(c, 'PodInitializing'),
      );
    });
    if (!updated) return;
    this.ctx.events.record(
      updated,
      'Warning',
      'Failed',
      `Failed to pull image "${image}": ${message}`,
      source,
      fieldPath,
    );
    this.ctx.events.record(updated, 'Warning', 'Failed', 'Error: ErrImagePull', source, fieldPath);
    this.later(run, this.ctx.timings.imageBackoffMs, () => {
      const backedOff = this.writeStatus(run, (status, current) => {
        status['containerStatuses'] = containersOf(current).map((c) =>
          c['name'] === mainName
            ? this.waitingStatus(c, 'ImagePullBackOff', `Back-off pulling image "${image}": ErrImagePull: ${message}`)
            : this.waitingStatus(c, 'PodInitializing'),
        );
      });
      if (!backedOff) return;
      this.ctx.events.record(backedOff, 'Normal', 'BackOff', `Back-off pulling image "${image}"`, source, fieldPath);
      this.ctx.events.record(backedOff, 'Warning', 'Failed', 'Error: ImagePullBackOff', source, fieldPath);
      if (run.assignment.deploymentName !== undefined)
        this.later(run, this.ctx.timings.imageBackoffMs * 2, () => this.pullFails(run, plan, mainName, image));
    });
  }

  private runningStatus(container: Obj, startedAt: string, previous: Obj | undefined, ready = true): Obj {
    return {
      name: container['name'],
      state: { running: { startedAt } },
      lastState: previous?.['lastState'] ?? {},
      ready,
      restartCount: previous?.['restartCount'] ?? 0,
      image: container['image'],
      imageID: imageId(String(container['image'] ?? '')),
      containerID: `containerd://${randomBytes(32).toString('hex')}`,
      started: ready || !isPlainObject(container['startupProbe']),
    };
  }

  private run(run: PodRun, plan: PodPlan): void {
    run.stage = 'running';
    const startedAt = timestamp();
    // A crash-looping service container with a startup or readiness probe exits before its first probe can pass: a
    // real kubelet never reports it Ready (without probes, running is ready, as on a real node).
    const current = this.pod(run);
    const first = current ? containersOf(current)[0] : undefined;
    const probed = isPlainObject(first?.['readinessProbe']) || isPlainObject(first?.['startupProbe']);
    const crashesBeforeProbed = plan.outcome === 'fail' && run.assignment.deploymentName !== undefined && probed;
    const readyNow = plan.readiness === undefined && !crashesBeforeProbed;
    const updated = this.writeStatus(run, (status, pod) => {
      const previous = Array.isArray(status['containerStatuses']) ? (status['containerStatuses'] as Obj[]) : [];
      const mainName = String(containersOf(pod)[0]?.['name'] ?? '');
      status['phase'] = 'Running';
      setCondition(status, 'PodReadyToStartContainers', 'True');
      if (readyNow) {
        setCondition(status, 'Ready', 'True');
        setCondition(status, 'ContainersReady', 'True');
      } else {
        setCondition(status, 'Ready', 'False', 'ContainersNotReady', `containers with unready status: [${mainName}]`);
        setCondition(
          status,
          'ContainersReady',
          'False',
          'ContainersNotReady',
          `containers with unready status: [${mainName}]`,
        );
      }
      const inits = containersOf(pod, 'initContainers');
      if (inits.length) {
        status['initContainerStatuses'] = inits.map((c) => ({
          name: c['name'],
          state: {
            terminated: {
              exitCode: 0,
              reason: 'Completed',
              startedAt,
              finishedAt: startedAt,
              containerID: `containerd://${randomBytes(32).toString('hex')}`,
            },
          },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: c['image'],
          imageID: imageId(String(c['image'] ?? '')),
          started: false,
        }));
      }
      status['containerStatuses'] = containersOf(pod).map((c) =>
        this.runningStatus(
          c,
          startedAt,
          previous.find((p) => p['name'] === c['name']),
          readyNow || c['name'] !== mainName,
        ),
      );
    });
    if (!updated) return;
    if (!readyNow && plan.outcome !== 'fail') this.driveProbes(run, plan, updated);
    const main = String(containersOf(updated)[0]?.['name'] ?? '');
    if (run.restarts > 0) for (const c of containersOf(updated)) this.ctx.logs.restart(run.uid, String(c['name']));
    const interval = plan.logIntervalMs ?? (plan.logLines.length > 0 ? plan.delayMs / (plan.logLines.length + 1) : 0);
    plan.logLines.forEach((line, index) => {
      this.later(run, interval * (index + 1), () => this.ctx.logs.append(run.uid, main, line));
    });
    if (plan.outcome === 'serve' || plan.outcome === 'never-finish') {
      if (plan.outcome === 'never-finish' && plan.files)
        this.later(run, plan.delayMs, () => this.writeFiles(run, plan));
      return;
    }
    // Lines due at the very end are printed before the container exits.
    const finishAt = Math.max(plan.delayMs, interval * plan.logLines.length);
    this.later(run, finishAt + 1, () => this.finish(run, plan));
  }

  /** A running container that is not Ready yet (slow) or never (its readiness probe keeps failing). */
  private driveProbes(run: PodRun, plan: PodPlan, pod: KubeObject): void {
    const main = containersOf(pod)[0];
    const mainName = String(main?.['name'] ?? '');
    const source = { component: 'kubelet', host: run.node ?? '' };
    const markContainer = (field: 'started' | 'ready'): void => {
      this.writeStatus(run, (status) => {
        const statuses = Array.isArray(status['containerStatuses']) ? (status['containerStatuses'] as Obj[]) : [];
        status['containerStatuses'] = statuses.map((s) =>
          s['name'] === mainName ? { ...s, [field]: true, ...(field === 'ready' ? { started: true } : {}) } : s,
        );
        if (field === 'ready') {
          setCondition(status, 'Ready', 'True');
          setCondition(status, 'ContainersReady', 'True');
        }
      });
    };
    driveReadiness(main, plan, this.ctx.timings.probeMsPerSecond, {
      later: (ms, fn) => this.later(run, ms, fn),
      podIP: () => String(getPath(this.pod(run), 'status.podIP') ?? ''),
      unhealthy: (message) => {
        const current = this.pod(run);
        if (current)
          this.ctx.events.record(current, 'Warning', 'Unhealthy', message, source, `spec.containers{${mainName}}`);
      },
      started: () => markContainer('started'),
      ready: () => markContainer('ready'),
      gap: (reason) => this.ctx.recordGap(`pod ${run.namespace}/${run.name}: ${reason}`),
    });
  }

  private writeFiles(run: PodRun, plan: PodPlan): void {
    const pod = this.pod(run);
    if (!pod) return;
    const mounts = claimMountPaths(pod);
    const wanted: Array<[string, Buffer]> = plan.files
      ? Object.entries(plan.files).map(([p, content]) => [
          p.startsWith('/') ? p : path.join(mounts[0] ?? '/', p),
          Buffer.from(content),
        ])
      : mounts.map((m) => [
          path.join(m, 'kube-sim-output.txt'),
          Buffer.from(
            `written by pod ${run.namespace}/${run.name}${run.assignment.jobName ? ` of job ${run.assignment.jobName}` : ''} at ${timestamp()}\n`,
          ),
        ]);
    const links = Object.entries(plan.links ?? {}).map(
      ([p, target]) => [p.startsWith('/') ? p : path.join(mounts[0] ?? '/', p), target] as const,
    );
    const writable = (absolute: string) => {
      const resolved = resolvePodPath(this.ctx.registry, pod, undefined, absolute);
      if (resolved.kind === 'volume' && !resolved.readOnly) return resolved;
      if (plan.files || plan.links)
        this.ctx.recordGap(
          `pod ${run.namespace}/${run.name} cannot write ${absolute}: it is not under a writable PVC mount (mounts: ${mounts.join(', ') || 'none'})`,
        );
      return undefined;
    };
    for (const [absolute, data] of wanted) {
      const resolved = writable(absolute);
      if (resolved) this.ctx.volumes.write(resolved.pvName, resolved.relative, data);
    }
    for (const [absolute, target] of links) {
      const resolved = writable(absolute);
      if (resolved) this.ctx.volumes.link(resolved.pvName, resolved.relative, target);
    }
  }

  private finish(run: PodRun, plan: PodPlan): void {
    const pod = this.pod(run);
    if (!pod) return;
    if (plan.outcome === 'succeed' || plan.outcome === 'fail') this.writeFiles(run, plan);
    const failed = plan.outcome !== 'succeed';
    const reason = plan.outcome === 'oom-killed' ? 'OOMKilled' : failed ? 'Error' : 'Completed';
    const finishedAt = timestamp();
    const restartPolicy = String(getPath(pod, 'spec.restartPolicy') ?? 'Always');
    const restarts = restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && failed);
    const main = String(containersOf(pod)[0]?.['name'] ?? '');
    const updated = this.writeStatus(run, (status) => {
      const statuses = Array.isArray(status['containerStatuses']) ? (status['containerStatuses'] as Obj[]) : [];
      status['containerStatuses'] = statuses.map((s) => {
        const isMain = s['name'] === main;
        const terminated = {
          exitCode: isMain ? plan.exitCode : 0,
          reason: isMain ? reason : 'Completed',
          startedAt: getPath(s, 'state.running.startedAt') ?? finishedAt,
          finishedAt,
          containerID: s['containerID'],
        };
        if (restarts) {
          return {
            ...s,
            state: {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off ${backOffText(run.restarts + 1)} restarting failed container=${String(s['name'])} pod=${run.name}_${run.namespace}(${run.uid})`,
              },
            },
            lastState: { terminated },
            ready: false,
            started: false,
            restartCount: Number(s['restartCount'] ?? 0) + 1,
          };
        }
        return { ...s, state: { terminated }, ready: false, started: false };
      });
      if (restarts) {
        setCondition(status, 'Ready', 'False', 'ContainersNotReady', `containers with unready status: [${main}]`);
        setCondition(
          status,
          'ContainersReady',
          'False',
          'ContainersNotReady',
          `containers with unready status: [${main}]`,
        );
        return;
      }
      status['phase'] = failed ? 'Failed' : 'Succeeded';
      setCondition(status, 'PodReadyToStartContainers', 'False');
      setCondition(status, 'Ready', 'False', failed ? 'PodFailed' : 'PodCompleted');
      setCondition(status, 'ContainersReady', 'False', failed ? 'PodFailed' : 'PodCompleted');
      if (plan.outcome === 'disrupted') {
        setCondition(
          status,
          'DisruptionTarget',
          'True',
          'TerminationByKubelet',
          'Pod was terminated in response to imminent node shutdown.',
        );
      }
    });
    for (const c of containersOf(pod)) this.ctx.logs.end(run.uid, String(c['name']));
    if (!updated) return;
    if (!restarts) {
      run.stage = 'finished';
      return;
    }
    run.stage = 'restarting';
    run.restarts += 1;
    this.ctx.events.record(
      updated,
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${main} in pod ${run.name}_${run.namespace}(${run.uid})`,
      { component: 'kubelet', host: run.node ?? '' },
      `spec.containers{${main}}`,
    );
    const backoff =
      run.assignment.deploymentName !== undefined ? this.ctx.timings.restartBackoffMs : this.ctx.timings.jobRetryMs;
    this.later(run, backoff, () => {
      const next = run.assignment.planFor(run.restarts);
      this.run(run, next);
    });
  }

  /**
   * Ends the running main container of each pod `select` picks, now, with the given outcome (tests use this to end a
   * `never-finish` Job at a moment they choose). Returns how many containers were ended.
   */
  finishRunning(
    select: (jobName: string | undefined, namespace: string) => boolean,
    outcome: 'succeed' | 'fail',
    exitCode: number,
  ): number {
    let finished = 0;
    for (const run of this.runs.values()) {
      if (run.stage !== 'running' || !select(run.assignment.jobName, run.namespace)) continue;
      this.cancel(run);
      const plan = run.assignment.planFor(run.restarts);
      this.finish(run, { ...plan, outcome, exitCode: outcome === 'succeed' ? 0 : exitCode, logLines: [] });
      finished += 1;
    }
    return finished;
  }

  private beginTermination(pod: KubeObject, run: PodRun | undefined): void {
    if (run) {
      this.cancel(run);
      run.stage = 'terminating';
    }
    for (const c of containersOf(pod)) this.ctx.logs.end(pod.metadata.uid ?? '', String(c['name']));
    const remove = (): void => {
      const current = this.ctx.registry.find(POD, pod.metadata.namespace, pod.metadata.name ?? '');
      if (!current || current.metadata.uid !== pod.metadata.uid) return;
      // A pod with finalizers stays until they are removed; the registry removes it then.
      if ((current.metadata.finalizers ?? []).length === 0) this.ctx.registry.remove(POD, current);
    };
    const cancel = this.ctx.timers.after(
      this.ctx.timings.podTerminationMs,
      `kubelet terminating ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`,
      remove,
    );
    if (run) run.cancels.push(cancel);
  }
}

/**
 * kube-sim: a simulated Kubernetes API server that the real helm (v4.1.4) and kubectl (v1.34.5) binaries run
 * against in tests. It serves discovery, OpenAPI v3 stubs, CRUD with watch (both list+watch and helm's
 * sendInitialEvents dialect), the four patch types, protobuf bodies for helm's release Secrets, pod logs and
 * WebSocket exec (for `kubectl cp`), and it simulates the controllers clients wait on: Jobs, pods (scheduler and
 * kubelet), Deployments/ReplicaSets, storage provisioning as on LKE, namespaces, garbage collection and Events.
 *
 * What it cannot prove (say so wherever its results are quoted):
 * - Schema validation covers what the schemas in `kubernetes-models` say (types, formats, required fields, enums,
 *   unknown fields per `fieldValidation`), not the API server's validation code beyond them (name formats and the
 *   few rules in strategies.ts aside), and not custom resources. Its OpenAPI documents stay stubs, so clients that
 *   would validate against them (helm's client-side apply) leave it to the server, which warns by default.
 * - No admission webhooks, quotas or limit ranges. RBAC is enforced for ServiceAccount tokens and impersonated users
 *   (`--as`); the kubeconfig's admin may do everything.
 * - Server-side apply and strategic merge patch are approximations without schemas: list merge keys come from a
 *   table of built-in fields, managedFields are not returned, and only apply-vs-apply conflicts are detected.
 * - No real scheduling, images, containers, probes or networking: pod behaviour is scripted (`setJobBehavior`,
 *   `setDeploymentBehavior`; probe timing follows the pods' own probe settings, scaled by `probeMsPerSecond`),
 *   Services have no endpoints, StatefulSets and DaemonSets report ready without pods.
 * - Events, reasons and messages imitate real controllers' wording but come from this simulation.
 * - Exec understands `tar cf -`, `cat`, `ls`, `test` on PVC mounts, and runs the host programs tests map
 *   (`setExecPrograms`); port-forward leads where tests say (`setPortBackend`). Nothing else runs in containers.
 * - CustomResourceDefinitions serve their kinds without schema validation, pruning, defaulting or conversion.
 * - No attach, aggregated APIs or metrics.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createAccess, type AccessOptions, type KubeSimAccess } from './access.ts';
import { BehaviorBook, jobMatches } from './behaviors.ts';
import { DeploymentController } from './controllers/deployments.ts';
import { EventRecorder } from './controllers/events.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { JobController } from './controllers/jobs.ts';
import { NamespaceController } from './controllers/namespaces.ts';
import { PodRuntime } from './controllers/pods.ts';
import { ReplicaSetController } from './controllers/replicasets.ts';
import { ControllerManager, Timers, type ControllerContext } from './controllers/runtime.ts';
import { ServiceController } from './controllers/services.ts';
import { StorageController } from './controllers/storage.ts';
import { WorkloadStatusController } from './controllers/workload-status.ts';
import { ApiError } from './errors.ts';
import { createExecHandler } from './exec.ts';
import { GapRecorder } from './gaps.ts';
import { createApiServer } from './http/server.ts';
import { StreamTracker, type OpenWatch } from './http/watch.ts';
import { getPath } from './json.ts';
import { writeKubeconfig, type KubeconfigOptions } from './kubeconfig.ts';
import { createLogsHandler, LogBook } from './logs.ts';
import { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import { seedCluster } from './seed.ts';
import { ObjectStore } from './store.ts';
import type {
  DeploymentMatch,
  Gap,
  JobBehavior,
  JobMatch,
  KubeObject,
  RequestRecord,
  ServiceBehavior,
  SimTimings,
} from './types.ts';
import { VolumeStore } from './volumes.ts';

export type {
  DeploymentMatch,
  Gap,
  JobBehavior,
  JobMatch,
  JobOutcome,
  KubeObject,
  RequestRecord,
  ServiceBehavior,
  ServiceOutcome,
  SimTimings,
} from './types.ts';
export type { KubeconfigOptions } from './kubeconfig.ts';
export type { OpenWatch } from './http/watch.ts';
export type {
  AccessOptions,
  ExecProgram,
  ExecRecord,
  IssuedToken,
  KubeSimAccess,
  PodMatch,
  PortForwardRecord,
  PortTarget,
} from './access.ts';

export interface KubeSimOptions extends AccessOptions {
  /** Delay added before every API response, upgrades (exec, cp) included (default 0). */
  latencyMs?: number;
  /**
   * Added once more to the first response on each new connection (default 0): what the TCP and TLS handshakes to a
   * real HTTPS API server cost every new kubectl or helm process, which this plain-HTTP server otherwise skips.
   */
  connectLatencyMs?: number;
  /** What Job pods do unless `setJobBehavior` says otherwise (default: succeed after 200 ms, three log lines). */
  jobDefaults?: Partial<JobBehavior>;
  /** Controller delays; see `SimTimings` for the defaults. */
  timings?: Partial<SimTimings>;
  /** Port on 127.0.0.1 (default: a random free one). */
  port?: number;
  /** Do not print gaps on stderr (they are still recorded). */
  quiet?: boolean;
}

export const DEFAULT_TIMINGS: SimTimings = {
  scheduleMs: 20,
  containerStartMs: 40,
  imageBackoffMs: 100,
  podTerminationMs: 50,
  jobRetryMs: 100,
  provisionMs: 50,
  namespaceCleanupMs: 30,
  loadBalancerMs: 100,
  probeMsPerSecond: 10,
  restartBackoffMs: 100,
};

export interface KubeSim extends KubeSimAccess {
  /** `http://127.0.0.1:PORT`: plain HTTP, which both helm and kubectl accept. */
  readonly url: string;
  readonly port: number;
  /** Writes a kubeconfig (mode 0600) whose current context points at this cluster. */
  writeKubeconfig(file: string, options?: KubeconfigOptions): Promise<void>;
  /** What matching Jobs' pods do; later calls win over earlier ones for the fields they set. */
  setJobBehavior(match: JobMatch, behavior: Partial<JobBehavior>): void;
  /**
   * What matching Deployments' pods do (crash loop, never ready, image pull error, slow start, unschedulable).
   * Rules apply to pods created after the call and to every restart of existing pods; later rules win for the
   * fields they set. Match by namespace, Deployment name (or prefix) and the main container's image.
   */
  setDeploymentBehavior(match: DeploymentMatch, behavior: Partial<ServiceBehavior>): void;
  /**
   * Ends the running containers of matching Jobs' pods now (e.g. a `never-finish` Job whose end a test wants to
   * place exactly). `fail` exits with `exitCode` (default 1). Returns how many containers were ended.
   */
  finishJobPods(match: JobMatch, result?: { outcome?: 'succeed' | 'fail'; exitCode?: number }): number;
  /** The stored object (a copy). `T` only narrows the type for the caller; nothing is validated. */
  get<T = KubeObject>(apiVersion: string, kind: string, namespace: string | undefined, name: string): T | undefined;
  list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string): T[];
  /** Creates or replaces an object as given (no defaulting or validation), to seed state. */
  put(object: KubeObject): KubeObject;
  /** Files on the volume bound to a PVC (relative paths), e.g. what a Job wrote. Empty when unbound. */
  pvcFiles(namespace: string, pvcName: string): Map<string, Buffer>;
  /** Files on a PersistentVolume, which outlive a deleted claim when the volume is Retained. */
  pvFiles(pvName: string): Map<string, Buffer>;
  /** Resolves once `check` returns a value other than undefined/false, re-checking on every change (and every 25 ms). */
  waitFor<T>(
    check: (sim: KubeSim) => T | undefined | false,
    options?: { timeoutMs?: number; description?: string },
  ): Promise<T>;
  /** Every request as `METHOD /path?query` with its status code. */
  readonly requests: readonly RequestRecord[];
  /** Requests and internal situations the simulator could not answer faithfully. */
  readonly gaps: readonly Gap[];
  /** Throws an Error listing every gap (tests call it last, after stop()). */
  assertNoGaps(): void;
  /** Open watch, log-follow and exec streams (0 once clients have gone). */
  openStreams(): number;
  /** The watches open now: what each follows, and the resourceVersion it resumed from (absent: it listed first). */
  openWatches(): OpenWatch[];
  /**
   * Ends open watches now (all, or those `which` picks), cleanly, as a real API server does when a watch's timeout
   * (30–60 min) runs out. Log follows and exec sessions stay. Returns how many were ended.
   */
  closeWatches(which?: (watch: OpenWatch) => boolean): number;
  /** Compacts the change history: a watch resuming from any resourceVersion seen so far gets 410 Gone. */
  compactHistory(): void;
  /**
   * An outage: every connection is cut and new ones are refused (nothing listens on the port) until goOnline().
   * Open streams end mid-body, as when an API server restarts or the network goes.
   */
  goOffline(): void;
  /** Listens on the same port again after goOffline(). */
  goOnline(): Promise<void>;
  stop(): Promise<void>;
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  const timings: SimTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const gaps = new GapRecorder(options.quiet ?? false);
  const store = new ObjectStore();
  const registry = new Registry(store);
  const streams = new StreamTracker();
  const logs = new LogBook();
  const volumes = new VolumeStore();
  const behaviors = new BehaviorBook(options.jobDefaults);
  const reportError = (where: string, error: unknown): void => {
    // Controllers racing a namespace deletion are refused like real ones; that is not a simulator gap.
    if (error instanceof ApiError && error.code === 403 && error.message.includes('is being terminated')) return;
    gaps.record(
      'CONTROLLER',
      where,
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  };
  const timers = new Timers(reportError);
  const ctx: ControllerContext = {
    store,
    registry,
    events: new EventRecorder(registry),
    timers,
    timings,
    behaviors,
    logs,
    volumes,
    reportError,
    recordGap: (reason) => gaps.record('CONTROLLER', '-', reason),
  };
  const manager = new ControllerManager(ctx);
  const access = createAccess(
    { registry, streams, recordGap: (method, path, reason) => gaps.record(method, path, reason) },
    options,
  );
  const kubelet = new PodRuntime(ctx);
  for (const controller of [
    new NamespaceController(ctx),
    new GarbageCollector(ctx),
    new StorageController(ctx, access.cloud),
    kubelet,
    new JobController(ctx),
    new ReplicaSetController(ctx),
    new DeploymentController(ctx),
    new ServiceController(ctx, access.cloud),
    new WorkloadStatusController(ctx),
    ...access.controllers,
  ]) {
    manager.add(controller);
  }
  seedCluster(registry);
  access.seed();

  const server = createApiServer({
    store,
    registry,
    gaps,
    streams,
    auth: access.auth,
    customTypes: access.customTypes,
    latencyMs: options.latencyMs ?? 0,
    connectLatencyMs: options.connectLatencyMs ?? 0,
    pods: {
      logs: createLogsHandler(registry, logs, streams),
      exec: createExecHandler({
        registry,
        volumes,
        streams,
        recordGap: (method, path, reason) => gaps.record(method, path, reason),
        programs: access.programs,
        execRecords: access.execRecords,
        podSessions: access.podSessions,
      }),
      portForward: access.portForward.handleUpgrade,
    },
  });
  const connections = new Set<Socket>();
  let coming: Promise<void> | undefined;
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  access.listening(port);
  const url = `http://127.0.0.1:${port}`;

  // Built-in kinds, then those CustomResourceDefinitions added; an unknown kind is a bug in the caller.
  const lookupType = (apiVersion: string, kind: string) =>
    access.customTypes.findByKind(apiVersion, kind) ?? typeFor(apiVersion, kind);
  const filesOf = (pvName: string): Map<string, Buffer> =>
    new Map([...volumes.files(pvName)].map(([p, f]) => [p, Buffer.from(f.data)]));

  const sim: KubeSim = {
    ...access.api,
    url,
    port,
    writeKubeconfig: (file, kubeconfigOptions) => writeKubeconfig(file, url, kubeconfigOptions),
    setJobBehavior: (match, behavior) => behaviors.set(match, behavior),
    setDeploymentBehavior: (match, behavior) => behaviors.setService(match, behavior),
    finishJobPods: (match, result = {}) =>
      kubelet.finishRunning(
        (jobName, namespace) => jobName !== undefined && jobMatches(match, namespace, jobName),
        result.outcome ?? 'succeed',
        result.exitCode ?? 1,
      ),
    get: <T>(apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
      registry.find(lookupType(apiVersion, kind), namespace, name) as T | undefined,
    list: <T>(apiVersion: string, kind: string, namespace?: string) =>
      registry.list(lookupType(apiVersion, kind), namespace === undefined ? {} : { namespace }) as T[],
    put: (object) => registry.put(object),
    pvcFiles: (namespace, pvcName) => {
      const pvc = registry.find(typeFor('v1', 'PersistentVolumeClaim'), namespace, pvcName);
      const pvName = pvc ? getPath(pvc, 'spec.volumeName') : undefined;
      return typeof pvName === 'string' ? filesOf(pvName) : new Map();
    },
    pvFiles: filesOf,
    waitFor: (check, waitOptions = {}) =>
      new Promise((resolve, reject) => {
        const attempt = (): boolean => {
          const value = check(sim);
          if (value === undefined || value === false) return false;
          cleanup();
          resolve(value);
          return true;
        };
        const unsubscribe = store.subscribe(() => void setImmediate(attempt));
        // Conditions on things outside the store (open streams, files) are polled as well.
        const poll = setInterval(attempt, 25);
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `kube-sim waitFor timed out after ${waitOptions.timeoutMs ?? 10_000} ms: ${waitOptions.description ?? 'condition'}`,
            ),
          );
        }, waitOptions.timeoutMs ?? 10_000);
        const cleanup = (): void => {
          unsubscribe();
          clearInterval(poll);
          clearTimeout(timer);
        };
        attempt();
      }),
    requests: gaps.requests,
    gaps: gaps.gaps,
    assertNoGaps: () => {
      if (gaps.gaps.length === 0) return;
      const listed = gaps.gaps.map((g) => `  ${g.method} ${g.path}: ${g.reason}`).join('\n');
      throw new Error(`kube-sim recorded ${gaps.gaps.length} gap(s):\n${listed}`);
    },
    openStreams: () => streams.size,
    openWatches: () => streams.watches(),
    closeWatches: (which) => streams.closeWatches(which),
    compactHistory: () => store.compact(),
    goOffline: () => {
      if (!server.listening) return;
      server.close();
      // Cut mid-body: a stream a restarting API server drops has no clean end.
      for (const socket of connections) socket.destroy();
      streams.closeAll();
    },
    goOnline: () => {
      // Callers that ask at once share one listen (a second listen while the first binds would throw).
      coming ??= new Promise<void>((resolve, reject) => {
        if (server.listening) return resolve();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }).finally(() => (coming = undefined));
      return coming;
    },
    stop: async () => {
      manager.stop();
      timers.stop();
      streams.closeAll();
      await access.stop();
      await new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return sim;
}

/**
 * How people and tools reach the simulated cluster and what runs in it: port-forward, exec of test-provided programs,
 * ServiceAccount tokens, RBAC with impersonation and access reviews, what Linode's controllers do (NodeBalancers, CSI
 * volume deletion), and the API growing with CustomResourceDefinitions. Built
 * once per simulator by `startKubeSim`, which mixes the `KubeSimAccess` methods into the `KubeSim` handle.
 */
import { Auth, type IssuedToken } from './auth.ts';
import { CustomResourceController, CustomTypes } from './custom-resources.ts';
import { ExecPrograms, type ExecProgram, type ExecRecord } from './exec-programs.ts';
import type { StreamTracker } from './http/watch.ts';
import type { PodMatch } from './pod-match.ts';
import { PodSessions } from './pod-sessions.ts';
import { createPortForwardHandler, PortBackends, type PortForwardRecord, type PortTarget } from './port-forward.ts';
import {
  LinodeCloud,
  type DeletedVolumeRecord,
  type LoadBalancerBehavior,
  type LoadBalancerMatch,
  type NodeBalancerRecord,
  type VolumeDeletionBehavior,
} from './linode-cloud.ts';
import { BOOTSTRAP_RBAC } from './rbac-defaults.ts';
import { ClusterRoleAggregator } from './rbac.ts';
import type { Registry } from './registry.ts';
import type { Controller } from './controllers/runtime.ts';
import { startTlsFront, type TlsFront } from './tls.ts';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';

export type { IssuedToken } from './auth.ts';
export type {
  DeletedVolumeRecord,
  LoadBalancerBehavior,
  LoadBalancerMatch,
  NodeBalancerRecord,
  VolumeDeletionBehavior,
} from './linode-cloud.ts';
export type { ExecProgram, ExecRecord } from './exec-programs.ts';
export type { PodMatch } from './pod-match.ts';
export type { PortForwardRecord, PortTarget } from './port-forward.ts';

/** Options of `startKubeSim` for the parts built here. */
export interface AccessOptions {
  /**
   * Longest lifetime TokenRequest grants (kube-apiserver `--service-account-max-token-expiration`): longer requests are
   * shortened to it, as real servers may. Default: as requested.
   */
  maxTokenExpirationSeconds?: number;
}

export interface KubeSimAccess {
  /**
   * Where port `port` of matching pods leads (what kubelet would connect to inside the pod's network namespace), e.g.
   * `setPortBackend({ labels: { app: 'postgres' } }, 5432, { host: '127.0.0.1', port: pg.port })`. `port` is the
   * container port (kubectl resolves a Service's targetPort itself). Later calls win. A forwarded connection to a
   * port with no backend is refused, as a port nothing listens on would be, and is recorded as a gap.
   */
  setPortBackend(match: PodMatch, port: number, target: PortTarget): void;
  /** Every connection forwarded so far (one per local connection kubectl accepted). */
  readonly portForwards: readonly PortForwardRecord[];
  /** Port-forward sessions (kubectl processes) connected now. */
  openPortForwards(): number;
  /**
   * Commands of matching pods' containers that run real programs on this machine, e.g.
   * `setExecPrograms({ labels: { app: 'postgres' } }, { psql: { path: `${pg.binDir}/psql`, env: pg.clientEnv } })`.
   * A command matches by its name as given or by its base name. Mapped commands get stdin, TTYs and exit codes;
   * other commands keep the built-ins (`tar`, `cat`, `ls`, `test`). Later calls win.
   */
  setExecPrograms(match: PodMatch, programs: Record<string, string | ExecProgram>): void;
  /** Every exec of a mapped program so far, with its exit code once it ended. */
  readonly execs: readonly ExecRecord[];
  /** Every ServiceAccount token issued (TokenRequest), so a test can check it went where it should and nowhere else. */
  readonly issuedTokens: readonly IssuedToken[];
  /** The public key (PEM) issued tokens are signed with (RS256), to verify one as a relying party would. */
  tokenPublicKey(): string;
  /**
   * The same API over HTTPS (started on first call), with its self-signed CA. kubectl and helm send a kubeconfig's
   * token only over TLS, so this is where a ServiceAccount token is used.
   */
  https(): Promise<{ url: string; caPem: string }>;
  /** Writes a kubeconfig (0600) that authenticates with `token` over HTTPS (so the token never goes on a command line). */
  writeTokenKubeconfig(file: string, token: string, options?: { namespace?: string; context?: string }): Promise<void>;
  /**
   * How the simulated Linode cloud controller answers matching LoadBalancer Services (later calls win per field): a
   * delay, fixed addresses, or `outcome: 'never'` (no address, a SyncLoadBalancerFailed Warning). Default: an IPv4
   * and a `nb-IP.chicago.nodebalancer.linode.com` hostname after the `loadBalancerMs` timing.
   */
  setLoadBalancerBehavior(match: LoadBalancerMatch, behavior: LoadBalancerBehavior): void;
  /** Every NodeBalancer made so far. */
  readonly nodeBalancers: readonly NodeBalancerRecord[];
  /** What the simulated Linode CSI driver does when it reclaims a Delete volume: delete it (default) or fail. */
  setVolumeDeletion(behavior: VolumeDeletionBehavior): void;
  /** Every Linode Block Storage volume the simulated CSI driver deleted (Released PVs with reclaim policy Delete). */
  readonly deletedVolumes: readonly DeletedVolumeRecord[];
}

export interface AccessParts {
  api: KubeSimAccess;
  customTypes: CustomTypes;
  cloud: LinodeCloud;
  auth: Auth;
  controllers: Controller[];
  /** Seeds the built-in RBAC objects; after the cluster's own seed. */
  seed(): void;
  /** The plain-HTTP server listens on this port (the HTTPS front passes connections on to it). */
  listening(port: number): void;
  stop(): Promise<void>;
  podSessions: PodSessions;
  programs: ExecPrograms;
  execRecords: ExecRecord[];
  portForward: ReturnType<typeof createPortForwardHandler>;
}

export function createAccess(
  deps: { registry: Registry; streams: StreamTracker; recordGap(method: string, path: string, reason: string): void },
  options: AccessOptions = {},
): AccessParts {
  const podSessions = new PodSessions();
  const backends = new PortBackends();
  const programs = new ExecPrograms();
  const execRecords: ExecRecord[] = [];
  const portForwardRecords: PortForwardRecord[] = [];
  const portForward = createPortForwardHandler({ ...deps, backends, records: portForwardRecords, podSessions });
  const auth = new Auth(
    deps.registry,
    options.maxTokenExpirationSeconds !== undefined
      ? { maxTokenExpirationSeconds: options.maxTokenExpirationSeconds }
      : {},
  );
  const aggregator = new ClusterRoleAggregator(deps.registry);
  const cloud = new LinodeCloud();
  const customTypes = new CustomTypes();
  deps.registry.customKind = (apiVersion, kind) => customTypes.findByKind(apiVersion, kind);
  let httpPort = 0;
  let front: Promise<TlsFront> | undefined;
  const https = async () => {
    front ??= startTlsFront(httpPort);
    const { url, caPem } = await front;
    return { url, caPem };
  };
  return {
    cloud,
    listening: (port) => {
      httpPort = port;
    },
    stop: async () => {
      if (front) await (await front).close();
    },
    auth,
    customTypes,
    controllers: [podSessions, aggregator, new CustomResourceController(deps.registry, customTypes)],
    seed: () => {
      for (const object of BOOTSTRAP_RBAC) deps.registry.put(object);
      aggregator.reconcileAll();
    },
    podSessions,
    programs,
    execRecords,
    portForward,
    api: {
      setPortBackend: (match, port, target) => backends.set(match, port, target),
      portForwards: portForwardRecords,
      openPortForwards: () => portForward.openSessions(),
      setExecPrograms: (match, map) => programs.set(match, map),
      execs: execRecords,
      issuedTokens: auth.tokens,
      tokenPublicKey: () => auth.publicKeyPem(),
      https,
      setLoadBalancerBehavior: (match, behavior) => cloud.setLoadBalancerBehavior(match, behavior),
      nodeBalancers: cloud.nodeBalancers,
      setVolumeDeletion: (behavior) => cloud.setVolumeDeletion(behavior),
      deletedVolumes: cloud.deletedVolumes,
      writeTokenKubeconfig: async (file, token, options = {}) => {
        const { url, caPem } = await https();
        const context = options.context ?? 'kube-sim-token';
        await mkdir(path.dirname(file), { recursive: true });
        const config = {
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: context,
              cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
            },
          ],
          users: [{ name: context, user: { token } }],
          contexts: [
            { name: context, context: { cluster: context, user: context, namespace: options.namespace ?? 'default' } },
          ],
          'current-context': context,
        };
        await writeFile(file, stringify(config), { mode: 0o600 });
        await chmod(file, 0o600);
      },
    },
  };
}

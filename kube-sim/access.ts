/**
 * How people and tools reach what runs in the simulated cluster: port-forward, exec of test-provided programs. Built
 * once per simulator by `startKubeSim`, which mixes the `KubeSimAccess` methods into the `KubeSim` handle.
 */
import { ExecPrograms, type ExecProgram, type ExecRecord } from './exec-programs.ts';
import type { StreamTracker } from './http/watch.ts';
import type { PodMatch } from './pod-match.ts';
import { PodSessions } from './pod-sessions.ts';
import { createPortForwardHandler, PortBackends, type PortForwardRecord, type PortTarget } from './port-forward.ts';
import type { Registry } from './registry.ts';

export type { ExecProgram, ExecRecord } from './exec-programs.ts';
export type { PodMatch } from './pod-match.ts';
export type { PortForwardRecord, PortTarget } from './port-forward.ts';

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
}

export interface AccessParts {
  api: KubeSimAccess;
  podSessions: PodSessions;
  programs: ExecPrograms;
  execRecords: ExecRecord[];
  portForward: ReturnType<typeof createPortForwardHandler>;
}

export function createAccess(deps: { registry: Registry; streams: StreamTracker; recordGap(method: string, path: string, reason: string): void }): AccessParts {
  const podSessions = new PodSessions();
  const backends = new PortBackends();
  const programs = new ExecPrograms();
  const execRecords: ExecRecord[] = [];
  const portForwardRecords: PortForwardRecord[] = [];
  const portForward = createPortForwardHandler({ ...deps, backends, records: portForwardRecords, podSessions });
  return {
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
    },
  };
}

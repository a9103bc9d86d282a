/**
 * A throwaway environment for running the real helm and kubectl in a test: a temp dir with its own HOME (helm and
 * kubectl cache discovery per host:port under HOME, so sharing one would leak state between tests), a kubeconfig
 * for the simulated cluster, and an env with the pinned binaries first on PATH and nothing inherited that could
 * point elsewhere (KUBECONFIG, KUBECTL_*, HELM_*, XDG_*). Processes are spawned asynchronously: the simulator runs
 * in the test process, and a synchronous child would block its event loop and deadlock.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureKubeBinaries, type KubeBinaries } from './binaries.ts';

/**
 * No test reaches the internet: every HTTP(S) client the programs use (docker's registry client, helm, kubectl, gh)
 * honours these, so a request to a public host (`docker manifest inspect ghcr.io/…` for an image a test names) fails
 * at once on a closed loopback port instead of leaving the machine — or waiting for a DNS answer that never comes.
 * Loopback stays direct: the simulator, the test registry and the stand-ins all listen there.
 */
export const OFFLINE_ENV = {
  HTTPS_PROXY: 'http://127.0.0.1:9',
  HTTP_PROXY: 'http://127.0.0.1:9',
  https_proxy: 'http://127.0.0.1:9',
  http_proxy: 'http://127.0.0.1:9',
  NO_PROXY: 'localhost,127.0.0.1,::1',
  no_proxy: 'localhost,127.0.0.1,::1',
} as const;

/**
 * What a developer's own checkout holds never reaches a test: the pinned tools `tools install` put into
 * `.deckhand/bin` (they would stand in front of a test's own helm), the managed cluster's record (the cluster guard
 * would refuse the simulator) and the answers in `.env` files. A test that wants any of them sets the variable itself.
 */
const EMPTY_PROJECT_STATE = mkdtempSync(path.join(tmpdir(), 'deckhand-test-state-'));
process.on('exit', () => rmSync(EMPTY_PROJECT_STATE, { recursive: true, force: true }));

/** OFFLINE_ENV plus a project state and env folder of the test's own (empty unless the test writes there). */
export const TEST_ENV = {
  ...OFFLINE_ENV,
  DECKHAND_STATE_ROOT: EMPTY_PROJECT_STATE,
  DECKHAND_ENV_DIR: EMPTY_PROJECT_STATE,
} as const;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as bytes, for binary output such as `kubectl exec ... tar cf -`. */
  stdoutBytes: Buffer;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  cwd?: string;
  /** Kill the process (SIGKILL) after this long; the result then has `signal` set. Default 60 s. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with all stdout so far once it matches `pattern`; rejects if the process exits first or on timeout. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<RunResult>;
  /** Sends SIGTERM (or the given signal) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<RunResult>;
}

export interface Sandbox {
  dir: string;
  home: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  bin: KubeBinaries;
  /** Runs a program to completion (never rejects on a non-zero exit: assert on `code`). */
  run(command: string, args: string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running program (`--watch`, `logs -f`) and returns a handle to read and stop it. */
  start(command: string, args: string[], options?: Omit<RunOptions, 'timeoutMs'>): RunningProcess;
  cleanup(): Promise<void>;
}

const DROPPED_ENV = /^(KUBECONFIG|KUBECACHEDIR|KUBECTL_.*|HELM_.*|XDG_.*)$/;

export async function createSandbox(sim?: { writeKubeconfig(file: string): Promise<void> }): Promise<Sandbox> {
  const bin = await ensureKubeBinaries();
  const dir = await mkdtemp(path.join(tmpdir(), 'deckhand-sandbox-'));
  const home = path.join(dir, 'home');
  await mkdir(home, { recursive: true });
  const kubeconfig = path.join(home, '.kube', 'config');
  if (sim) await sim.writeKubeconfig(kubeconfig);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !DROPPED_ENV.test(key)));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    HOME: home,
    KUBECONFIG: kubeconfig,
    PATH: `${bin.binDir}${path.delimiter}${process.env['PATH'] ?? ''}`,
    ...TEST_ENV,
  };
  const children = new Set<ChildProcess>();

  function start(command: string, args: string[], options: Omit<RunOptions, 'timeoutMs'> = {}): RunningProcess {
    const child = spawn(command, args, {
      cwd: options.cwd ?? dir,
      env: { ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const listeners = new Set<() => void>();
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      for (const l of [...listeners]) l();
    });
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
    const exited = new Promise<RunResult>((resolve) => {
      child.on('error', (error) => {
        err.push(Buffer.from(String(error)));
      });
      child.on('close', (code, signal) => {
        children.delete(child);
        const stdoutBytes = Buffer.concat(out);
        resolve({
          code,
          signal,
          stdout: stdoutBytes.toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          stdoutBytes,
        });
        for (const l of [...listeners]) l();
      });
    });
    const stdout = (): string => Buffer.concat(out).toString('utf8');
    return {
      child,
      stdout,
      stderr: () => Buffer.concat(err).toString('utf8'),
      exited,
      waitForOutput(pattern, timeoutMs = 30_000) {
        return new Promise((resolve, reject) => {
          let finished = false;
          const check = (): void => {
            const text = stdout();
            const hit = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
            if (hit) done(() => resolve(text));
            else if (child.exitCode !== null || child.signalCode !== null) {
              done(() =>
                reject(
                  new Error(
                    `${path.basename(command)} exited before printing ${String(pattern)}; stdout:\n${text}\nstderr:\n${Buffer.concat(err).toString('utf8')}`,
                  ),
                ),
              );
            }
          };
          const timer = setTimeout(
            () =>
              done(() =>
                reject(
                  new Error(
                    `timed out after ${timeoutMs} ms waiting for ${String(pattern)}; stdout so far:\n${stdout()}`,
                  ),
                ),
              ),
            timeoutMs,
          );
          const done = (settle: () => void): void => {
            if (finished) return;
            finished = true;
            clearTimeout(timer);
            listeners.delete(check);
            settle();
          };
          listeners.add(check);
          check();
        });
      },
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
  }

  async function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const running = start(command, args, options);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    try {
      return await running.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    dir,
    home,
    kubeconfig,
    env,
    bin,
    run,
    start,
    async cleanup() {
      for (const child of children) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

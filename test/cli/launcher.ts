/**
 * Runs deckhand the way a person does, through the documented launcher (`npx tsx tasks.ts`: the tsx CLI, which starts
 * Node with its loader as a child process and relays signals to it) in a process group of its own — a terminal's
 * foreground job — so that a test can press Ctrl-C the way a terminal does: SIGINT to every process of the group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/cli.ts';

export const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

export interface LaunchResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they interleaved. */
  output: string;
}

export interface Launched {
  readonly child: ChildProcess;
  readonly result: Promise<LaunchResult>;
  /** Everything printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves once the output matches; rejects when the process ends first or after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Ctrl-C on a terminal, under `npx tsx`: the terminal signals the whole process group (tsx and the Node process
   * it started), and npm passes the signal on to its child, tsx, once more. tsx then relays a copy to deckhand ~30 ms
   * later, every time (it waits for its child to report each signal it got, and deckhand reports only one).
   */
  pressCtrlC(): void;
  /** A signal to the launcher only (`kill PID`): deckhand gets it from tsx's relay alone. */
  signalLauncher(signal: NodeJS.Signals): void;
  /** Closes the read end of deckhand's stdout, as `| head -3` does once head has its lines. */
  closeStdout(): void;
  /** Ends the whole group at once (a test's own cleanup). */
  kill(): void;
}

export function launch(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number },
): Launched {
  const child = spawn(process.execPath, [TSX_CLI, 'tasks.ts', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    output += chunk;
    notify();
  });
  child.stdout!.on('error', () => undefined);
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    output += chunk;
    notify();
  });
  const timeoutMs = options.timeoutMs ?? 90_000;
  let ended = false;
  const result = new Promise<LaunchResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      signalGroup(child, 'SIGKILL');
      reject(new Error(`tasks.ts ${args.join(' ')} did not finish within ${timeoutMs} ms.\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      ended = true;
      notify();
      resolve({ code, signal, stdout, stderr, output });
    });
  });
  return {
    child,
    result,
    output: () => output,
    waitForOutput: (pattern, waitMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) finish();
          else if (ended) finish(new Error(`ended before printing ${pattern}:\n${output}`));
        };
        const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${waitMs} ms:\n${output}`)), waitMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        };
        listeners.add(check);
        check();
      }),
    pressCtrlC: () => {
      signalGroup(child, 'SIGINT');
      child.kill('SIGINT');
    },
    signalLauncher: (signal) => child.kill(signal),
    closeStdout: () => child.stdout!.destroy(),
    kill: () => signalGroup(child, 'SIGKILL'),
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone already
  }
}

/** Runs a program to its end and collects what it printed. */
export function spawnResult(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Omit<LaunchResult, 'output'>> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

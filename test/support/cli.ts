/**
 * Runs deckhand's real entry point (`tasks.ts`) as a child process, the way a user does, with a controlled
 * environment. Off a terminal by default (stdin closed, stdout/stderr piped), like CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_ENV } from './sandbox.ts';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const TASKS = path.join(REPO_ROOT, 'tasks.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr as they interleaved. */
  output: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** Replace the environment entirely instead of adding to a minimal one. */
  replaceEnv?: boolean;
  cwd?: string;
  input?: string;
  timeoutMs?: number;
}

/** A minimal environment: no inherited KUBECONFIG, CI, tokens or app inputs from the developer's shell. */
export function baseEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    NO_COLOR: '1',
    ...TEST_ENV,
  };
}

export function startCli(
  args: readonly string[],
  options: CliOptions = {},
): { child: ChildProcess; result: Promise<CliResult> } {
  const env = options.replaceEnv ? options.env : { ...baseEnv(), ...options.env };
  const child = spawn(process.execPath, ['--import', 'tsx', TASKS, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    output += chunk;
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    output += chunk;
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const result = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `tasks.ts ${args.join(' ')} did not finish within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output });
    });
  });
  return { child, result };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}

/** What the deploy benchmarks share: running a command to its end from the project folder, and the median. */
import { spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** Runs a command to its end; resolves with stdout, rejects with its output when it exits non-zero. */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  onOutput?: (chunk: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk;
      onOutput?.(chunk.toString());
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
      onOutput?.(chunk.toString());
    });
    if (input !== undefined) child.stdin!.end(input);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(stdout)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${stderr}${stdout}`)),
    );
  });
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

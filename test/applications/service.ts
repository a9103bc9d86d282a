/**
 * Runs a sample web service (`node src/main.ts`) for a test: on a port the kernel picks (PORT=0), its JSON log lines
 * collected, waits bounded and driven by what the service prints or answers — never by the clock alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

const START_TIMEOUT_MS = 20_000;
const WAIT_TIMEOUT_MS = 15_000;
const POLL_INTERVAL_MS = 25;

export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface Service {
  url: string;
  port: number;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  lines(): LogLine[];
  waitForLog(match: (line: LogLine) => boolean, what: string): Promise<LogLine>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within the wait timeout. */
  stop(): Promise<void>;
}

export interface Exited {
  code: number | null;
  output: string;
}

function spawnNode(script: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Starts the service and resolves once it has logged "listening" with its port. */
export async function startService(script: string, env: Record<string, string>): Promise<Service> {
  const child = spawnNode(script, { PORT: '0', ...env });
  let output = '';
  const lines: LogLine[] = [];
  const watchers = new Set<(line: LogLine) => void>();
  let pending = '';
  const onText = (chunk: string): void => {
    output += chunk;
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const text of complete) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue; // not a log line (e.g. a Node warning on stderr); still kept in output()
      }
      lines.push(line);
      for (const watcher of watchers) watcher(line);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', onText);
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const waitForLog = (
    match: (line: LogLine) => boolean,
    what: string,
    timeoutMs = WAIT_TIMEOUT_MS,
  ): Promise<LogLine> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, line?: LogLine): void => {
        watchers.delete(watcher);
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(line!);
      };
      const watcher = (line: LogLine): void => {
        if (match(line)) finish(undefined, line);
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for ${what}; output so far:\n${output}`)),
        timeoutMs,
      );
      watchers.add(watcher);
      void exited.then((code) =>
        finish(new Error(`the service exited (code ${code}) before ${what}; output:\n${output}`)),
      );
    });
  };

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  try {
    const listening = await waitForLog(
      (line) => line.msg === 'listening',
      'the "listening" log line',
      START_TIMEOUT_MS,
    );
    const port = Number(listening.port);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      output: () => output,
      lines: () => lines,
      waitForLog,
      kill: (signal) => child.kill(signal),
      exited,
      stop,
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

/** Runs a program that is expected to stop by itself (bad settings), with a bounded wait. */
export async function runToExit(script: string, env: Record<string, string>): Promise<Exited> {
  const child = spawnNode(script, env);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

/** Polls `check` until it returns a value other than undefined, at most `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = WAIT_TIMEOUT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await delay(POLL_INTERVAL_MS);
  }
}

/**
 * A session token as the dashboard's operators get one: a JWT (RFC 7519) signed with HMAC-SHA256. Written here from
 * the RFC rather than imported from the apps, so the test checks the apps against the format, not against themselves.
 */
export function signToken(
  secret: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

export function inSeconds(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

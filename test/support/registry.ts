/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8), started with a generated config on a
 * free loopback port, storage in a temp dir, deletes enabled. Pushes to `localhost:PORT/...` need no TLS because
 * docker treats 127.0.0.0/8 registries as insecure by default.
 *
 * This module also owns `spawnTiedToThisProcess`, the process plumbing shared with `docker.ts` (which depends on this
 * module, not the other way round).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';

export interface Registry {
  /** What image references use: `localhost:PORT/name:tag`. */
  host: `localhost:${number}`;
  /** Base URL of the HTTP API (`${url}/v2/...`), on 127.0.0.1 because the registry listens on IPv4 loopback only. */
  url: string;
  stop(): Promise<void>;
}

export interface Skip {
  skip: string;
}

/** Set by the global setup in `docker.ts` so that every test file of a run pushes to the same registry. */
export const SHARED_REGISTRY_ENV = 'DECKHAND_TEST_REGISTRY';
export const SHARED_REGISTRY_SKIP_ENV = 'DECKHAND_TEST_REGISTRY_SKIP';
/** CI sets this to 1: a missing docker engine or registry is then a failure, never a quiet skip. */
export const REQUIRE_DOCKER_ENV = 'DECKHAND_REQUIRE_DOCKER';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 25;

/** Starts a registry owned by the calling process. Throws (with the registry's log) when it cannot start. */
export async function startRegistry(): Promise<Registry> {
  const binary = await findExecutable('docker-registry');
  if (binary === undefined) {
    throw new Error('docker-registry is not installed (Debian: apt-get install -y docker-registry).');
  }
  const stateDir = await mkdtemp('/tmp/dh-reg-');
  const configFile = path.join(stateDir, 'config.yml');
  const logFile = path.join(stateDir, 'registry.log');
  await writeFile(configFile, registryConfig(path.join(stateDir, 'storage')));
  const daemon = await spawnTiedToThisProcess({ argv: [binary, 'serve', configFile], stateDir, logFile });
  try {
    const port = await waitForListeningPort(logFile, daemon);
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/v2/`)).status === 200, daemon, 'GET /v2/ answering 200');
    return { host: `localhost:${port}`, url, stop: () => daemon.stop() };
  } catch (error) {
    const log = await readLogTail(logFile);
    await daemon.stop();
    throw new Error(`docker-registry did not start: ${(error as Error).message}\n--- ${logFile} ---\n${log}`);
  }
}

/**
 * The registry of this test run: the one the global setup started, else one for this process (release it with
 * `stop()`). Returns a skip reason when no registry can run, or throws it when DECKHAND_REQUIRE_DOCKER=1.
 */
export async function useRegistry(): Promise<Registry | Skip> {
  const sharedSkip = process.env[SHARED_REGISTRY_SKIP_ENV];
  if (sharedSkip !== undefined) return skipOrThrow(sharedSkip);
  const shared = process.env[SHARED_REGISTRY_ENV];
  if (shared !== undefined) return sharedRegistry(shared);
  try {
    return await processRegistry.acquire();
  } catch (error) {
    return skipOrThrow((error as Error).message);
  }
}

const processRegistry = refCounted(startRegistry);

export function skipOrThrow(reason: string): Skip {
  if (process.env[REQUIRE_DOCKER_ENV] === '1') {
    throw new Error(`${reason}\n(${REQUIRE_DOCKER_ENV}=1, so this is a failure instead of a skip.)`);
  }
  return { skip: reason };
}

function sharedRegistry(host: string): Registry {
  const match = /^localhost:(\d+)$/.exec(host);
  if (match?.[1] === undefined) throw new Error(`${SHARED_REGISTRY_ENV}=${host} is not localhost:PORT.`);
  const port = Number(match[1]);
  // The global teardown owns the shared registry; a test file releasing it must not stop it for the others.
  return { host: `localhost:${port}`, url: `http://127.0.0.1:${port}`, stop: async () => {} };
}

function registryConfig(storageDir: string): string {
  // Port 0 lets the kernel pick a free port atomically; the registry logs the address it really bound.
  // A fixed http.secret silences the "No HTTP secret provided" warning that would otherwise fill every log.
  return [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: json',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storageDir)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    '  addr: 127.0.0.1:0',
    `  secret: ${randomBytes(16).toString('hex')}`,
    '',
  ].join('\n');
}

async function waitForListeningPort(logFile: string, daemon: TiedProcess): Promise<number> {
  let port: number | undefined;
  await waitUntil(
    async () => {
      const match = /"msg":"listening on 127\.0\.0\.1:(\d+)"/.exec(await readFile(logFile, 'utf8'));
      if (match?.[1] !== undefined) port = Number(match[1]);
      return port !== undefined;
    },
    daemon,
    'the "listening on 127.0.0.1:PORT" log line',
  );
  return port as number;
}

// ---------------------------------------------------------------------------------------------------------------
// Process plumbing shared with docker.ts
// ---------------------------------------------------------------------------------------------------------------

export interface TiedProcess {
  /** Process id of the wrapped program (not of the `sh` wrapper). */
  pid: number;
  /** Resolves with the exit code once the wrapped program has exited, for whatever reason. */
  exited: Promise<number | null>;
  /** True once the program has exited. */
  hasExited(): boolean;
  /** Stops the program (SIGTERM, then SIGKILL after a timeout), waits for it, and removes the state dir. */
  stop(): Promise<void>;
}

/**
 * Why a shell wrapper: nothing may be left running when tests end, even if the Node process that started a daemon
 * is killed (SIGKILL, a crashed test runner, a CI timeout). The wrapper's stdin is a pipe held only by this process;
 * the kernel closes it however this process ends, the wrapper's reader sees EOF and sends SIGTERM to the program.
 * The wrapper is detached into its own process group so a terminal's Ctrl+C reaches the program only through this
 * one path, and both handles are unref'd so a forgotten stop() never keeps a test process alive.
 */
const LIFELINE_SCRIPT = `
state=$1; shift
exec 3<&0 </dev/null
"$@" &
program=$!
echo "$program" > "$state/lifeline.pid"
{ read -r _ <&3; : > "$state/lifeline.ended"; kill -TERM "$program"; } 2>/dev/null &
wait "$program"
status=$?
# A daemon that dies during start-up can leave its own mounts behind (dockerd bind-mounts its data-root onto itself
# and unmounts it only on a clean shutdown); the state folder cannot be removed while they exist.
awk -v prefix="$state/" 'index($2, prefix) == 1 { print $2 }' /proc/mounts 2>/dev/null | sort -r |
  while read -r mount; do umount "$mount" 2>/dev/null; done
if [ -e "$state/lifeline.ended" ]; then rm -rf "$state"; fi
exit "$status"
`;

export async function spawnTiedToThisProcess(options: {
  argv: readonly string[];
  /** Temp dir owned by this program: removed when it is stopped. */
  stateDir: string;
  /** Receives the program's stdout and stderr. */
  logFile: string;
}): Promise<TiedProcess> {
  const [command, ...args] = options.argv;
  if (command === undefined) throw new Error('spawnTiedToThisProcess needs a command.');
  const log = await open(options.logFile, 'a');
  let wrapper: ChildProcess;
  try {
    wrapper = spawn('sh', ['-c', LIFELINE_SCRIPT, 'lifeline', options.stateDir, command, ...args], {
      detached: true,
      stdio: ['pipe', log.fd, log.fd],
    });
  } finally {
    await log.close();
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    const settle = (code: number | null): void => {
      exitCode = code;
      resolve(code);
    };
    wrapper.once('exit', settle);
    wrapper.once('error', () => settle(null));
  });
  const lifeline = wrapper.stdin as Socket;
  wrapper.unref();
  lifeline.unref();

  const hasExited = (): boolean => exitCode !== undefined;
  const stop = async (): Promise<void> => {
    if (exitCode === undefined) {
      // Keep the event loop alive until the program is really gone, otherwise a teardown that awaits only this
      // promise could let the process exit first and leave the shutdown unobserved.
      wrapper.ref();
      lifeline.end();
      const timer = setTimeout(() => killGroup(wrapper.pid), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    } else {
      lifeline.destroy();
    }
    await rm(options.stateDir, { recursive: true, force: true, maxRetries: 3 });
  };

  const pidFile = path.join(options.stateDir, 'lifeline.pid');
  let pid: number | undefined;
  try {
    await waitUntil(
      async () => {
        const text = await readFile(pidFile, 'utf8');
        if (/^\d+\n$/.test(text)) pid = Number(text);
        return pid !== undefined;
      },
      { hasExited, exited },
      'the wrapper to report the program pid',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { pid: pid as number, exited, hasExited, stop };
}

/**
 * One instance per process for callers that each `stop()` their handle (several suites of one file): the instance
 * stops when the last handle is released, and the next acquire starts a fresh one.
 */
export function refCounted<T extends { stop(): Promise<void> }>(start: () => Promise<T>): { acquire(): Promise<T> } {
  let current: { instance: Promise<T>; users: number } | undefined;
  return {
    async acquire() {
      const entry = current ?? { instance: start(), users: 0 };
      current = entry;
      entry.users += 1;
      let instance: T;
      try {
        instance = await entry.instance;
      } catch (error) {
        if (current === entry) current = undefined;
        throw error;
      }
      let released = false;
      return {
        ...instance,
        stop: async () => {
          if (released) return;
          released = true;
          entry.users -= 1;
          if (entry.users > 0) return;
          if (current === entry) current = undefined;
          await instance.stop();
        },
      };
    },
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Polls `check` until it returns true; fails early when `owner` exits, and after READY_TIMEOUT_MS. */
export async function waitUntil(
  check: () => Promise<boolean>,
  owner: Pick<TiedProcess, 'hasExited' | 'exited'>,
  what: string,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (owner.hasExited()) throw new Error(`the process exited (code ${await owner.exited}) before ${what}.`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

export async function readLogTail(logFile: string, lines = 40): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch((error: Error) => `(no log: ${error.message})`);
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Looks a program up on PATH. Deliberately no fallback to the sbin folders that a non-root PATH lacks: dockerd is
 * only useful to root, whose PATH has them, and tests hide programs by narrowing PATH.
 */
export async function findExecutable(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

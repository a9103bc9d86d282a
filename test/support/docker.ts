/**
 * A real docker engine for tests, and the node:test global setup that shares one engine and one registry across
 * every test file of a run.
 *
 * Order of preference: the engine the global setup published; an engine already answering on DOCKER_HOST (or the
 * default socket); a private `dockerd` started here with its own data-root, exec-root, pidfile and socket, so tests
 * never touch another engine. The private engine needs root. Its storage driver is overlay2 where the kernel and the
 * data-root's filesystem allow it (what real engines use), else vfs, which works on any filesystem — including a
 * container's overlayfs root, where overlay2 cannot stack — but copies every layer in full, so each build step costs
 * about a second (see STORAGE_DRIVERS). `--iptables=false --bridge=none` keep it away from the host's network
 * configuration (test images never need a network).
 *
 * Every docker command should run with `engine.env`: DOCKER_CONFIG is a temp dir so no real credentials, contexts or
 * credential helpers of the developer are read.
 */
import { execFile } from 'node:child_process';
import { cp, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  findExecutable,
  readLogTail,
  refCounted,
  SHARED_REGISTRY_ENV,
  SHARED_REGISTRY_SKIP_ENV,
  skipOrThrow,
  spawnTiedToThisProcess,
  startRegistry,
  waitUntil,
} from './registry.ts';
import type { Registry, Skip } from './registry.ts';

export type { Skip } from './registry.ts';
export { REQUIRE_DOCKER_ENV } from './registry.ts';

const execFileAsync = promisify(execFile);

export interface DockerEngine {
  /** DOCKER_HOST of the engine, e.g. `unix:///tmp/dh-AbC123/d.sock`. */
  host: string;
  /** Merge into the environment of every docker command (see `docker()`). */
  env: { DOCKER_HOST: string; DOCKER_CONFIG: string };
  /** The daemon's log when this test run started the daemon, to print when something fails. */
  logFile?: string;
  /** Releases this handle. Stops the daemon only if this process started it and no other handle still uses it. */
  stop(): Promise<void>;
}

export interface PrivateDockerEngine extends DockerEngine {
  logFile: string;
  /** The storage driver dockerd runs with (overlay2 or vfs). */
  storageDriver: string;
  /** Holds the socket, data-root, exec-root, pidfile, log and DOCKER_CONFIG; removed by stop(). */
  stateDir: string;
  /** Process id of dockerd. */
  pid: number;
}

/** Published by the global setup for the test files (child processes) of the run. */
export const SHARED_ENGINE_ENV = {
  host: 'DECKHAND_TEST_DOCKER_HOST',
  config: 'DECKHAND_TEST_DOCKER_CONFIG',
  log: 'DECKHAND_TEST_DOCKER_LOG',
  skip: 'DECKHAND_TEST_DOCKER_SKIP',
} as const;

export const IMAGE_FIXTURES_DIR = path.resolve(import.meta.dirname, '../fixtures/images');
/** Debian's busybox-static installs a statically linked busybox here; it runs in a FROM scratch image. */
export const BUSYBOX_PATH = '/bin/busybox';

const PROBE_TIMEOUT_MS = 5_000;
const COMMAND_TIMEOUT_MS = 120_000;
const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * The docker engine for this test file. Returns `{ skip }` with the reason when there is none, or throws that reason
 * when DECKHAND_REQUIRE_DOCKER=1 (CI), where a skipped docker test would hide a broken setup.
 */
export async function useDockerEngine(): Promise<DockerEngine | Skip> {
  const sharedSkip = process.env[SHARED_ENGINE_ENV.skip];
  if (sharedSkip !== undefined) return skipOrThrow(sharedSkip);
  const sharedHost = process.env[SHARED_ENGINE_ENV.host];
  const sharedConfig = process.env[SHARED_ENGINE_ENV.config];
  if (sharedHost !== undefined && sharedConfig !== undefined) {
    const logFile = process.env[SHARED_ENGINE_ENV.log];
    // The global teardown owns this engine; releasing it from one test file must not stop it for the others.
    return {
      host: sharedHost,
      env: { DOCKER_HOST: sharedHost, DOCKER_CONFIG: sharedConfig },
      ...(logFile === undefined ? {} : { logFile }),
      stop: async () => {},
    };
  }
  try {
    return await processEngine.acquire();
  } catch (error) {
    return skipOrThrow((error as Error).message);
  }
}

const processEngine = refCounted(findOrStartEngine);

/** An engine that already answers, else a private dockerd. Throws the reason when neither is possible. */
async function findOrStartEngine(): Promise<DockerEngine> {
  const dockerCli = await findExecutable('docker');
  if (dockerCli === undefined) {
    throw new Error('The docker CLI is not installed (Debian: apt-get install -y docker.io).');
  }
  const existing = await findAnsweringEngine();
  if ('engine' in existing) return existing.engine;
  const dockerd = await findExecutable('dockerd');
  if (dockerd === undefined) {
    throw new Error(
      `${existing.reason}, and dockerd is not installed to start a private one (Debian: apt-get install -y docker.io).`,
    );
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${existing.reason}, and a private dockerd needs root (this process runs as uid ${process.getuid?.()}).`,
    );
  }
  return startPrivateEngine(dockerd);
}

async function findAnsweringEngine(): Promise<{ engine: DockerEngine } | { reason: string }> {
  const host = process.env.DOCKER_HOST || `unix://${DEFAULT_SOCKET}`;
  const configDir = await mkdtemp('/tmp/dh-cfg-');
  const engine: DockerEngine = {
    host,
    env: { DOCKER_HOST: host, DOCKER_CONFIG: configDir },
    stop: () => rm(configDir, { recursive: true, force: true }),
  };
  try {
    await docker(engine, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: PROBE_TIMEOUT_MS });
    return { engine };
  } catch {
    await engine.stop();
    return { reason: `No docker engine answers on ${host}` };
  }
}

/**
 * Storage drivers a private dockerd tries, in order. overlay2 makes a layer in milliseconds; vfs copies the whole root
 * file system for every build step (about a second each here), which made image builds the slowest and noisiest part
 * of the deploy tests and benchmark. DECKHAND_TEST_STORAGE_DRIVER=vfs (or any driver name) forces one.
 */
export const STORAGE_DRIVERS = ['overlay2', 'vfs'] as const;
export const STORAGE_DRIVER_ENV = 'DECKHAND_TEST_STORAGE_DRIVER';

/**
 * Starts a dockerd owned by this process; it stops with stop() or, at the latest, when this process ends. The first
 * storage driver that starts wins; when none does, the error holds each driver's reason.
 */
export async function startPrivateEngine(dockerdPath = 'dockerd'): Promise<PrivateDockerEngine> {
  const forced = process.env[STORAGE_DRIVER_ENV];
  const drivers = forced ? [forced] : STORAGE_DRIVERS;
  const failures: string[] = [];
  for (const driver of drivers) {
    try {
      return await startPrivateEngineWith(dockerdPath, driver);
    } catch (error) {
      failures.push(`with --storage-driver ${driver}: ${(error as Error).message}`);
    }
  }
  throw new Error(failures.join('\n'));
}

async function startPrivateEngineWith(dockerdPath: string, storageDriver: string): Promise<PrivateDockerEngine> {
  // Unix socket paths are limited to about 108 bytes, so the state lives in a short folder directly under /tmp.
  const stateDir = await mkdtemp('/tmp/dh-');
  const socket = path.join(stateDir, 'd.sock');
  const logFile = path.join(stateDir, 'dockerd.log');
  const configDir = path.join(stateDir, 'config');
  await mkdir(configDir);
  const daemon = await spawnTiedToThisProcess({
    argv: [
      dockerdPath,
      '--storage-driver',
      storageDriver,
      '--iptables=false',
      '--bridge=none',
      '--data-root',
      path.join(stateDir, 'data'),
      '--exec-root',
      path.join(stateDir, 'exec'),
      '--pidfile',
      path.join(stateDir, 'dockerd.pid'),
      '--host',
      `unix://${socket}`,
    ],
    stateDir,
    logFile,
  });
  const host = `unix://${socket}`;
  const engine: PrivateDockerEngine = {
    host,
    env: { DOCKER_HOST: host, DOCKER_CONFIG: configDir },
    logFile,
    storageDriver,
    stateDir,
    pid: daemon.pid,
    stop: () => daemon.stop(),
  };
  try {
    // Polling the API's /_ping is cheap; `docker version` afterwards proves the CLI and the daemon agree on an API.
    await waitUntil(() => ping(socket), daemon, `dockerd to answer on ${host}`, 60_000);
    await docker(engine, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: PROBE_TIMEOUT_MS });
    return engine;
  } catch (error) {
    const log = await readLogTail(logFile);
    await daemon.stop();
    throw new Error(`The private dockerd did not start: ${(error as Error).message}\n--- ${logFile} ---\n${log}`);
  }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface DockerResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs the docker CLI against `engine`. A failure rejects with the argv, exit code, stderr and the tail of the
 * daemon's log (when this run owns the daemon), which is usually what explains it.
 */
export async function docker(
  engine: DockerEngine,
  args: readonly string[],
  options: {
    cwd?: string;
    /** Written to stdin (`build -f -`, `login --password-stdin`); stdin is closed either way so nothing waits on it. */
    input?: string;
    /** Default 120 s; the CLI is then killed with SIGKILL because it may ignore SIGTERM while streaming. */
    timeoutMs?: number;
  } = {},
): Promise<DockerResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...engine.env };
  // A DOCKER_CONTEXT from the developer's shell names a context that the temp DOCKER_CONFIG does not have.
  delete env.DOCKER_CONTEXT;
  try {
    const running = execFileAsync('docker', [...args], {
      env,
      cwd: options.cwd,
      timeout: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    // EPIPE when the CLI exits without reading stdin; its exit status already tells what went wrong.
    running.child.stdin?.on('error', () => {});
    running.child.stdin?.end(options.input);
    const { stdout, stderr } = await running;
    return { stdout, stderr };
  } catch (error) {
    const failure = error as Error & { code?: number | string; stderr?: string };
    const daemonLog =
      engine.logFile === undefined
        ? ''
        : `\n--- ${engine.logFile} (tail) ---\n${await readLogTail(engine.logFile, 20)}`;
    throw new Error(
      `docker ${args.join(' ')} failed (exit ${failure.code}): ${failure.stderr?.trim() || failure.message}${daemonLog}`,
      { cause: error },
    );
  }
}

/**
 * Copies `test/fixtures/images/<name>` into a temp build context and adds the static busybox as `busybox`, so the
 * repository never holds the binary. Call `remove()` when done.
 */
export async function prepareBuildContext(name: string): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp('/tmp/dh-ctx-');
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await cp(path.join(IMAGE_FIXTURES_DIR, name), dir, { recursive: true });
    await copyFile(BUSYBOX_PATH, path.join(dir, 'busybox'));
  } catch (error) {
    await remove();
    throw new Error(
      `Cannot prepare the build context "${name}" (busybox from Debian's busybox-static is expected at ${BUSYBOX_PATH}): ${(error as Error).message}`,
    );
  }
  return { dir, remove };
}

// ---------------------------------------------------------------------------------------------------------------
// node:test global setup: `node --test-global-setup=test/support/docker.ts --import tsx --test ...`
// ---------------------------------------------------------------------------------------------------------------

let runEngine: DockerEngine | undefined;
let runRegistry: Registry | undefined;

/**
 * Runs once in the test runner process before any test file starts. Test files are child processes that inherit the
 * runner's environment, so publishing the engine and registry through variables is all the sharing needed. A missing
 * engine is published as a skip reason rather than thrown, so files without docker tests still run; each docker
 * test then skips, or fails under DECKHAND_REQUIRE_DOCKER=1.
 */
export async function globalSetup(): Promise<void> {
  const [engine, registry] = await Promise.allSettled([findOrStartEngine(), startRegistry()]);
  if (engine.status === 'fulfilled') {
    runEngine = engine.value;
    process.env[SHARED_ENGINE_ENV.host] = runEngine.host;
    process.env[SHARED_ENGINE_ENV.config] = runEngine.env.DOCKER_CONFIG;
    if (runEngine.logFile !== undefined) process.env[SHARED_ENGINE_ENV.log] = runEngine.logFile;
    // One line in the CI log says which engine the docker tests (and their timings) ran on.
    if ('storageDriver' in runEngine)
      process.stderr.write(
        `test bed: private dockerd (storage driver ${String(runEngine.storageDriver)}) on ${runEngine.host}\n`,
      );
  } else {
    process.env[SHARED_ENGINE_ENV.skip] = (engine.reason as Error).message;
  }
  if (registry.status === 'fulfilled') {
    runRegistry = registry.value;
    process.env[SHARED_REGISTRY_ENV] = runRegistry.host;
  } else {
    process.env[SHARED_REGISTRY_SKIP_ENV] = (registry.reason as Error).message;
  }
}

/** Runs once after every test file has finished, whether tests passed or failed. */
export async function globalTeardown(): Promise<void> {
  await Promise.all([runEngine?.stop(), runRegistry?.stop()]);
  runEngine = undefined;
  runRegistry = undefined;
}

/**
 * Proof that the docker testbed is real: a real engine builds an image, pushes it to a real registry, and both the
 * docker CLI and the registry's HTTP API agree on what was pushed. Also proves the testbed cleans up after itself.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  docker,
  prepareBuildContext,
  SHARED_ENGINE_ENV,
  startPrivateEngine,
  STORAGE_DRIVER_ENV,
  STORAGE_DRIVERS,
  useDockerEngine,
} from '../support/docker.ts';
import type { DockerEngine } from '../support/docker.ts';
import {
  findExecutable,
  REQUIRE_DOCKER_ENV,
  SHARED_REGISTRY_ENV,
  SHARED_REGISTRY_SKIP_ENV,
  startRegistry,
  useRegistry,
} from '../support/registry.ts';
import type { Registry } from '../support/registry.ts';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DOCKER_MODULE_URL = pathToFileURL(path.resolve(import.meta.dirname, '../support/docker.ts')).href;

describe('an image built FROM scratch and pushed to the test registry', () => {
  let skipReason: string | undefined;
  let engine: DockerEngine | undefined;
  let registry: Registry | undefined;
  // Unique per run: the registry and an existing engine may be shared with other test files.
  const runId = randomBytes(4).toString('hex');
  const repository = `deckhand-test/busybox-probe-${runId}`;
  const tag = 'v1';
  const labels = { 'org.opencontainers.image.title': 'busybox-probe', 'org.opencontainers.image.revision': runId };
  let imageRef = '';
  let pushDigest = '';
  const timings: string[] = [];

  before(async () => {
    // One after the other, so that whatever was acquired before a failure is released by after().
    const maybeEngine = await useDockerEngine();
    if ('skip' in maybeEngine) {
      skipReason = maybeEngine.skip;
      return;
    }
    engine = maybeEngine;
    const maybeRegistry = await useRegistry();
    if ('skip' in maybeRegistry) {
      skipReason = maybeRegistry.skip;
      return;
    }
    registry = maybeRegistry;

    imageRef = `${registry.host}/${repository}:${tag}`;
    const context = await prepareBuildContext('busybox-scratch');
    try {
      const labelArgs = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
      const buildStart = performance.now();
      await docker(engine, ['build', ...labelArgs, '--tag', imageRef, context.dir]);
      timings.push(`build ${Math.round(performance.now() - buildStart)} ms`);
    } finally {
      await context.remove();
    }
    const pushStart = performance.now();
    const pushed = await docker(engine, ['push', imageRef]);
    timings.push(`push ${Math.round(performance.now() - pushStart)} ms`);
    // docker push ends with "<tag>: digest: sha256:<hex> size: <bytes>" (legacy and containerd image stores alike).
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
    assert.ok(digest, `docker push printed no digest:\n${pushed.stdout}`);
    pushDigest = digest;
  });

  after(async () => {
    // On the private engine the image dies with its data-root; on an existing engine it must not be left behind.
    if (engine !== undefined && imageRef !== '')
      await docker(engine, ['image', 'rm', '--force', imageRef]).catch(() => {});
    await Promise.all([engine?.stop(), registry?.stop()]);
  });

  function ready(t: TestContext): { engine: DockerEngine; registry: Registry } | undefined {
    if (engine === undefined || registry === undefined) {
      t.skip(skipReason ?? 'no docker engine or registry');
      return undefined;
    }
    return { engine, registry };
  }

  test('the digest printed by docker push is the one the registry serves for the tag', async (t) => {
    const bed = ready(t);
    if (bed === undefined) return;
    t.diagnostic(`engine ${bed.engine.host}, registry ${bed.registry.host}: ${timings.join(', ')}`);
    const head = await fetch(`${bed.registry.url}/v2/${repository}/manifests/${tag}`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), pushDigest);

    // The digest is content-addressed: hashing the manifest bytes must give it back.
    const manifest = await fetch(`${bed.registry.url}/v2/${repository}/manifests/${tag}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    const bytes = Buffer.from(await manifest.arrayBuffer());
    assert.equal(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, pushDigest);
  });

  test('docker manifest inspect --insecure finds the pushed tag under the same digest', async (t) => {
    const bed = ready(t);
    if (bed === undefined) return;
    const { stdout } = await docker(bed.engine, ['manifest', 'inspect', '--insecure', '--verbose', imageRef]);
    const inspected = JSON.parse(stdout) as { Ref: string; Descriptor: { digest: string } };
    assert.equal(inspected.Descriptor.digest, pushDigest);
  });

  test('the labels given to docker build are in the image config stored in the registry', async (t) => {
    const bed = ready(t);
    if (bed === undefined) return;
    const manifestResponse = await fetch(`${bed.registry.url}/v2/${repository}/manifests/${pushDigest}`, {
      headers: { Accept: MANIFEST_ACCEPT },
    });
    const manifest = (await manifestResponse.json()) as { config: { digest: string } };
    const configResponse = await fetch(`${bed.registry.url}/v2/${repository}/blobs/${manifest.config.digest}`);
    assert.equal(configResponse.status, 200);
    const config = (await configResponse.json()) as { config: { Labels: Record<string, string> | null } };
    assert.deepEqual(config.config.Labels, labels);
  });

  test('a tag that was never pushed is reported missing by docker manifest inspect and by the registry API', async (t) => {
    const bed = ready(t);
    if (bed === undefined) return;
    const neverPushed = `${bed.registry.host}/${repository}:never-pushed`;
    await assert.rejects(docker(bed.engine, ['manifest', 'inspect', '--insecure', neverPushed]), /no such manifest/);

    const head = await fetch(`${bed.registry.url}/v2/${repository}/manifests/never-pushed`, {
      method: 'HEAD',
      headers: { Accept: MANIFEST_ACCEPT },
    });
    assert.equal(head.status, 404);
    assert.equal(head.headers.get('docker-content-digest'), null);
  });
});

describe('the private dockerd of the test run', () => {
  async function privateEngineSkipReason(): Promise<string | undefined> {
    if ((await findExecutable('dockerd')) === undefined) return 'dockerd is not installed (Debian: docker.io)';
    if (process.getuid?.() !== 0) return 'a private dockerd needs root';
    return undefined;
  }

  test('stopping it ends dockerd and containerd and removes its socket, data-root and log', async (t) => {
    const reason = await privateEngineSkipReason();
    if (reason !== undefined) return t.skip(reason);
    const engine = await startPrivateEngine();
    try {
      const { stdout: driver } = await docker(engine, ['info', '--format', '{{.Driver}}']);
      assert.equal(driver.trim(), engine.storageDriver, 'the engine reports the storage driver it runs with');
      assert.ok((STORAGE_DRIVERS as readonly string[]).includes(engine.storageDriver));
      const programs = (await processesMentioning(engine.stateDir)).map((argv) => path.basename(argv[0] ?? ''));
      assert.ok(programs.includes('dockerd'), `dockerd should run: ${programs.join(', ')}`);
      assert.ok(programs.includes('containerd'), `dockerd's containerd should run: ${programs.join(', ')}`);
    } finally {
      await engine.stop();
    }
    assert.deepEqual(await processesMentioning(engine.stateDir), []);
    await assert.rejects(stat(engine.stateDir), { code: 'ENOENT' });
  });

  test("a storage driver that cannot start is reported with dockerd's reason, and leaves nothing behind", async (t) => {
    const reason = await privateEngineSkipReason();
    if (reason !== undefined) return t.skip(reason);
    const saved = process.env[STORAGE_DRIVER_ENV];
    process.env[STORAGE_DRIVER_ENV] = 'no-such-driver';
    let stateDir: string | undefined;
    try {
      await assert.rejects(startPrivateEngine(), (error: Error) => {
        assert.match(
          error.message,
          /with --storage-driver no-such-driver: The private dockerd did not start: the process exited/,
        );
        assert.match(error.message, /graphdriver/, "dockerd's own log line is part of the message");
        // The message names the daemon's log, inside its state folder. Other test files create /tmp/dh-* folders of
        // their own meanwhile, so the check is on this attempt's folder, not on a listing of /tmp.
        stateDir = /--- (\/tmp\/dh-[^/\s]+)\/dockerd\.log ---/.exec(error.message)?.[1];
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env[STORAGE_DRIVER_ENV];
      else process.env[STORAGE_DRIVER_ENV] = saved;
    }
    assert.ok(stateDir, 'the error names the state folder of the attempt');
    await assert.rejects(stat(stateDir), { code: 'ENOENT' }, 'the failed attempt removes its state folder');
  });

  test('it stops by itself when the process that started it is killed', async (t) => {
    const reason = await privateEngineSkipReason();
    if (reason !== undefined) return t.skip(reason);
    const script = [
      `const { startPrivateEngine } = await import(${JSON.stringify(DOCKER_MODULE_URL)});`,
      'const engine = await startPrivateEngine();',
      'console.log(JSON.stringify({ pid: engine.pid, stateDir: engine.stateDir }));',
      'setInterval(() => {}, 60_000);',
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const started = await firstLine(child.stdout);
    const { pid, stateDir } = JSON.parse(started) as { pid: number; stateDir: string };
    assert.ok(isRunning(pid), 'dockerd should run while its owner lives');

    child.kill('SIGKILL');
    await waitFor(
      async () => (await processesMentioning(stateDir)).length === 0,
      30_000,
      `processes of ${stateDir} to end`,
    );
    await waitFor(async () => !(await exists(stateDir)), 10_000, `${stateDir} to be removed`);
  });
});

describe('choosing a docker engine', () => {
  test('with no engine answering and no dockerd, it returns a skip reason, and throws it when DECKHAND_REQUIRE_DOCKER=1', async (t) => {
    const dockerCli = await findExecutable('docker');
    if (dockerCli === undefined) return t.skip('the docker CLI is not installed');
    const binDir = await mkdtemp('/tmp/dh-bin-');
    t.after(() => rm(binDir, { recursive: true, force: true }));
    // Only the docker CLI is visible: no dockerd on PATH, and DOCKER_HOST names a socket nobody listens on.
    await symlink(dockerCli, path.join(binDir, 'docker'));
    const env = isolatedEnv({ PATH: binDir, DOCKER_HOST: `unix://${binDir}/nobody.sock` });

    const lenient = await runUseDockerEngine(env);
    assert.equal(lenient.code, 0, lenient.stderr);
    const { skip } = JSON.parse(lenient.stdout) as { skip: string };
    assert.match(skip, new RegExp(`No docker engine answers on unix://${binDir}/nobody\\.sock`));
    assert.match(skip, /dockerd is not installed/);

    const strict = await runUseDockerEngine({ ...env, [REQUIRE_DOCKER_ENV]: '1' });
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /dockerd is not installed/);
    assert.match(strict.stderr, /DECKHAND_REQUIRE_DOCKER=1/);
  });

  test('an engine already answering on DOCKER_HOST is used as is, with a fresh DOCKER_CONFIG', async (t) => {
    const engine = await useDockerEngine();
    if ('skip' in engine) return t.skip(engine.skip);
    t.after(() => engine.stop());
    const dockerCli = await findExecutable('docker');
    assert.ok(dockerCli);
    const binDir = await mkdtemp('/tmp/dh-bin-');
    t.after(() => rm(binDir, { recursive: true, force: true }));
    await symlink(dockerCli, path.join(binDir, 'docker'));

    const result = await runUseDockerEngine(isolatedEnv({ PATH: binDir, DOCKER_HOST: engine.host }));
    assert.equal(result.code, 0, result.stderr);
    const chosen = JSON.parse(result.stdout) as { host: string; env: { DOCKER_HOST: string; DOCKER_CONFIG: string } };
    assert.equal(chosen.host, engine.host);
    assert.equal(chosen.env.DOCKER_HOST, engine.host);
    assert.match(chosen.env.DOCKER_CONFIG, /^\/tmp\/dh-cfg-/);
  });
});

describe('the test registry', () => {
  test('stops answering once stopped', async (t) => {
    if ((await findExecutable('docker-registry')) === undefined) return t.skip('docker-registry is not installed');
    const registry = await startRegistry();
    let stopped = false;
    t.after(() => (stopped ? undefined : registry.stop()));
    assert.equal((await fetch(`${registry.url}/v2/`)).status, 200);
    await registry.stop();
    stopped = true;
    await assert.rejects(fetch(`${registry.url}/v2/`));
  });
});

/** The child sees none of the shared engine/registry variables, so it must decide on its own. */
function isolatedEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  for (const name of [
    ...Object.values(SHARED_ENGINE_ENV),
    SHARED_REGISTRY_ENV,
    SHARED_REGISTRY_SKIP_ENV,
    REQUIRE_DOCKER_ENV,
  ]) {
    if (!(name in overrides)) delete env[name];
  }
  return env;
}

async function runUseDockerEngine(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = [
    `const { useDockerEngine } = await import(${JSON.stringify(DOCKER_MODULE_URL)});`,
    'const engine = await useDockerEngine();',
    'console.log(JSON.stringify(engine));',
    "if ('stop' in engine) await engine.stop();",
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

/** The argv of every live (non-zombie) process whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<string[][]> {
  const found: string[][] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && isRunning(Number(entry))) found.push(cmdline.split('\0').filter(Boolean));
  }
  return found;
}

/** A zombie has exited already; only its parent has not collected it (PID 1 in some containers never does). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer | string): void => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) {
        stream.off('data', onData);
        resolve(buffered.slice(0, newline));
      }
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`the child ended before printing a line: ${buffered}`)));
  });
}

/**
 * `deploy caelundas` before anything runs: the README's first command (a dry run with no IMAGE_OWNER, no cluster and
 * no docker engine) renders the chart with a stand-in owner; the build path refuses what cannot build — a missing
 * Dockerfile or context, an option-like --build-context, a docker engine that does not answer — before the cluster
 * is touched; a registry that cannot be reached is a network error, not an image to build; and a value the CLI passes
 * that fails the chart schema is blamed on that CLI input.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { runCli } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { useDockerEngine, type DockerEngine } from '../support/docker.ts';
import { findExecutable, skipOrThrow } from '../support/registry.ts';

/** Requests that could change the simulated cluster. */
function writesTo(bed: DeployBed): string[] {
  return bed.sim.requests
    .filter((request) => request.method !== 'GET')
    .map((request) => `${request.method} ${request.path}`);
}

/** A loopback port nothing listens on: bound by this process, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('deploy caelundas --dry-run on a fresh clone (helm, no IMAGE_OWNER, no cluster, no docker engine)', () => {
  let bed: DeployBed;
  let scratch: string;
  before(async () => {
    bed = await createDeployBed();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'deckhand-preflight-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
    await bed.close();
  });
  const freshClone = (): NodeJS.ProcessEnv => {
    const { IMAGE_OWNER: _owner, ...env } = bed.env;
    return {
      ...env,
      KUBECONFIG: path.join(bed.dir, 'no-such-kubeconfig'),
      DOCKER_HOST: `unix://${path.join(scratch, 'no-engine.sock')}`,
    };
  };

  it('exits 0 and renders the chart with a stand-in owner it names, asking no registry about it', async () => {
    const result = await runCli(['deploy', 'caelundas', '--dry-run', '--verbose'], {
      env: freshClone(),
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      /image owner: not set — a stand-in is used for this dry run; set IMAGE_OWNER in \.env for a real run/,
    );
    assert.match(result.output, /image {6}ghcr\.io\/your-github-user\/caelundas:sha-[0-9a-f]{7}/);
    assert.match(result.output, /--set-string image\.repository=ghcr\.io\/your-github-user\/caelundas/);
    assert.match(result.output, /^(› )?kind: Job$/m, 'the chart is rendered with helm template');
    assert.doesNotMatch(result.output, /docker manifest inspect/, 'no registry read with a stand-in');
    assert.doesNotMatch(result.output, /<IMAGE_OWNER>/);
    // The engine is not needed for a dry run: a warning, not a failure.
    assert.match(
      result.output,
      /⚠ docker is installed but its engine is not running \(.*\): a real run needs it to build; start Docker Desktop \/ `sudo systemctl start docker`/,
    );
    assert.match(result.output, /Dry run done: nothing was changed/);
    assert.equal(bed.sim.requests.length, 0);
  });

  it('a real run without IMAGE_OWNER still stops at once with exit 2', async () => {
    const { IMAGE_OWNER: _owner, ...env } = bed.env;
    const result = await runCli(['deploy', 'caelundas'], { env: { ...env, ...VALID_INPUTS }, timeoutMs: 60_000 });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /deploy needs to know where to push the image:\n\s+- IMAGE_OWNER: set IMAGE_OWNER=/);
    assert.deepEqual(writesTo(bed), []);
  });

  it('an --image the registries would refuse is exit 2 before anything runs', async () => {
    const result = await runCli(['deploy', 'caelundas', '--dry-run', '--image', 'ghcr.io/me/caelundas-:1.0.0'], {
      env: freshClone(),
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /"ghcr\.io\/me\/caelundas-" is not a valid image name/);
    assert.doesNotMatch(result.output, /helm template/);
  });

  it('a configured registry that fails the chart schema is blamed on IMAGE_REGISTRY, not on a values file', async () => {
    // Passes the configuration check (a host of letters, digits, dots and dashes), but a host part may not end in "-".
    const result = await runCli(['deploy', 'caelundas', '--dry-run'], {
      env: { ...freshClone(), IMAGE_REGISTRY: 'registry-.example' },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /at '\/image\/repository'/);
    assert.match(
      result.output,
      /The values do not pass the chart schema; image\.repository comes from IMAGE_REGISTRY and IMAGE_OWNER \(registry-\.example\/[^)]*\): fix that value\./,
    );
    assert.doesNotMatch(result.output, /values file/);
  });

  it('an option-like --build-context is refused with exit 2 and never reaches docker', async () => {
    const target = path.join(scratch, 'out');
    const result = await runCli(
      ['deploy', 'caelundas', '--dry-run', '--verbose', `--build-context=--output=${target}`],
      {
        env: freshClone(),
        timeoutMs: 60_000,
      },
    );
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.output,
      /--build-context --output=.*: a value that starts with "-" would reach docker as an option, not as a path\./,
    );
    assert.doesNotMatch(result.output, /\$ docker /);
    await assert.rejects(stat(target), { code: 'ENOENT' });
  });
});

describe('deploy caelundas: the build path is checked before the cluster is touched', () => {
  let bed: DeployBed;
  let scratch: string;
  before(async () => {
    bed = await createDeployBed();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'deckhand-preflight-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
    await bed.close();
  });

  it('a missing Dockerfile and build context: exit 2, each named with the flag that set it', async () => {
    const dockerfile = path.join(scratch, 'Dockerfile');
    const context = path.join(scratch, 'missing-folder');
    const result = await runCli(['deploy', 'caelundas', '--dockerfile', dockerfile, '--build-context', context], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 2, result.output);
    assert.match(result.output, /The image cannot be built \(paths are relative to .*\):/);
    assert.ok(result.output.includes(`  - --dockerfile ${dockerfile}: no such file`), result.output);
    assert.ok(result.output.includes(`  - --build-context ${context}: no such folder`), result.output);
    assert.match(result.output, /Pass --dockerfile FILE and --build-context FOLDER/);
    assert.doesNotMatch(result.output, /lstat/);
    assert.deepEqual(writesTo(bed), []);
    assert.deepEqual(await readdir(bed.outputDir), []);
  });

  it('a build context that is a file, not a folder: exit 2', async () => {
    const file = path.join(import.meta.dirname, 'preflight.test.ts');
    const result = await runCli(['deploy', 'caelundas', '--build-context', file, '--dry-run'], {
      env: bed.env,
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 2, result.output);
    assert.ok(result.output.includes(`--build-context ${file}: is a file, not a folder`), result.output);
  });

  it('a docker engine that does not answer stops a real run before anything is written', async (t: TestContext) => {
    if (!(await findExecutable('docker'))) return void t.skip(skipOrThrow('docker (the client) is not installed').skip);
    const result = await runCli(['deploy', 'caelundas'], {
      env: { ...bed.env, ...VALID_INPUTS, DOCKER_HOST: `unix://${path.join(scratch, 'dead.sock')}` },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /docker is installed but its engine is not running \(.*dead\.sock.*\): the image cannot be built\./,
    );
    assert.match(result.output, /Start Docker Desktop \/ `sudo systemctl start docker`, then run again/);
    assert.doesNotMatch(result.output, /Build and push/);
    assert.deepEqual(writesTo(bed), []);
  });
});

describe('deploy caelundas: a registry that cannot be reached', () => {
  let bed: DeployBed;
  let engine: DockerEngine | undefined;
  let skip: string | undefined;
  before(async () => {
    bed = await createDeployBed();
    const maybeEngine = await useDockerEngine();
    if ('skip' in maybeEngine) skip = maybeEngine.skip;
    else engine = maybeEngine;
  });
  after(async () => {
    await engine?.stop();
    await bed.close();
  });

  it('is a network error with a hint, and nothing is built', async (t) => {
    if (skip) return void t.skip(skip);
    const registry = `localhost:${await closedPort()}`;
    const result = await runCli(['deploy', 'caelundas', '--verbose'], {
      env: { ...bed.env, ...engine!.env, ...VALID_INPUTS, IMAGE_REGISTRY: registry },
      timeoutMs: 120_000,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      new RegExp(
        `Could not look ${registry}/tests/caelundas:sha-[0-9a-f]{7} up in the registry: network error \\(.*connection refused.*\\)\\.`,
      ),
    );
    assert.match(result.output, new RegExp(`check .*that IMAGE_REGISTRY \\(${registry}\\) is right and answers`, 'i'));
    assert.doesNotMatch(result.output, /is not in the registry yet/);
    assert.doesNotMatch(result.output, /^(› )?\$ docker (buildx )?build /m);
  });
});

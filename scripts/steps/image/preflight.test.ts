import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeRunner } from '../../../test/support/fake-runner.ts';
import { DeckhandError, UsageError, ValidationError } from '../../lib/errors.ts';
import { buildRepository, requireImageOwner, STAND_IN_IMAGE_OWNER } from './owner.ts';
import { checkBuildSources, checkDockerEngine, refuseOptionLikeValue } from './preflight.ts';

describe('the image owner', () => {
  it('is IMAGE_OWNER when set; otherwise a stand-in that is a valid reference, marked as such', () => {
    assert.deepEqual(buildRepository({ name: 'caelundas' }, { registry: 'ghcr.io', owner: 'me' }), {
      repository: 'ghcr.io/me/caelundas',
      standInOwner: false,
    });
    assert.deepEqual(buildRepository({ name: 'wpp-bot' }, { registry: 'localhost:5000' }), {
      repository: `localhost:5000/${STAND_IN_IMAGE_OWNER}/wpp-bot`,
      standInOwner: true,
    });
  });

  it('is required (exit 2) only by a real run that builds', () => {
    const build = { images: 'image', alternative: '--image REF' } as const;
    assert.throws(
      () => requireImageOwner({ dryRun: false, image: {} }, build),
      (error: unknown) =>
        error instanceof DeckhandError &&
        error.exitCode === 2 &&
        /deploy needs to know where to push the image:\n {2}- IMAGE_OWNER: .* or pass --image REF$/.test(error.message),
    );
    assert.doesNotThrow(() => requireImageOwner({ dryRun: true, image: {} }, build));
    assert.doesNotThrow(() => requireImageOwner({ dryRun: false, image: { owner: 'me' } }, build));
    assert.doesNotThrow(() => requireImageOwner({ dryRun: false, image: {} }, undefined), 'nothing is built');
  });
});

describe('the build sources', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'deckhand-sources-'));
    await mkdir(path.join(root, 'app'));
    await writeFile(path.join(root, 'app', 'Dockerfile'), 'FROM scratch\n');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('refuses a value that starts with "-" (it would be a docker option), with exit 2', () => {
    assert.throws(
      () => refuseOptionLikeValue('--build-context', '--output=/tmp/x'),
      (error: unknown) =>
        error instanceof UsageError &&
        error.message ===
          '--build-context --output=/tmp/x: a value that starts with "-" would reach docker as an option, not as a path.' &&
        error.fix ===
          'Give the build context folder\'s path; for one whose name starts with "-", write ./--output=/tmp/x.',
    );
    assert.throws(() => refuseOptionLikeValue('--dockerfile', '-f'), UsageError);
    assert.doesNotThrow(() => refuseOptionLikeValue('--dockerfile', './-f'));
  });

  it('accepts a Dockerfile that is a file and a context that is a folder, relative to the project', async () => {
    await checkBuildSources(root, [
      { image: 'app', dockerfile: { value: 'app/Dockerfile' }, context: { value: 'app' } },
    ]);
  });

  it('lists every missing or wrong path at once, named by the flag or the app entry that set it', async () => {
    await assert.rejects(
      checkBuildSources(root, [
        { image: 'app', dockerfile: { value: 'app/Missing' }, context: { value: 'app/Dockerfile' } },
        {
          image: 'other',
          dockerfile: { value: 'app', option: '--dockerfile' },
          context: { value: '/no/such/folder', option: '--build-context' },
        },
      ]),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.exitCode, 2);
        assert.deepEqual(error.problems, [
          "app's Dockerfile app/Missing: no such file",
          "app's build context app/Dockerfile: is a file, not a folder",
          '--dockerfile app: is a folder, not a file',
          '--build-context /no/such/folder: no such folder',
        ]);
        assert.match(error.fix!, /--image REF to deploy an existing image/);
        return true;
      },
    );
  });
});

describe('the docker engine check', () => {
  const noEngine = {
    exitCode: 1,
    stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
  };

  it('asks the engine for its version (the client answers without one)', async () => {
    const shell = fakeRunner(() => ({ stdout: '28.2.2\n' }));
    assert.equal(await checkDockerEngine(shell, false), 'docker engine 28.2.2 answers');
    assert.deepEqual(shell.calls, ['docker version --format {{.Server.Version}}']);
  });

  it('stops a real run with what to do, and only warns in a dry run', async () => {
    await assert.rejects(
      checkDockerEngine(
        fakeRunner(() => noEngine),
        false,
      ),
      (error: unknown) => {
        assert.ok(error instanceof DeckhandError);
        assert.equal(error.exitCode, 1);
        assert.equal(
          error.message,
          'docker is installed but its engine is not running (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): the image cannot be built.',
        );
        assert.equal(
          error.fix,
          'Start Docker Desktop / `sudo systemctl start docker`, then run again (or pass --image REF to deploy an existing image).',
        );
        return true;
      },
    );
    assert.match(
      (await checkDockerEngine(
        fakeRunner(() => noEngine),
        true,
      ))!,
      /^⚠ docker is installed but its engine is not running \(.*\): a real run needs it to build; start Docker Desktop/,
    );
  });

  it('tells a socket that refuses this user from an engine that is not running', async () => {
    const denied = {
      exitCode: 1,
      stderr:
        'permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: dial unix /var/run/docker.sock: connect: permission denied\n',
    };
    await assert.rejects(
      checkDockerEngine(
        fakeRunner(() => denied),
        false,
      ),
      /docker's engine refuses this user/,
    );
  });
});

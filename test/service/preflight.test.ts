/**
 * `deploy wpp-bot` refuses a build it cannot do before the cluster is touched, as a Job deploy does: a per-image
 * --dockerfile that names no file, an option-like --build-context, a docker engine that does not answer.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { findExecutable, skipOrThrow } from '../support/registry.ts';
import { createServiceBed, givenImages, type ServiceBed } from './bed.ts';

describe('deploy wpp-bot: the build path is checked before the cluster is touched', () => {
  let bed: ServiceBed;
  let scratch: string;
  before(async () => {
    bed = await createServiceBed();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'deckhand-service-preflight-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
    await bed.close();
  });
  const writes = () => bed.sim.requests.filter((request) => request.method !== 'GET');

  it("a missing Dockerfile for one image: exit 2, named with the image's flag", async () => {
    const dockerfile = path.join(scratch, 'Dockerfile');
    const result = await bed.deploy(['--dockerfile', `wpp-bot-dashboard=${dockerfile}`]);
    assert.equal(result.code, 2, result.output);
    assert.ok(result.output.includes(`  - --dockerfile ${dockerfile}: no such file`), result.output);
    assert.doesNotMatch(result.output, /wpp-bot's Dockerfile/, "the other image's own Dockerfile exists");
    assert.deepEqual(writes(), []);
  });

  it('an option-like --build-context is refused with exit 2, in a dry run too', async () => {
    const result = await bed.deploy(['--dry-run', `--build-context=--output=${path.join(scratch, 'out')}`]);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.output,
      /--build-context --output=.*: a value that starts with "-" would reach docker as an option/,
    );
    assert.doesNotMatch(result.output, /would run: docker/);
  });

  it('a docker engine that does not answer stops a real run before anything is written', async (t: TestContext) => {
    if (!(await findExecutable('docker'))) return void t.skip(skipOrThrow('docker (the client) is not installed').skip);
    const result = await bed.deploy([], { DOCKER_HOST: `unix://${path.join(scratch, 'dead.sock')}` });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.output,
      /docker is installed but its engine is not running \(.*\): the image cannot be built\./,
    );
    assert.deepEqual(writes(), []);
  });

  it('needs no engine when every image is given with --image', async () => {
    const result = await bed.deploy(givenImages('sha-1111111'), {
      DOCKER_HOST: `unix://${path.join(scratch, 'dead.sock')}`,
    });
    assert.equal(result.code, 0, result.output);
    assert.doesNotMatch(result.output, /engine/);
  });
});

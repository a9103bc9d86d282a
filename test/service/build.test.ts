/**
 * `deploy wpp-bot` building both images: the real docker engine builds them for linux/amd64 and pushes them to a real
 * registry; the Deployments run them by the digest the registry holds; a second deploy of the same commit finds both
 * images in the registry, builds nothing and rolls nothing out.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { docker, prepareBuildContext, useDockerEngine, type DockerEngine } from '../support/docker.ts';
import { useRegistry, type Registry } from '../support/registry.ts';
import { createServiceBed, imageOf, type ServiceBed } from './bed.ts';

describe('deploy wpp-bot with images built from the commit', () => {
  let bed: ServiceBed;
  let engine: DockerEngine | undefined;
  let registry: Registry | undefined;
  let context: { dir: string; remove(): Promise<void> } | undefined;
  let skip: string | undefined;
  let args: string[] = [];
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    bed = await createServiceBed();
    const maybeEngine = await useDockerEngine();
    if ('skip' in maybeEngine) return void (skip = maybeEngine.skip);
    engine = maybeEngine;
    const maybeRegistry = await useRegistry();
    if ('skip' in maybeRegistry) return void (skip = maybeRegistry.skip);
    registry = maybeRegistry;
    // No base image can be pulled here: both images are built from the busybox fixture (a plain --dockerfile and
    // --build-context apply to every image of a service).
    context = await prepareBuildContext('busybox-scratch');
    args = ['--dockerfile', path.join(context.dir, 'Dockerfile'), '--build-context', context.dir];
    env = { ...engine.env, IMAGE_REGISTRY: registry.host };
  });
  after(async () => {
    await context?.remove();
    await registry?.stop();
    await engine?.stop();
    await bed.close();
  });

  const needsDocker = (t: TestContext) => {
    if (skip) t.skip(skip);
    return Boolean(skip);
  };

  it('builds and pushes both images, and the Deployments run them by the pushed digest', async (t) => {
    if (needsDocker(t)) return;
    const result = await bed.deploy(args, env);
    assert.equal(result.code, 0, result.output);
    const record = (await bed.records()).at(-1)!;
    assert.deepEqual(
      record.images.map((image: { name: string; built: boolean }) => [image.name, image.built]),
      [
        ['wpp-bot', true],
        ['wpp-bot-dashboard', true],
      ],
    );
    for (const [deployment, image] of [
      ['wpp-bot', 'wpp-bot'],
      ['dashboard', 'wpp-bot-dashboard'],
    ] as const) {
      const reference = imageOf(bed, deployment);
      const match = new RegExp(`^${registry!.host}/tests/${image}:(sha-[0-9a-f]{7})@(sha256:[0-9a-f]{64})$`).exec(
        reference,
      );
      assert.ok(match, `${deployment} runs ${reference}`);
      const inspect = await docker(engine!, [
        'manifest',
        'inspect',
        '--insecure',
        '--verbose',
        `${registry!.host}/tests/${image}:${match[1]}`,
      ]);
      assert.equal(
        (JSON.parse(inspect.stdout) as { Descriptor: { digest: string } }).Descriptor.digest,
        match[2],
        'the digest the registry holds',
      );
    }
    assert.notEqual(
      imageOf(bed, 'wpp-bot').split('@')[1],
      imageOf(bed, 'dashboard').split('@')[1],
      'two different images',
    );
  });

  it('a second deploy of the same commit reuses both images and rolls nothing out', async (t) => {
    if (needsDocker(t)) return;
    const generations = bed.generations();
    const result = await bed.deploy([...args, '--verbose'], env);
    assert.equal(result.code, 0, result.output);
    assert.equal(
      result.output.match(/is already in the registry \(built from commit [0-9a-f]{7}\): reusing sha256:/g)?.length,
      2,
    );
    assert.doesNotMatch(result.output, /^(› )?\$ docker (build|push) /m);
    assert.deepEqual(bed.generations(), generations);
    assert.match(result.output, /nothing changed, nothing was rolled out/);
  });
});

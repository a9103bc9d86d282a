/**
 * `deploy caelundas` end to end on the test bed: the real docker engine builds and pushes to a real registry, the
 * real helm installs the chart and the real kubectl watches, streams logs and copies files — against the simulated
 * cluster, whose Job controller plays the app.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { createDeployBed, RUN_NAME, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { docker, prepareBuildContext, useDockerEngine, type DockerEngine } from '../support/docker.ts';
import { useRegistry, type Registry } from '../support/registry.ts';
import { runCli, startCli } from '../support/cli.ts';

const RELEASE = new RegExp(`^${RUN_NAME.source}$`);
const CANARY_LATITUDE = '51.4779512301';
const CANARY_PULL_TOKEN = 'ghp_canaryPullToken0123456789abcdef';

async function releasesIn(bed: DeployBed): Promise<{ name: string; status: string }[]> {
  const result = await bed.sandbox.run('helm', [
    'list',
    '--deployed',
    '--failed',
    '--pending',
    '-n',
    'caelundas',
    '-o',
    'json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as { name: string; status: string }[];
}

/** A value in the inputs Secret of one run. */
function secretValue(bed: DeployBed, release: string, key: string): string | undefined {
  const secret = bed.sim.get('v1', 'Secret', 'caelundas', `${release}-inputs`) as
    { data?: Record<string, string> } | undefined;
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

describe('deploy caelundas with an image built from the commit', () => {
  let bed: DeployBed;
  let engine: DockerEngine | undefined;
  let registry: Registry | undefined;
  let context: { dir: string; remove(): Promise<void> } | undefined;
  let skip: string | undefined;
  let baseArgs: string[] = [];
  let env: NodeJS.ProcessEnv = {};

  before(async () => {
    bed = await createDeployBed();
    const maybeEngine = await useDockerEngine();
    if ('skip' in maybeEngine) {
      skip = maybeEngine.skip;
      return;
    }
    engine = maybeEngine;
    const maybeRegistry = await useRegistry();
    if ('skip' in maybeRegistry) {
      skip = maybeRegistry.skip;
      return;
    }
    registry = maybeRegistry;
    context = await prepareBuildContext('busybox-scratch');
    baseArgs = [
      'deploy',
      'caelundas',
      '--dockerfile',
      path.join(context.dir, 'Dockerfile'),
      '--build-context',
      context.dir,
    ];
    env = { ...bed.env, ...engine.env, IMAGE_REGISTRY: registry.host, ...VALID_INPUTS };
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

  it('builds, pushes, runs the Job, shows its logs and copies its files back with a run record', async (t) => {
    if (needsDocker(t)) return;
    const calendar = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n';
    const binary = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      {
        outcome: 'succeed',
        logLines: ['computing ephemeris', 'wrote calendar.ics'],
        files: { 'calendar.ics': calendar, 'data/raw.bin': binary },
      },
    );

    const result = await runCli(baseArgs, { env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.output);

    const releases = await releasesIn(bed);
    assert.equal(releases.length, 1);
    const release = releases[0]!.name;
    assert.match(release, RELEASE);
    assert.match(result.output, /computing ephemeris/, 'the Job logs are shown');
    assert.match(result.output, /wrote calendar\.ics/);
    assert.match(result.output, /Namespace caelundas: created/);
    assert.match(result.output, new RegExp(`Secret ${release}-inputs: created \\(this run's inputs\\)`));
    assert.equal(secretValue(bed, release, 'START_DATE'), '2026-01-01');
    assert.equal(secretValue(bed, release, 'LONGITUDE'), '-74.0060');

    const files = path.join(bed.runDir(release), 'files');
    assert.equal(await readFile(path.join(files, 'calendar.ics'), 'utf8'), calendar);
    assert.deepEqual(await readFile(path.join(files, 'data', 'raw.bin')), binary);
    const record = await bed.record(release);
    assert.equal(record.release, release);
    assert.equal(record.outcome, 'complete');
    assert.equal(record.copy.verified, true);
    assert.deepEqual(
      record.copy.files.map((file: { path: string }) => file.path),
      ['calendar.ics', 'data/raw.bin'],
    );
    assert.match(record.image.digest, /^sha256:[0-9a-f]{64}$/);
    assert.match(record.image.reference, new RegExp(`^${registry!.host}/tests/caelundas:sha-[0-9a-f]{7}@sha256:`));

    // The Job ran the pushed image by digest, and that digest is what the registry holds for the tag.
    const job = bed.sim.get('batch/v1', 'Job', 'caelundas', release) as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(job.spec.template.spec.containers[0]!.image, record.image.reference);
    const inspect = await docker(engine!, [
      'manifest',
      'inspect',
      '--insecure',
      '--verbose',
      `${registry!.host}/tests/caelundas:${record.image.tag}`,
    ]);
    assert.equal(
      (JSON.parse(inspect.stdout) as { Descriptor: { digest: string } }).Descriptor.digest,
      record.image.digest,
    );

    // No helper pod is left behind, and the release and PVC are kept (no --cleanup).
    assert.deepEqual(
      bed.sim
        .list('v1', 'Pod', 'caelundas')
        .map((pod) => pod.metadata.name)
        .filter((name) => name?.endsWith('-copy')),
      [],
    );
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release));
    assert.match(result.output, /npx tsx tasks\.ts uninstall caelundas --release caelundas-/);
  });

  it('skips the build when the registry already has the image of this commit', async (t) => {
    if (needsDocker(t)) return;
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'x' } });
    // The first test pushed this commit's image. Its release name may be the one this run tries first (the same
    // second): then this run takes the next name.
    const result = await runCli([...baseArgs, '--verbose'], { env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /already in the registry \(built from commit [0-9a-f]{7}\): reusing sha256:/);
    assert.doesNotMatch(result.output, /^(› )?\$ docker (build|push) /m);
    assert.match(result.output, /^(› )?\$ kubectl version/m, 'the echo is there to be checked');
    // The second run reads the namespace and Secret (real kubectl, by API path) and finds nothing to change.
    assert.match(result.output, /Namespace caelundas: unchanged/);
    assert.match(result.output, /Secret caelundas-\d{8}-\d{6}(-\d+)?-inputs: created/);
    assert.equal((await releasesIn(bed)).length, 2);
  });

  it('pins a tag given with --image to the digest the registry has for it, and runs by that digest', async (t) => {
    if (needsDocker(t)) return;
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'x' } });
    const [built] = (await releasesIn(bed)).map((release) => release.name).sort();
    const pushed = (await bed.record(built!)).image as { repository: string; tag: string; digest: string };
    const given = `${pushed.repository}:${pushed.tag}`;
    const result = await runCli(['deploy', 'caelundas', '--image', given], { env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /pinned to the digest the registry has for it now: sha256:/);
    const release = new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output)![1]!;
    const job = bed.sim.get('batch/v1', 'Job', 'caelundas', release) as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(job.spec.template.spec.containers[0]!.image, `${given}@${pushed.digest}`);
    const record = await bed.record(release);
    assert.deepEqual(record.image, {
      given,
      repository: pushed.repository,
      tag: pushed.tag,
      digest: pushed.digest,
      reference: `${given}@${pushed.digest}`,
      digestFrom: 'registry',
    });
  });

  it('never prints a sensitive value, in normal or --verbose runs, and keeps it out of the release values', async (t) => {
    if (needsDocker(t)) return;
    const secrets = { LATITUDE: CANARY_LATITUDE, REGISTRY_PULL_TOKEN: CANARY_PULL_TOKEN };
    const quiet = await runCli(baseArgs, { env: { ...env, ...secrets }, timeoutMs: 120_000 });
    const verbose = await runCli([...baseArgs, '--verbose', '--rebuild'], {
      env: { ...env, ...secrets },
      timeoutMs: 120_000,
    });
    for (const [name, result] of [
      ['quiet', quiet],
      ['verbose', verbose],
    ] as const) {
      assert.equal(result.code, 0, result.output);
      for (const canary of Object.values(secrets)) {
        assert.ok(!result.output.includes(canary), `${name} run printed a secret`);
        assert.ok(
          !result.output.includes(Buffer.from(canary).toString('base64')),
          `${name} run printed a secret's base64`,
        );
      }
    }
    assert.match(verbose.output, /^(› )?\$ helm install caelundas-/m, 'verbose echoes commands');
    const newestRun = (result: { output: string }) =>
      new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output)![1]!;
    assert.equal(
      secretValue(bed, newestRun(verbose), 'LATITUDE'),
      CANARY_LATITUDE,
      'the value reached the cluster (on stdin)',
    );
    for (const run of [newestRun(quiet), newestRun(verbose)]) {
      const recorded = JSON.stringify(await bed.record(run));
      assert.ok(!recorded.includes(CANARY_LATITUDE), 'run.json names the sensitive inputs, never their values');
      assert.deepEqual((await bed.record(run)).inputs.sensitive, ['LATITUDE', 'LONGITUDE']);
    }
    const pullSecret = bed.sim.get('v1', 'Secret', 'caelundas', 'caelundas-registry') as { type: string } | undefined;
    assert.equal(pullSecret?.type, 'kubernetes.io/dockerconfigjson');
    const values = await bed.sandbox.run('helm', [
      'get',
      'values',
      newestRun(verbose),
      '-n',
      'caelundas',
      '-o',
      'json',
    ]);
    assert.equal(values.code, 0, values.stderr);
    assert.ok(!values.stdout.includes(CANARY_LATITUDE) && !values.stdout.includes(CANARY_PULL_TOKEN));
    assert.match(values.stdout, /"imagePullSecrets":\[\{"name":"caelundas-registry"\}\]/);
  });
});

describe('deploy caelundas with an existing image (no docker needed)', () => {
  let bed: DeployBed;
  const image = 'registry.example:5000/tests/caelundas:1.0.0';

  before(async () => {
    bed = await createDeployBed();
  });
  after(async () => {
    await bed.close();
  });

  it('with a failing Job exits 1 with a diagnosis and the last log lines, keeps the PVC, and records the failure', async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      {
        outcome: 'fail',
        exitCode: 3,
        logLines: ['reading ephemeris', 'error: END_DATE is beyond the ephemeris table'],
      },
    );
    const result = await runCli(['deploy', 'caelundas', '--image', image], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stderr,
      /Job caelundas-\d{8}-\d{6} failed after .*: The program failed 2 times \(backoffLimit 1 reached\); last exit code 3\./,
    );
    assert.match(result.stderr, /│ error: END_DATE is beyond the ephemeris table/);
    assert.equal(
      result.stderr.match(/Last log lines/g)?.length,
      1,
      'the diagnosis is printed once; the step list shows its first line',
    );
    assert.match(result.stderr, /release caelundas-\d{8}-\d{6} and its PVC were kept/);
    const [release] = await releasesIn(bed);
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release!.name), 'the PVC is kept');
    const record = await bed.record(release!.name);
    assert.equal(record.outcome, 'failed');
    assert.equal(record.copy.verified, false);
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', exitCode: 0, logLines: ['ok'] });
  });

  it('stops at once when the image cannot be pulled, naming the cause, without waiting for the timeout', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'image-pull-error' });
    const started = Date.now();
    const result = await runCli(['deploy', 'caelundas', '--image', image, '--timeout', '10m'], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.output);
    assert.match(result.stderr, /does not exist in the registry|cannot pull/);
    assert.ok(Date.now() - started < 30_000, 'a failure never waits for the 10 minute timeout');
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed' });
  });

  it('off a terminal with missing inputs exits 2, lists each one, and creates nothing', async () => {
    const before = bed.sim.requests.filter((request) => !request.method.startsWith('GET')).length;
    const result = await runCli(['deploy', 'caelundas', '--image', image], {
      env: { ...bed.env, START_DATE: '2026-01-01' },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 2, result.output);
    for (const key of ['END_DATE', 'LATITUDE', 'LONGITUDE'])
      assert.match(result.stderr, new RegExp(`- ${key}: set ${key} in \\.env\\.caelundas or the environment`));
    assert.doesNotMatch(result.stderr, /- START_DATE/);
    const writes = bed.sim.requests.filter((request) => !request.method.startsWith('GET')).length;
    assert.equal(writes, before, 'no write reached the cluster');
  });

  it('reads inputs from the env folder file, and explains a bad value with exit 2', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      path.join(bed.envDir, '.env.caelundas'),
      'START_DATE=2026-01-01\nEND_DATE=2025-12-31\nLATITUDE=91\nLONGITUDE=0\n',
    );
    const result = await runCli(['deploy', 'caelundas', '--image', image], { env: bed.env, timeoutMs: 60_000 });
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /LATITUDE: expected a number between -90 and 90/);
    await writeFile(path.join(bed.envDir, '.env.caelundas'), '');
  });

  it('on Ctrl-C while following the Job exits 130 and leaves no helper pod and no open streams', async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'never-finish', logLines: ['still working'], logIntervalMs: 100 },
    );
    const { child, result } = startCli(['deploy', 'caelundas', '--image', image], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the Job never started:\n${seen}`)), 30_000);
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('still working')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    });
    child.kill('SIGINT');
    const outcome = await result;
    assert.equal(outcome.code, 130, outcome.output);
    assert.doesNotMatch(outcome.stderr, /^\s+at /m);
    assert.deepEqual(
      bed.sim.list('v1', 'Pod', 'caelundas').filter((pod) => pod.metadata.name?.endsWith('-copy')),
      [],
    );
    await bed.sim.waitFor((sim) => sim.openStreams() === 0, {
      timeoutMs: 5_000,
      description: 'the watches and log streams close',
    });
    const interrupted = new RegExp(`Run record: .*?(${RUN_NAME.source})/run\\.json`).exec(outcome.output)?.[1];
    assert.ok(interrupted, outcome.output);
    assert.equal((await bed.record(interrupted)).outcome, 'interrupted');
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed' });
  });

  it('with --cleanup uninstalls the release and deletes the PVC after a verified copy', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'done' } });
    const result = await runCli(['deploy', 'caelundas', '--image', image, '--cleanup'], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.output);
    const release = new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output)![1]!;
    assert.equal(await readFile(path.join(bed.runDir(release), 'files', 'calendar.ics'), 'utf8'), 'done');
    assert.equal(bed.sim.get('v1', 'Secret', 'caelundas', `${release}-inputs`), undefined, 'its inputs went with it');
    assert.ok(!(await releasesIn(bed)).some((entry) => entry.name === release), 'the release is gone');
    assert.equal(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release), undefined, 'the PVC is gone');
    bed.sim.assertNoGaps();
  });

  it('refuses output holding links that lead outside, even with --cleanup: nothing copied, nothing deleted, no staging left', async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      {
        outcome: 'succeed',
        files: { 'calendar.ics': 'done' },
        links: { escape: '/etc/passwd', 'nested/up': '../../../outside.txt' },
      },
    );
    const result = await runCli(['deploy', 'caelundas', '--image', image, '--cleanup'], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 1, result.output);
    const release = new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output)![1]!;
    assert.match(result.stderr, /Refused to copy: the volume holds entries that could land outside/);
    assert.match(result.stderr, /escape: link to \/etc\/passwd points outside/);
    assert.match(result.stderr, /nested\/up: link to \.\.\/\.\.\/\.\.\/outside\.txt points outside/);
    // kubectl cp ran beside the listing into a staging folder: it is gone, and nothing reached the output folder.
    assert.deepEqual(
      (await readdir(bed.runDir(release))).sort(),
      ['job.log', 'run.json'],
      'no files/, and no staging folder left',
    );
    const record = await bed.record(release);
    assert.equal(record.copy.verified, false);
    assert.ok(
      (await releasesIn(bed)).some((entry) => entry.name === release),
      'the release is kept',
    );
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release), 'the PVC is kept');
    await bed.sim.waitFor((sim) => !sim.get('v1', 'Pod', 'caelundas', `${release}-copy`), {
      timeoutMs: 5_000,
      description: 'the helper pod is gone',
    });
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'succeed', files: { 'calendar.ics': 'done' }, links: {} },
    );
  });
});

describe('deploy --dry-run', () => {
  it('needs no cluster and no docker: prints every command in order, masked, and changes nothing', async () => {
    const bed = await createDeployBed();
    try {
      const result = await runCli(['deploy', 'caelundas', '--dry-run'], {
        env: {
          ...bed.env,
          KUBECONFIG: path.join(bed.dir, 'no-such-kubeconfig'),
          DOCKER_HOST: 'unix:///nonexistent.sock',
          ...VALID_INPUTS,
          LATITUDE: CANARY_LATITUDE,
        },
        timeoutMs: 60_000,
      });
      assert.equal(result.code, 0, result.output);
      // Image, namespace and chart are prepared side by side; everything else is in order.
      const sideBySide = [
        'would run: docker build',
        'would run: docker push',
        "would run: kubectl create --raw '/api/v1/namespaces?",
        "would run: kubectl create --raw '/api/v1/namespaces/caelundas/secrets?",
      ];
      const inOrder = [
        'would run: helm install caelundas-',
        'would watch: kubectl get job',
        'would stream: kubectl logs',
        "would run: kubectl create --raw '/api/v1/namespaces/caelundas/pods?",
        'would run: kubectl exec',
        'would run: kubectl cp',
        'would run: kubectl delete pod',
      ];
      const install = result.output.indexOf(inOrder[0]!);
      for (const command of sideBySide) {
        const found = result.output.indexOf(command);
        assert.ok(found !== -1 && found < install, `"${command}" is printed before the install`);
      }
      let position = 0;
      for (const command of inOrder) {
        const found = result.output.indexOf(command, position);
        assert.ok(found >= position, `"${command}" is printed, after the commands before it`);
        position = found;
      }
      assert.match(result.output, /kind: Job/, 'the chart is rendered with helm template');
      assert.ok(!result.output.includes(CANARY_LATITUDE));
      assert.match(result.output, /Dry run done: nothing was changed/);
      assert.equal(bed.sim.requests.length, 0, 'the cluster was never contacted');
      assert.deepEqual(await readdir(bed.outputDir), []);
    } finally {
      await bed.close();
    }
  });
});

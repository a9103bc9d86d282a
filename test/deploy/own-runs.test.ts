/**
 * Every run its own, end to end on the test bed (the real helm and kubectl against the simulated cluster): runs
 * started in the same second get distinct releases and follow and copy only their own Jobs; each run reads its own
 * inputs Secret; the Job's own files never meet deckhand's record; namespaces deckhand does not own are left alone
 * (or refused); and --image runs exactly what was given.
 *
 * "The same second" is made certain, not hoped for: the deploys run with their clock fixed (fixed-clock.mjs).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, startCli, type CliResult } from '../support/cli.ts';
import { createDeployBed, RUN_NAME, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';

const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0';
const CLOCK = path.join(import.meta.dirname, 'fixed-clock.mjs');
/** The moment every deploy below starts at, and the name each of them tries first. */
const NOW = '2026-03-01T12:00:00.000Z';
const FIRST_NAME = 'caelundas-20260301-120000';

interface JobObject {
  metadata: { labels?: Record<string, string> };
  spec: {
    template: {
      spec: {
        containers: { image: string; env?: { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[] }[];
      };
    };
  };
}

function deployOptions(bed: DeployBed, env: NodeJS.ProcessEnv) {
  return {
    env: { ...bed.env, ...VALID_INPUTS, DECKHAND_TEST_NOW: NOW, NODE_OPTIONS: `--import=${CLOCK}`, ...env },
    timeoutMs: 180_000,
  };
}

function deployAt(bed: DeployBed, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(['deploy', 'caelundas', ...args], deployOptions(bed, env));
}

function installedRelease(result: CliResult): string {
  const match = new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output);
  assert.ok(match, `no release was installed:\n${result.output}`);
  return match[1]!;
}

function job(bed: DeployBed, release: string, namespace = 'caelundas'): JobObject {
  const found = bed.sim.get('batch/v1', 'Job', namespace, release) as JobObject | undefined;
  assert.ok(found, `no Job ${release}`);
  return found;
}

function secretKeysRead(found: JobObject): string[] {
  return [
    ...new Set(
      (found.spec.template.spec.containers[0]!.env ?? []).flatMap((variable) =>
        variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef.name] : [],
      ),
    ),
  ];
}

function secretValue(bed: DeployBed, name: string, key: string, namespace = 'caelundas'): string | undefined {
  const secret = bed.sim.get('v1', 'Secret', namespace, name) as { data?: Record<string, string> } | undefined;
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

describe('runs started in the same second, in one namespace', () => {
  let bed: DeployBed;

  before(async () => {
    bed = await createDeployBed();
  });
  after(async () => {
    await bed.close();
  });

  it('all succeed with releases of their own, each following and copying its own Job, each reading its own inputs', async () => {
    // No files scripted: each pod writes kube-sim-output.txt naming its own Job, which is what proves whose output
    // each run copied.
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', logLines: ['working'] });
    const starts = ['2026-01-01', '2026-02-01', '2026-03-01'];
    const results = await Promise.all(
      starts.map((start) => deployAt(bed, ['--image', IMAGE], { START_DATE: start, END_DATE: '2026-12-31' })),
    );
    for (const result of results) assert.equal(result.code, 0, result.output);
    const releases = results.map(installedRelease);
    assert.deepEqual([...releases].sort(), [FIRST_NAME, `${FIRST_NAME}-2`, `${FIRST_NAME}-3`]);
    for (const [index, result] of results.entries()) {
      const release = releases[index]!;
      if (release !== FIRST_NAME) assert.match(result.output, /is taken by another run started in the same second/);
      assert.doesNotMatch(result.output, /already exists|another operation .* is in progress/);
      // Its own Job, through its own inputs Secret, with its own inputs in it.
      const ownJob = job(bed, release);
      assert.deepEqual(secretKeysRead(ownJob), [`${release}-inputs`]);
      assert.equal(secretValue(bed, `${release}-inputs`, 'START_DATE'), starts[index]);
      // Its own output, and a record that says which inputs made it (never the sensitive values).
      const copied = await readFile(path.join(bed.runDir(release), 'files', 'kube-sim-output.txt'), 'utf8');
      assert.match(copied, new RegExp(`of job ${release} at `), `${release} copied another run's output: ${copied}`);
      const record = await bed.record(release);
      assert.equal(record.release, release);
      assert.equal(record.runId, ownJob.metadata.labels?.['deckhand.dev/run-id']);
      assert.deepEqual(record.inputs, {
        secret: `${release}-inputs`,
        values: { START_DATE: starts[index], END_DATE: '2026-12-31' },
        sensitive: ['LATITUDE', 'LONGITUDE'],
      });
      assert.ok(!JSON.stringify(record).includes(VALID_INPUTS.LATITUDE), 'no sensitive value in run.json');
    }
    assert.equal(bed.sim.get('v1', 'Secret', 'caelundas', 'caelundas-env-secret'), undefined, 'no shared Secret');

    // The suffixed names are runs like any other to releases, logs and uninstall.
    const cli = (args: string[]) => runCli(args, { env: { ...bed.env, ...VALID_INPUTS }, timeoutMs: 90_000 });
    const listed = JSON.parse((await cli(['releases', 'caelundas', '--json'])).stdout) as {
      name: string;
      output: { copied: boolean };
    }[];
    assert.deepEqual(
      listed.map((row) => [row.name, row.output.copied]),
      [
        [FIRST_NAME, true],
        [`${FIRST_NAME}-2`, true],
        [`${FIRST_NAME}-3`, true],
      ],
    );
    const logs = await cli(['logs', 'caelundas', '--release', `${FIRST_NAME}-2`]);
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.stdout, /working/);
    const removed = await cli(['uninstall', 'caelundas', '--release', `${FIRST_NAME}-3`, '--yes']);
    assert.equal(removed.code, 0, removed.output);
    assert.equal(bed.sim.get('v1', 'Secret', 'caelundas', `${FIRST_NAME}-3-inputs`), undefined);
    assert.ok(bed.sim.get('v1', 'Secret', 'caelundas', `${FIRST_NAME}-2-inputs`), 'the other runs keep theirs');
    bed.sim.assertNoGaps();
  });

  it('takes the next name when a release made without a Secret of its own holds the name, and gives its Secret back', async () => {
    // A run from before per-run inputs (or one installed by hand) holds the name the next run tries first.
    const held = 'caelundas-20260301-130000';
    const chart = path.join(import.meta.dirname, '../../charts/kubernetes-job');
    const install = await bed.sandbox.run('helm', [
      'install',
      held,
      chart,
      '--namespace',
      'caelundas',
      '--values',
      path.join(chart, 'values/base.yaml'),
      '--values',
      path.join(chart, 'values/caelundas-production.yaml'),
      '--set-string',
      'image.repository=registry.example:5000/tests/caelundas',
      '--set-string',
      'image.tag=0.9.0',
    ]);
    assert.equal(install.code, 0, install.stderr);
    const result = await deployAt(bed, ['--image', IMAGE], { DECKHAND_TEST_NOW: '2026-03-01T13:00:00.000Z' });
    assert.equal(result.code, 0, result.output);
    assert.equal(installedRelease(result), `${held}-2`);
    assert.match(result.output, new RegExp(`Release name ${held} is taken \\(a release of that name exists\\)`));
    assert.equal(bed.sim.get('v1', 'Secret', 'caelundas', `${held}-inputs`), undefined, 'the Secret it gave back');
    assert.equal(job(bed, held).spec.template.spec.containers[0]!.image, `${IMAGE.replace(':1.0.0', ':0.9.0')}`);
  });

  it("refuses to copy a PVC that carries another run's id, and deletes nothing, even with --cleanup", async () => {
    // The first pod runs until it is deleted; its replacement succeeds. In between, the PVC is made to look like
    // another run's (what the copy would meet had another run of the same name taken it over).
    const release = 'caelundas-20260301-150000';
    bed.sim.setJobBehavior(
      { name: release },
      { outcome: 'never-finish', logLines: ['waiting'], logIntervalMs: 50, attempts: [{}, { outcome: 'succeed' }] },
    );
    const { child, result } = startCli(
      ['deploy', 'caelundas', '--image', IMAGE, '--cleanup'],
      deployOptions(bed, { DECKHAND_TEST_NOW: '2026-03-01T15:00:00.000Z' }),
    );
    let seen = '';
    await Promise.race([
      new Promise<void>((resolve) =>
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('│ waiting')) resolve();
        }),
      ),
      result.then((early) => assert.fail(`deploy ended before its Job ran:\n${early.output}`)),
    ]);
    const relabel = await bed.sandbox.run('kubectl', [
      'label',
      'persistentvolumeclaim',
      release,
      '--namespace',
      'caelundas',
      'deckhand.dev/run-id=another-run',
      '--overwrite',
    ]);
    assert.equal(relabel.code, 0, relabel.stderr);
    const deleted = await bed.sandbox.run('kubectl', [
      'delete',
      'pods',
      '--namespace',
      'caelundas',
      '--selector',
      `batch.kubernetes.io/job-name=${release}`,
      '--wait=false',
    ]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const ended = await result;
    assert.equal(ended.code, 1, ended.output);
    assert.match(ended.stderr, new RegExp(`PVC ${release} belongs to another run of the name ${release}`));
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release), 'the PVC is kept');
    assert.ok(bed.sim.get('batch/v1', 'Job', 'caelundas', release), 'the release is kept');
    assert.equal((await bed.record(release)).copy.verified, false);
    bed.sim.setJobBehavior({ name: release }, { outcome: 'succeed', logLines: [], attempts: [] });
  });

  it("keeps a file the Job writes named run.json apart from deckhand's record of the run", async () => {
    const jobsOwn = '{"written by": "the job"}\n';
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'succeed', files: { 'run.json': jobsOwn, 'calendar.ics': 'BEGIN:VCALENDAR' } },
    );
    const result = await deployAt(bed, ['--image', IMAGE], { DECKHAND_TEST_NOW: '2026-03-01T14:00:00.000Z' });
    assert.equal(result.code, 0, result.output);
    const release = installedRelease(result);
    assert.deepEqual((await readdir(bed.runDir(release))).sort(), ['files', 'job.log', 'run.json']);
    assert.equal(await readFile(path.join(bed.runDir(release), 'files', 'run.json'), 'utf8'), jobsOwn);
    const record = await bed.record(release);
    assert.equal(record.release, release);
    assert.deepEqual(
      record.copy.files.map((file: { path: string }) => file.path),
      ['calendar.ics', 'run.json'],
    );
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: undefined });
  });
});

describe('namespaces deckhand does not own', () => {
  let bed: DeployBed;

  before(async () => {
    bed = await createDeployBed();
  });
  after(async () => {
    await bed.close();
  });

  const writes = () => bed.sim.requests.filter((request) => !request.method.startsWith('GET')).length;

  it('refuses a kube-* namespace with exit 2 before anything happens', async () => {
    const before = bed.sim.requests.length;
    const result = await deployAt(bed, ['--image', IMAGE, '--namespace', 'kube-system']);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.stderr,
      /Refusing to deploy into namespace kube-system: kube-system is a Kubernetes system namespace/,
    );
    assert.match(result.stderr, /Nothing was changed/);
    assert.equal(bed.sim.requests.length, before, 'the cluster was not even asked');
  });

  it('refuses a namespace that runs system workloads with exit 2, and changes nothing there', async () => {
    await bed.sandbox.run('kubectl', ['create', 'namespace', 'platform']);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'coredns-5d78c9869d-abcde', namespace: 'platform', labels: { 'k8s-app': 'kube-dns' } },
      spec: {
        priorityClassName: 'system-cluster-critical',
        containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.1' }],
      },
    };
    const created = await bed.sandbox.run('kubectl', ['apply', '-f', '-'], { input: JSON.stringify(pod) });
    assert.equal(created.code, 0, created.stderr);
    const before = writes();
    const result = await deployAt(bed, ['--image', IMAGE, '--namespace', 'platform']);
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /Refusing to deploy into namespace platform: it runs system workloads \(coredns-/);
    assert.equal(writes(), before, 'nothing was written');
    const namespace = bed.sim.get('v1', 'Namespace', undefined, 'platform') as { metadata: { labels?: object } };
    assert.equal(
      Object.keys(namespace.metadata.labels ?? {}).some((key) => key.startsWith('pod-security')),
      false,
    );
  });

  it('runs in an existing namespace it did not create, leaving its labels as they are, and says so', async () => {
    const namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-astro', labels: { team: 'astro', 'pod-security.kubernetes.io/enforce': 'baseline' } },
    };
    assert.equal(
      (await bed.sandbox.run('kubectl', ['apply', '-f', '-'], { input: JSON.stringify(namespace) })).code,
      0,
    );
    const labelsBefore = (bed.sim.get('v1', 'Namespace', undefined, 'team-astro') as { metadata: { labels: object } })
      .metadata.labels;
    const result = await deployAt(bed, ['--image', IMAGE, '--namespace', 'team-astro']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /Namespace team-astro: exists and was not created by deckhand, so its labels are left/);
    const labelsAfter = (bed.sim.get('v1', 'Namespace', undefined, 'team-astro') as { metadata: { labels: object } })
      .metadata.labels;
    assert.deepEqual(labelsAfter, labelsBefore);
    const release = installedRelease(result);
    assert.ok(job(bed, release, 'team-astro'), 'the run ran there');
    assert.equal((await bed.record(release, 'team-astro')).namespace, 'team-astro');
  });
});

describe('deploy --image keeps what was given', () => {
  let bed: DeployBed;

  before(async () => {
    bed = await createDeployBed();
  });
  after(async () => {
    await bed.close();
  });

  it('runs an image given by digest alone exactly as given, and records the digest', async () => {
    const given = `registry.example:5000/tests/caelundas@sha256:${'4e'.repeat(32)}`;
    const result = await deployAt(bed, ['--image', given]);
    assert.equal(result.code, 0, result.output);
    const release = installedRelease(result);
    assert.equal(job(bed, release).spec.template.spec.containers[0]!.image, given);
    assert.doesNotMatch(result.output, /by-digest/);
    const record = await bed.record(release);
    assert.deepEqual(record.image, {
      given,
      repository: 'registry.example:5000/tests/caelundas',
      digest: `sha256:${'4e'.repeat(32)}`,
      reference: given,
      digestFrom: 'given',
    });
  });

  it('says so when the digest of a tag cannot be looked up, and runs by that tag', async () => {
    const result = await deployAt(bed, ['--image', IMAGE]);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      /the registry did not tell its digest .*the Job runs .*:1\.0\.0 by tag, which can be moved/,
    );
    const release = installedRelease(result);
    assert.equal(job(bed, release).spec.template.spec.containers[0]!.image, IMAGE);
    const record = await bed.record(release);
    assert.equal(record.image.given, IMAGE);
    assert.equal(record.image.tag, '1.0.0');
    assert.equal(record.image.digest, undefined);
  });
});

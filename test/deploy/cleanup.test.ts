/**
 * `deploy --cleanup` and the volume a Retain policy keeps (LKE's default class does, and so does the simulator's):
 * kept and priced without --delete-volume, deleted through the uninstall path with it — only after a verified copy,
 * waited for, and reported as it really ended — off a terminal, against the simulated cluster and its CSI driver.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { createDeployBed, RUN_NAME, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';

const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0@sha256:' + 'c'.repeat(64);

describe('deploy --cleanup and the kept volume', () => {
  let bed: DeployBed;
  before(async () => {
    bed = await createDeployBed();
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'done' } });
  });
  after(async () => {
    await bed?.close();
  });

  const deploy = (...extra: string[]) =>
    runCli(['deploy', 'caelundas', '--image', IMAGE, ...extra], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 90_000,
    });
  const installed = (output: string) => new RegExp(`Installed release (${RUN_NAME.source})`).exec(output)![1]!;
  const volumeOf = (output: string, release: string) =>
    new RegExp(`(?:Keeping|Deleting) volume (pvc-[\\w-]+)`).exec(output)?.[1] ?? assert.fail(`no volume of ${release}`);

  it('with --delete-volume deletes the volume after the verified copy, waits until it is gone, and says so', async () => {
    const before = bed.sim.deletedVolumes.length;
    const result = await deploy('--cleanup', '--delete-volume');
    assert.equal(result.code, 0, result.output);
    const release = installed(result.output);
    const volume = volumeOf(result.output, release);
    assert.equal(await readFile(path.join(bed.runDir(release), 'files', 'calendar.ics'), 'utf8'), 'done');
    assert.equal(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release), undefined, 'the PVC is gone');
    assert.equal(bed.sim.get('v1', 'PersistentVolume', undefined, volume), undefined, 'the PV is gone');
    assert.equal(bed.sim.deletedVolumes.length, before + 1, 'the CSI driver deleted the Linode volume');
    assert.equal(bed.sim.deletedVolumes.at(-1)!.persistentVolume, volume);
    assert.match(result.output, new RegExp(`Deleted volume ${volume} \\(Linode volume \\d+\\): it is gone`));
    assert.match(result.output, new RegExp(`Uninstalled ${release} and deleted its PVC and its volume ${volume}`));
    assert.doesNotMatch(result.output, /still billed|--delete-volume/, 'nothing is left to pay for, or to delete');
    assert.equal((await bed.record(release)).copy.verified, true);
    // Off a terminal the summary line is printed as it comes; the log stays beside the record, the volume or not.
    assert.match(result.output, new RegExp(`Full log: \\S+/${release}/job\\.log`));
    assert.match(await readFile(path.join(bed.runDir(release), 'job.log'), 'utf8'), /^==> pod /);
    bed.sim.assertNoGaps();
  });

  it('without --delete-volume keeps the volume and says what it costs a month and the command that deletes it', async () => {
    const result = await deploy('--cleanup');
    assert.equal(result.code, 0, result.output);
    const release = installed(result.output);
    const volume = volumeOf(result.output, release);
    assert.ok(bed.sim.get('v1', 'PersistentVolume', undefined, volume), 'the volume is kept');
    assert.match(
      result.output,
      new RegExp(
        `Kept volume ${volume} \\(10Gi, reclaim policy Retain, Linode volume \\d+\\): .*\\(about \\$1\\.00/month`,
      ),
    );
    // Off a terminal the next steps fit 80 columns too: the prose wrapped, the command whole, continued with ` \`.
    assert.match(
      result.stderr.replace(/\s+/g, ' '),
      new RegExp(`The volume ${volume} is kept by its reclaim policy \\(Retain\\) and billed, about \\$1\\.00/month`),
    );
    assert.ok(
      result.stderr.includes(`\n  npx tsx tasks.ts uninstall caelundas --release ${release} \\\n    --delete-volume\n`),
      result.stderr,
    );
    // The command it gives deletes it.
    const deleted = await runCli(['uninstall', 'caelundas', '--release', release, '--delete-volume', '--yes'], {
      env: bed.env,
      timeoutMs: 60_000,
    });
    assert.equal(deleted.code, 0, deleted.output);
    assert.equal(bed.sim.get('v1', 'PersistentVolume', undefined, volume), undefined);
  });

  it('reports a volume the CSI driver cannot delete as still there, in its words, and exits 1; the output is safe', async () => {
    bed.sim.setVolumeDeletion({ outcome: 'fail', message: 'volume is attached to linode 4711' });
    try {
      const result = await deploy('--cleanup', '--delete-volume');
      assert.equal(result.code, 1, result.output);
      const release = installed(result.output);
      const volume = volumeOf(result.output, release);
      assert.match(
        result.stderr,
        new RegExp(
          `still there:\\n  - ${volume} \\(Linode volume \\d+, still billed\\) of ${release}: the Linode CSI driver could not delete it \\(VolumeFailedDelete: volume is attached to linode 4711\\)`,
        ),
      );
      assert.doesNotMatch(result.output, new RegExp(`Deleted volume ${volume}`));
      assert.ok(bed.sim.get('v1', 'PersistentVolume', undefined, volume), 'the volume is there, as reported');
      const record = await bed.record(release);
      assert.equal(record.outcome, 'complete', 'the run itself completed');
      assert.equal(record.copy.verified, true);
    } finally {
      bed.sim.setVolumeDeletion({ outcome: 'delete' });
    }
  });

  it('deletes nothing when the Job failed, --delete-volume or not', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'fail', exitCode: 3 });
    try {
      const result = await deploy('--cleanup', '--delete-volume');
      assert.equal(result.code, 1, result.output);
      const release = installed(result.output);
      const pvc = bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release) as
        { spec: { volumeName?: string } } | undefined;
      assert.ok(pvc, 'the PVC is kept');
      assert.ok(bed.sim.get('v1', 'PersistentVolume', undefined, pvc.spec.volumeName!), 'and its volume');
    } finally {
      bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', exitCode: 0 });
    }
  });

  it('shows in a dry run that the volume would be switched to Delete', async () => {
    const result = await deploy('--cleanup', '--delete-volume', '--dry-run');
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      /would run: kubectl patch persistentvolume '<volume of PVC caelundas-\d{8}-\d{6}>' .*persistentVolumeReclaimPolicy.*Delete/,
    );
  });

  it('refuses --delete-volume without --cleanup with exit 2, before anything runs', async () => {
    const writes = bed.sim.requests.filter((request) => !request.method.startsWith('GET')).length;
    const result = await deploy('--delete-volume');
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /--delete-volume works only together with --cleanup\./);
    assert.equal(bed.sim.requests.filter((request) => !request.method.startsWith('GET')).length, writes);
  });
});

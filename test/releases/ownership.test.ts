/**
 * What belongs to which run, on the test bed: a copy counts only for the run it was made of (cluster, namespace,
 * release — the same name elsewhere is another run); output that was never copied is not deleted on any path, also
 * when only its kept volume is left; a volume is reported deleted only once the simulated Linode CSI driver removed
 * it, and a driver that cannot is reported in its own words; and runs made before per-run inputs keep their shared
 * Secret until the last of them goes.
 */
import assert from 'node:assert/strict';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createReleasesBed,
  helmReleases,
  installRun,
  NS,
  recordCopied,
  SHARED_SECRET,
  waitForBoundPvc,
  waitForJob,
  type ReleasesBed,
} from './bed.ts';

const OTHER_NS = 'caelundas-staging';
/** The same release name, run in two namespaces. */
const TWIN = 'caelundas-20260201-000000';
const VOLUME_ONLY = 'caelundas-20260202-000000';
const STUBBORN = 'caelundas-20260203-000000';
const LEGACY_A = 'caelundas-20251201-000000';
const LEGACY_B = 'caelundas-20251202-000000';

interface JsonRow {
  name: string;
  output: { copied: boolean; legacy?: boolean; dir: string };
  inputs: { secret: string; shared: boolean; present: boolean };
}

describe('what belongs to which run', () => {
  let bed: ReleasesBed;

  const rows = async (namespace = NS): Promise<JsonRow[]> => {
    const result = await bed.cli(['releases', 'caelundas', '--json', '--namespace', namespace]);
    assert.equal(result.code, 0, result.output);
    return JSON.parse(result.stdout) as JsonRow[];
  };
  const row = async (name: string, namespace = NS) =>
    (await rows(namespace)).find((candidate) => candidate.name === name) ?? assert.fail(`no row ${name}`);
  const volumeOf = (release: string) =>
    (bed.sim.get('v1', 'PersistentVolumeClaim', NS, release) as { spec: { volumeName: string } }).spec.volumeName;

  before(async () => {
    bed = await createReleasesBed();
    await installRun(bed, TWIN);
    await installRun(
      bed,
      TWIN,
      { outcome: 'succeed', files: { 'calendar.ics': 'from staging' } },
      { namespace: OTHER_NS },
    );
    for (const name of [VOLUME_ONLY, STUBBORN]) await installRun(bed, name);
    for (const name of [LEGACY_A, LEGACY_B]) await installRun(bed, name, { outcome: 'succeed' }, { legacy: true });
    await Promise.all(
      [TWIN, VOLUME_ONLY, STUBBORN, LEGACY_A, LEGACY_B].map((name) => waitForJob(bed, name, 'Complete')),
    );
    await Promise.all([TWIN, VOLUME_ONLY, STUBBORN].map((name) => waitForBoundPvc(bed, name)));
  });
  after(async () => {
    await bed?.close();
  });

  it('counts a copy only for the run it was made of: the same release in another namespace is not copied', async () => {
    const copied = await bed.cli(['copy', 'caelundas', '--release', TWIN, '--namespace', OTHER_NS]);
    assert.equal(copied.code, 0, copied.output);
    assert.equal(
      await readFile(path.join(bed.runDir(TWIN, OTHER_NS), 'files', 'calendar.ics'), 'utf8'),
      'from staging',
    );
    assert.equal((await row(TWIN, OTHER_NS)).output.copied, true);
    assert.equal((await row(TWIN)).output.copied, false, 'the run of the same name in caelundas is not copied');

    const refused = await bed.cli(['uninstall', 'caelundas', '--release', TWIN, '--yes']);
    assert.equal(refused.code, 2, refused.output);
    assert.match(refused.stderr, new RegExp(`the output of ${TWIN} was never copied to this machine`));
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', NS, TWIN), 'its PVC is kept');
  });

  it('reads records written before per-run folders, and trusts one only for its namespace and cluster', async () => {
    // output/<release>/run.json among the files, as deckhand wrote it before: of the other namespace first.
    await recordCopied(bed, TWIN, { legacy: true, place: { namespace: OTHER_NS } });
    assert.equal((await row(TWIN)).output.copied, false);
    await recordCopied(bed, TWIN, { legacy: true, place: { server: 'https://another-cluster.example:443' } });
    assert.equal((await row(TWIN)).output.copied, false);
    const legacyDir = await recordCopied(bed, TWIN, { legacy: true });
    const trusted = await row(TWIN);
    assert.equal(trusted.output.copied, true, 'the old record of this very run');
    assert.equal(trusted.output.legacy, true);
    assert.equal(trusted.output.dir, legacyDir);
  });

  it("never replaces a folder that holds another cluster's run of the same names", async () => {
    const release = STUBBORN;
    const runDir = await recordCopied(bed, release, { place: { server: 'https://another-cluster.example:443' } });
    const before = await readFile(path.join(runDir, 'run.json'), 'utf8');
    const result = await bed.cli(['copy', 'caelundas', '--release', release]);
    assert.equal(result.code, 1, result.output);
    assert.match(result.stderr, /holds the output of .* on https:\/\/another-cluster\.example:443, not of this run/);
    assert.equal(await readFile(path.join(runDir, 'run.json'), 'utf8'), before, 'untouched');
    assert.equal((await row(release)).output.copied, false);
    // Moved aside, as the message says: this run's copy and record then land there.
    await rename(runDir, path.join(bed.dir, 'moved-aside'));
    const again = await bed.cli(['copy', 'caelundas', '--release', release]);
    assert.equal(again.code, 0, again.output);
    assert.equal((await row(release)).output.copied, true);
  });

  it('asks again (or needs --force) before deleting the kept volume of a run never copied whose PVC is gone', async () => {
    const volume = volumeOf(VOLUME_ONLY);
    // Its PVC deleted by hand; the Retained volume keeps the only copy of the output.
    await bed.kubectl(['delete', 'persistentvolumeclaim', VOLUME_ONLY, '--namespace', NS, '--wait=true']);
    await bed.sim.waitFor(
      (sim) =>
        (sim.get('v1', 'PersistentVolume', undefined, volume) as { status?: { phase?: string } })?.status?.phase ===
        'Released',
      { timeoutMs: 10_000, description: `volume ${volume} Released` },
    );
    const refused = await bed.cli(['uninstall', 'caelundas', '--release', VOLUME_ONLY, '--yes', '--delete-volume']);
    assert.equal(refused.code, 2, refused.output);
    assert.match(
      refused.stderr,
      new RegExp(
        `the output of ${VOLUME_ONLY} was never copied to this machine \\(deleting its kept volume ${volume} destroys it\\)`,
      ),
    );
    const kept = bed.sim.get('v1', 'PersistentVolume', undefined, volume) as {
      spec: { persistentVolumeReclaimPolicy: string };
    };
    assert.equal(kept.spec.persistentVolumeReclaimPolicy, 'Retain', 'nothing was switched');
    assert.ok(await helmReleases(bed).then((list) => list.some((entry) => entry.name === VOLUME_ONLY)));

    const forced = await bed.cli([
      'uninstall',
      'caelundas',
      '--release',
      VOLUME_ONLY,
      '--yes',
      '--delete-volume',
      '--force',
    ]);
    assert.equal(forced.code, 0, forced.output);
    assert.equal(bed.sim.get('v1', 'PersistentVolume', undefined, volume), undefined);
    assert.match(forced.output, new RegExp(`deleted volume ${volume}`));
  });

  it('reports a volume the CSI driver cannot delete as still there, in its words — also on the next uninstall', async () => {
    await recordCopied(bed, STUBBORN);
    const volume = volumeOf(STUBBORN);
    bed.sim.setVolumeDeletion({ outcome: 'fail', message: 'volume is attached to linode 4711' });
    try {
      const first = await bed.cli(['uninstall', 'caelundas', '--release', STUBBORN, '--yes', '--delete-volume']);
      assert.equal(first.code, 1, first.output);
      assert.match(
        first.stderr,
        new RegExp(
          `still there:\\n  - ${volume} \\(Linode volume \\d+, still billed\\) of ${STUBBORN}: the Linode CSI driver could not delete it \\(VolumeFailedDelete: volume is attached to linode 4711\\)`,
        ),
      );
      assert.doesNotMatch(first.output, new RegExp(`deleted volume ${volume}`));
      assert.ok(bed.sim.get('v1', 'PersistentVolume', undefined, volume), 'the volume is there, as reported');

      const second = await bed.cli(['uninstall', 'caelundas', '--release', STUBBORN, '--yes', '--delete-volume']);
      assert.equal(second.code, 1, second.output);
      assert.match(second.output, new RegExp(`volume ${volume} is still there`));
      assert.doesNotMatch(second.output, new RegExp(`deleted volume ${volume}`));
    } finally {
      bed.sim.setVolumeDeletion({ outcome: 'delete' });
    }
  });

  it('keeps the Secret runs made before per-run inputs shared until the last of them is uninstalled', async () => {
    await recordCopied(bed, LEGACY_A);
    await recordCopied(bed, LEGACY_B);
    const legacy = await row(LEGACY_A);
    assert.deepEqual(legacy.inputs, { secret: SHARED_SECRET, shared: true, present: true });
    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(
      listed.stdout,
      new RegExp(`${LEGACY_A} was made before per-run inputs: its Job reads the shared Secret ${SHARED_SECRET}`),
    );

    const first = await bed.cli(['uninstall', 'caelundas', '--release', LEGACY_A, '--yes']);
    assert.equal(first.code, 0, first.output);
    assert.ok(bed.sim.get('v1', 'Secret', NS, SHARED_SECRET), `${LEGACY_B} still reads it`);
    assert.doesNotMatch(first.output, /Deleted Secret/);

    const last = await bed.cli(['uninstall', 'caelundas', '--release', LEGACY_B, '--yes']);
    assert.equal(last.code, 0, last.output);
    assert.match(
      last.output,
      new RegExp(`Deleted Secret ${SHARED_SECRET}, which the runs made before per-run inputs shared`),
    );
    assert.equal(bed.sim.get('v1', 'Secret', NS, SHARED_SECRET), undefined);
    assert.ok(bed.sim.get('v1', 'Secret', NS, `${TWIN}-inputs`), "a newer run's own Secret is not touched");
  });

  it('reports no gaps in the simulated API', () => {
    bed.sim.assertNoGaps();
  });
});

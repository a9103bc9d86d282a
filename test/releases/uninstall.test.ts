/**
 * `uninstall` off a terminal on the test bed: the real helm and kubectl against the simulated cluster, whose default
 * StorageClass keeps volumes (Retain) as LKE's does, and whose Linode CSI driver deletes a volume once its reclaim
 * policy is switched to Delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createReleasesBed,
  deployRun,
  helmReleases,
  installRun,
  markPending,
  NS,
  waitForBoundPvc,
  waitForJob,
  type ReleasesBed,
} from './bed.ts';

const NEVER_COPIED = 'caelundas-20260105-000000';
const SECOND = 'caelundas-20260106-000000';
const THIRD = 'caelundas-20260107-000000';
const STUCK_INSTALL = 'caelundas-20260108-000000';
const STUCK_UPGRADE = 'caelundas-20260109-000000';

describe('uninstall off a terminal', () => {
  let bed: ReleasesBed;
  let copied: string;
  let copiedVolume: string;

  const exists = {
    pvc: (name: string) => bed.sim.get('v1', 'PersistentVolumeClaim', NS, name) !== undefined,
    volume: (name: string) => bed.sim.get('v1', 'PersistentVolume', undefined, name) !== undefined,
    release: async (name: string) => (await helmReleases(bed)).some((release) => release.name === name),
  };

  before(async () => {
    bed = await createReleasesBed();
    copied = await deployRun(bed);
    copiedVolume = await waitForBoundPvc(bed, copied);
    for (const name of [NEVER_COPIED, SECOND, THIRD, STUCK_INSTALL, STUCK_UPGRADE]) await installRun(bed, name);
    await Promise.all([NEVER_COPIED, SECOND, THIRD].map((name) => waitForJob(bed, name, 'Complete')));
    await Promise.all([NEVER_COPIED, SECOND, THIRD, STUCK_INSTALL].map((name) => waitForBoundPvc(bed, name)));
    markPending(bed, STUCK_INSTALL, 'pending-install');
    markPending(bed, STUCK_UPGRADE, 'pending-upgrade', { asNewRevision: true });
  });
  after(async () => {
    await bed?.close();
  });

  it('without --yes exits 2, names the missing consent, and changes nothing', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', copied]);
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, new RegExp(`confirmation: pass --yes to uninstall ${copied}`));
    assert.ok(await exists.release(copied));
    assert.ok(exists.pvc(copied));
  });

  it('with --dry-run prints the writes in order and changes nothing, without needing --yes', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', copied, '--dry-run', '--delete-volume']);
    assert.equal(result.code, 0, result.output);
    const order = [
      `would run: helm uninstall ${copied}`,
      'would wait: kubectl wait pods',
      `would run: kubectl delete persistentvolumeclaim ${copied}`,
      `would run: kubectl patch persistentvolume ${copiedVolume}`,
    ];
    const positions = order.map((text) => result.output.indexOf(text));
    assert.ok(
      positions.every((position, index) => position >= 0 && (index === 0 || position > positions[index - 1]!)),
      result.output,
    );
    assert.match(result.stderr, /Dry run done: nothing was changed\./);
    assert.ok(await exists.release(copied));
    assert.ok(exists.pvc(copied));
  });

  it('exits 2 for a name that is not a run of the app, listing the existing ones', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', 'caelundas-latest', '--yes']);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.stderr,
      /No run caelundas-latest in namespace caelundas\. Runs of caelundas are named caelundas-YYYYMMDD-HHMMSS\./,
    );
    assert.match(result.stderr, new RegExp(`Runs there: .*${copied}`));
    assert.match(
      result.stderr,
      new RegExp(`Runs there: .*${NEVER_COPIED}.* \\(npx tsx tasks\\.ts releases caelundas\\)`),
    );
  });

  it('exits 2 for a well-formed run name that neither the cluster nor this machine knows, for uninstall, logs and copy', async () => {
    const never = 'caelundas-20200101-000000';
    for (const command of [
      ['uninstall', 'caelundas', '--release', never, '--yes'],
      ['logs', 'caelundas', '--release', never],
      ['copy', 'caelundas', '--release', never],
    ]) {
      const result = await bed.cli(command);
      assert.equal(result.code, 2, `${command[0]}: ${result.output}`);
      assert.match(result.stderr, new RegExp(`No run ${never} in namespace caelundas\\.`), command[0]);
      assert.match(result.stderr, new RegExp(`Runs there: .*${NEVER_COPIED}`), command[0]);
      assert.match(result.stderr, new RegExp(`Runs there: .*${copied}`), command[0]);
      assert.doesNotMatch(result.output, /nothing to do/, command[0]);
    }
  });

  it('with --release and --yes uninstalls, waits for the pods, deletes the PVC, and keeps the Retained volume, saying it is billed', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', copied, '--yes']);
    assert.equal(result.code, 0, result.output);
    assert.ok(!(await exists.release(copied)), 'the Helm release is gone');
    assert.equal(
      bed.sim.list('v1', 'Pod', NS).filter((pod) => pod.metadata.labels?.['app.kubernetes.io/instance'] === copied)
        .length,
      0,
      'its pods are gone',
    );
    assert.ok(!exists.pvc(copied), 'the PVC is gone');
    assert.equal(bed.sim.get('v1', 'Secret', NS, `${copied}-inputs`), undefined, "the run's inputs Secret is gone");
    assert.ok(exists.volume(copiedVolume), 'the Retained volume is kept');
    assert.match(
      result.stderr,
      new RegExp(
        `Kept volume ${copiedVolume} \\(10Gi, reclaim policy Retain, Linode volume \\d+\\): .*still billed \\(about \\$1\\.00/month.*--release ${copied} --delete-volume`,
      ),
    );
    assert.match(result.stderr, /Uninstalled 1 release\./);

    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(
      listed.stdout,
      new RegExp(`${copied}\\s+no release \\(volume left\\).*PV ${copiedVolume} 10Gi Released`),
    );
    assert.match(
      listed.stdout,
      new RegExp(`${copied}: volume ${copiedVolume} \\(Linode volume \\d+\\) is Released .*still billed`),
    );
  });

  it('deletes the volume left behind with --delete-volume, through its reclaim policy, and then has nothing left to do', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', copied, '--yes', '--delete-volume']);
    assert.equal(result.code, 0, result.output);
    assert.ok(!exists.volume(copiedVolume), 'the volume is gone');
    assert.match(result.output, new RegExp(`deleted volume ${copiedVolume}`));
    assert.ok(
      bed.sim.deletedVolumes.some((deleted) => deleted.persistentVolume === copiedVolume),
      'the Linode CSI driver deleted the Linode volume',
    );
    const again = await bed.cli(['uninstall', 'caelundas', '--release', copied, '--yes']);
    assert.equal(again.code, 0, again.output);
    assert.match(again.stderr, new RegExp(`${copied}: not found, nothing to do\\.`));

    // Nothing of it is left on the cluster, but its record here says it ran: logs and copy say what is here.
    const logs = await bed.cli(['logs', 'caelundas', '--release', copied]);
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.stderr, new RegExp(`The Job ${copied} is gone; showing the log deploy saved`));
    const copy = await bed.cli(['copy', 'caelundas', '--release', copied]);
    assert.equal(copy.code, 0, copy.output);
    assert.match(copy.output, new RegExp(`The output of ${copied} is already in .*verified`));
  });

  it('refuses to delete output that was never copied without --force, and deletes it with --force', async () => {
    const refused = await bed.cli(['uninstall', 'caelundas', '--release', NEVER_COPIED, '--yes']);
    assert.equal(refused.code, 2, refused.output);
    assert.match(
      refused.stderr,
      new RegExp(
        `the output of ${NEVER_COPIED} was never copied to this machine \\(deleting its PVC ${NEVER_COPIED} destroys it\\): copy it first \\(npx tsx tasks\\.ts copy caelundas --release ${NEVER_COPIED}\\), or pass --force`,
      ),
    );
    assert.ok(await exists.release(NEVER_COPIED));
    assert.ok(exists.pvc(NEVER_COPIED));

    const forced = await bed.cli(['uninstall', 'caelundas', '--release', NEVER_COPIED, '--yes', '--force']);
    assert.equal(forced.code, 0, forced.output);
    assert.ok(!(await exists.release(NEVER_COPIED)));
    assert.ok(!exists.pvc(NEVER_COPIED));
  });

  it('keeps the PVC with --keep-pvc, so no consent for the output is needed', async () => {
    const result = await bed.cli(['uninstall', 'caelundas', '--release', SECOND, '--yes', '--keep-pvc']);
    assert.equal(result.code, 0, result.output);
    assert.ok(!(await exists.release(SECOND)));
    assert.ok(exists.pvc(SECOND), 'the PVC is kept');
    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(listed.stdout, new RegExp(`${SECOND}\\s+no release \\(PVC left\\)\\s+gone .*10Gi Bound`));
  });

  it('removes several runs in one go, leftovers included, volumes too with --delete-volume', async () => {
    const volumes = [
      bed.sim.get('v1', 'PersistentVolumeClaim', NS, SECOND),
      bed.sim.get('v1', 'PersistentVolumeClaim', NS, THIRD),
    ].map((pvc) => (pvc!['spec'] as { volumeName: string }).volumeName);
    {
      const result = await bed.cli([
        'uninstall',
        'caelundas',
        '--release',
        SECOND,
        '--release',
        THIRD,
        '--yes',
        '--force',
        '--delete-volume',
      ]);
      assert.equal(result.code, 0, result.output);
      assert.match(result.stderr, /Uninstalled 2 releases\./);
    }
    assert.ok(!(await exists.release(THIRD)));
    for (const claim of [SECOND, THIRD]) assert.ok(!exists.pvc(claim), `PVC ${claim} is gone`);
    for (const volume of volumes) assert.ok(!exists.volume(volume), `volume ${volume} is gone`);
  });

  it('shows a stuck release with the fix, refuses it without --recover, and uninstalls it with --recover', async () => {
    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(listed.stdout, new RegExp(`${STUCK_INSTALL}\\s+stuck \\(pending-install\\)`));

    const refused = await bed.cli(['uninstall', 'caelundas', '--release', STUCK_INSTALL, '--yes', '--force']);
    assert.equal(refused.code, 2, refused.output);
    assert.match(
      refused.stderr,
      new RegExp(
        `${STUCK_INSTALL} is stuck \\(pending-install\\): .*npx tsx tasks\\.ts uninstall caelundas --release ${STUCK_INSTALL} --recover --yes`,
      ),
    );
    assert.doesNotMatch(refused.output, /another operation \(install\/upgrade\/rollback\) is in progress$/m);
    assert.ok(await exists.release(STUCK_INSTALL));

    const recovered = await bed.cli([
      'uninstall',
      'caelundas',
      '--release',
      STUCK_INSTALL,
      '--yes',
      '--force',
      '--recover',
    ]);
    assert.equal(recovered.code, 0, recovered.output);
    assert.ok(!(await exists.release(STUCK_INSTALL)));
    assert.ok(!exists.pvc(STUCK_INSTALL));
  });

  it('offers the rollback to the last deployed revision for an interrupted upgrade', async () => {
    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(
      listed.stdout,
      new RegExp(
        `${STUCK_UPGRADE} is stuck \\(pending-upgrade\\)\\. .*roll it back to revision 1 \\(helm rollback ${STUCK_UPGRADE} 1 --namespace caelundas;`,
      ),
    );
    const refused = await bed.cli(['uninstall', 'caelundas', '--release', STUCK_UPGRADE, '--yes', '--force']);
    assert.equal(refused.code, 2, refused.output);
    assert.match(refused.stderr, new RegExp(`helm rollback ${STUCK_UPGRADE} 1 --namespace caelundas`));
  });

  it('reports no gaps in the simulated API', () => {
    bed.sim.assertNoGaps();
  });
});

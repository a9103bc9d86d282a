/**
 * The interactive side of `uninstall`, `logs` and `copy`, driven through a real pseudo-terminal: keys are typed into
 * the Inquirer prompts and the screen is read back, against the simulated cluster.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VALID_INPUTS } from '../support/deploy-bed.ts';
import { KEYS, startCliInPty } from '../support/pty.ts';
import {
  createReleasesBed,
  helmReleases,
  installRun,
  markPending,
  NS,
  recordCopied,
  waitForBoundPvc,
  waitForJob,
  type ReleasesBed,
} from './bed.ts';

const OLDEST = 'caelundas-20260110-000000';
const MIDDLE = 'caelundas-20260111-000000';
const NEWEST = 'caelundas-20260112-000000';
const STUCK = 'caelundas-20260113-000000';

describe('release pickers on a terminal', () => {
  let bed: ReleasesBed;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    bed = await createReleasesBed();
    for (const name of [OLDEST, MIDDLE, NEWEST, STUCK]) await installRun(bed, name);
    for (const name of [OLDEST, MIDDLE, NEWEST]) await recordCopied(bed, name);
    await Promise.all([OLDEST, MIDDLE, NEWEST].map((name) => waitForJob(bed, name, 'Complete')));
    await Promise.all([OLDEST, MIDDLE, NEWEST, STUCK].map((name) => waitForBoundPvc(bed, name)));
    markPending(bed, STUCK, 'pending-upgrade', { asNewRevision: true });
    // A person at a terminal: no CI variable, so prompts are allowed.
    env = { ...bed.env, ...VALID_INPUTS };
    delete env.CI;
  });
  after(async () => {
    await bed?.close();
  });

  it('Ctrl-C at the picker exits 130 and changes nothing', async () => {
    const session = startCliInPty(['uninstall', 'caelundas'], { env, watchdogMs: 30_000 });
    await session.waitFor(/Releases of caelundas to uninstall[\s\S]*⏎ submit/);
    session.type(KEYS.ctrlC);
    const { exitCode, screen } = await session.exited;
    assert.equal(exitCode, 130, screen);
    assert.doesNotMatch(screen, /^\s+at /m, 'no stack trace');
    assert.equal((await helmReleases(bed)).length, 4);
  });

  for (const [command, ready] of [
    ['uninstall', /Releases of caelundas to uninstall[\s\S]*⏎ submit/],
    ['logs', /Which release of caelundas\? \(newest first\)[\s\S]*⏎ select/],
  ] as const) {
    it(`fits the ${command} picker in 80 columns: one row per release, what does not fit described under the list`, async () => {
      const session = startCliInPty([command, 'caelundas'], { env, cols: 80, rows: 30, watchdogMs: 30_000 });
      await session.waitFor(ready);
      const rendered = await session.rendered();
      const rows = rendered.lines.flatMap((line, index) =>
        /^[❯ ][◯◉ ]? ?caelundas-\d{8}-\d{6}/.test(line) ? [index] : [],
      );
      const offered = command === 'logs' ? [STUCK, NEWEST, MIDDLE, OLDEST] : [OLDEST, MIDDLE, NEWEST, STUCK];
      assert.deepEqual(
        rows.map((row) => /caelundas-\d{8}-\d{6}/.exec(rendered.lines[row]!)![0]),
        offered,
        rendered.text,
      );
      // One row each, one after the other: no entry was cut and continued on the next row.
      assert.deepEqual(
        rows,
        offered.map((_, index) => rows[0]! + index),
        rendered.text,
      );
      for (const row of rows) {
        assert.ok(rendered.lines[row]!.length <= 80, rendered.lines[row]);
        // The facts that matter most stay on the line: whether its Job finished and its output is here.
        assert.match(rendered.lines[row]!, /\s(complete|running|failed|gone)\s.*\s(copied|not copied)$/);
      }
      assert.deepEqual(rendered.overflowed, [], 'the terminal wrapped nothing');
      // Under the list, the highlighted release's description: what its line left out (its PVC), within 80 columns.
      const description = rendered.lines.slice(rows.at(-1)! + 1).join('\n');
      assert.match(description, /PVC 10Gi Bound/);
      if (command === 'uninstall') {
        // The confirmation that follows is wrapped at spaces too, not cut by Inquirer at the 80th column.
        session.type(KEYS.space);
        session.type(KEYS.enter);
        await session.waitFor(/Uninstall this release[\s\S]*\(y\/N\)/);
        const asked = await session.rendered();
        const first = asked.lines.findIndex((line) => line.startsWith('? Uninstall this release'));
        const last = asked.lines.findIndex((line, index) => index > first && /\(y\/N\)/.test(line));
        const question = asked.lines.slice(first, last + 1);
        for (const line of question) assert.ok(line.length <= 80, line);
        assert.deepEqual(asked.overflowed, []);
        assert.match(
          question.join(' ').replace(/\s+/g, ' '),
          new RegExp(
            `^\\? Uninstall this release of caelundas \\(Helm release, Job, pods\\)\\? Their PVCs go too, with the output on them\\. - ${OLDEST}: job complete, PVC 10Gi Bound, output copied \\(1 file, 1 B\\) \\(y/N\\)`,
          ),
        );
      }
      session.type(KEYS.escape);
      const { exitCode, screen } = await session.exited;
      assert.equal(exitCode, 130, screen);
      assert.equal((await helmReleases(bed)).length, 4, 'nothing changed');
    });
  }

  it('uninstalls two of three releases picked with space and arrows, after a confirmation, and deletes their volumes when told to', async () => {
    const volumes = new Map(
      [OLDEST, MIDDLE, NEWEST].map((name) => [
        name,
        (bed.sim.get('v1', 'PersistentVolumeClaim', NS, name) as { spec: { volumeName: string } }).spec.volumeName,
      ]),
    );
    {
      // The simulator plays the Linode CSI driver: a volume switched to Delete goes, with its Linode volume.
      const session = startCliInPty(['uninstall', 'caelundas'], { env, watchdogMs: 60_000 });
      // The key help is drawn last: the whole list is on the screen once it shows.
      await session.waitFor(/Releases of caelundas to uninstall[\s\S]*⏎ submit/);
      // Finished runs first, oldest first; the stuck one last. Each line carries the same facts as the table.
      const picker = session.screen();
      assert.ok(
        picker.indexOf(OLDEST) < picker.indexOf(MIDDLE) &&
          picker.indexOf(MIDDLE) < picker.indexOf(NEWEST) &&
          picker.indexOf(NEWEST) < picker.indexOf(STUCK),
        picker,
      );
      assert.match(
        picker,
        new RegExp(`${OLDEST}\\s+deployed\\s+job complete\\s+c0ffee0\\s+\\S+\\s+10Gi Bound\\s+copied \\(1 file`),
      );
      assert.match(picker, new RegExp(`${STUCK}\\s+stuck \\(pending-upgrade\\)`));

      session.type(KEYS.space); // the oldest
      session.type(KEYS.down);
      session.type(KEYS.down);
      session.type(KEYS.space); // the newest
      session.type(KEYS.enter);

      const confirmAt = session.screen().length;
      await session.waitFor(/Uninstall these 2 releases of caelundas/, { fromIndex: confirmAt });
      await session.waitFor(new RegExp(`- ${NEWEST}: job complete, PVC 10Gi Bound, output copied[\\s\\S]*\\(y/N\\)`), {
        fromIndex: confirmAt,
      });
      assert.doesNotMatch(session.screen().slice(confirmAt), new RegExp(`- ${MIDDLE}`));
      session.type('y');
      session.type(KEYS.enter);

      const volumesAt = session.screen().length;
      await session.waitFor(
        /Their volumes use reclaim policy Retain[\s\S]*billed until deleted[\s\S]*Delete the volumes too\? \(y\/N\)/,
        { fromIndex: volumesAt },
      );
      session.type('y');
      session.type(KEYS.enter);

      const { exitCode, screen } = await session.exited;
      assert.equal(exitCode, 0, screen);
      assert.match(screen, /Uninstalled 2 releases\./);
    }
    assert.deepEqual((await helmReleases(bed)).map((release) => release.name).sort(), [MIDDLE, STUCK]);
    for (const name of [OLDEST, NEWEST]) {
      assert.equal(bed.sim.get('v1', 'PersistentVolumeClaim', NS, name), undefined, `PVC ${name} is gone`);
      assert.equal(
        bed.sim.get('v1', 'PersistentVolume', undefined, volumes.get(name)!),
        undefined,
        `the volume of ${name} is gone`,
      );
    }
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', NS, MIDDLE), 'the release not picked keeps its PVC');
    assert.equal(bed.sim.deletedVolumes.length, 2, 'the CSI driver deleted both Linode volumes');
    for (const name of [OLDEST, NEWEST])
      assert.equal(bed.sim.get('v1', 'Secret', NS, `${name}-inputs`), undefined, `the inputs of ${name} are gone`);
    assert.ok(bed.sim.get('v1', 'Secret', NS, `${MIDDLE}-inputs`), 'the release not picked keeps its inputs');
  });

  it('offers a stuck release the rollback to its last deployed revision, and rolls it back when chosen', async () => {
    const session = startCliInPty(['uninstall', 'caelundas', '--release', STUCK], { env, watchdogMs: 60_000 });
    await session.waitFor(
      new RegExp(`${STUCK} is stuck in pending-upgrade since .*: an interrupted helm operation left it locked`),
    );
    await session.waitFor(/Roll it back to revision 1 and keep it[\s\S]*⏎ select/);
    session.type(KEYS.down);
    session.type(KEYS.enter);
    const { exitCode, screen } = await session.exited;
    assert.equal(exitCode, 0, screen);
    assert.match(screen, /Rolled back caelundas-20260113-000000 to revision 1/);
    const status = JSON.parse(await bed.helm(['status', STUCK, '--namespace', NS, '--output', 'json'])) as {
      info: { status: string };
      version: number;
    };
    assert.equal(status.info.status, 'deployed');
    assert.equal(status.version, 3);
  });

  it('picks the release to show the logs of, newest first', async () => {
    const session = startCliInPty(['logs', 'caelundas'], { env, watchdogMs: 30_000 });
    await session.waitFor(/Which release of caelundas\? \(newest first\)[\s\S]*⏎ select/);
    const offered = [...session.screen().matchAll(/^[❯ ] (caelundas-\d{8}-\d{6}) /gm)].map((match) => match[1]!);
    const listed = [...new Set(offered)];
    assert.deepEqual(listed, [...listed].sort().reverse(), 'newest first');
    for (let step = 0; step < listed.indexOf(MIDDLE); step += 1) session.type(KEYS.down);
    session.type(KEYS.enter);
    const exit = await session.exited;
    assert.equal(exit.exitCode, 0, exit.screen);
    assert.match(exit.screen, /Showing the logs of pod caelundas-20260111-000000-\w+ \(Job complete\)/);
    assert.match(exit.screen, /kube-sim: job finished/);
  });

  it('reports no gaps in the simulated API', () => {
    bed.sim.assertNoGaps();
  });
});

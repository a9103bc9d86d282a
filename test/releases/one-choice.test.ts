/**
 * Scripts need no picker when there is one choice: `logs` and `copy` without --release, off a terminal (CI=true, pipes),
 * take the only release they can use and say which; with several they exit 2 listing them. And once the Job is gone,
 * `logs` shows the whole log deploy saved beside the run's record.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/cli.ts';
import { createReleasesBed, deployRun, installRun, NS, waitForJob, type ReleasesBed } from './bed.ts';

const LATER = 'caelundas-20990101-000000';

describe('logs and copy off a terminal, without --release', () => {
  let bed: ReleasesBed;
  let only: string;

  before(async () => {
    bed = await createReleasesBed();
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'succeed', logLines: ['computing', 'wrote calendar.ics'], files: { 'calendar.ics': 'x' } },
    );
    only = await deployRun(bed, { 'calendar.ics': 'x' });
  });
  after(async () => {
    await bed?.close();
  });

  it('logs uses the only run, saying which', async () => {
    const result = await bed.cli(['logs', 'caelundas']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.stderr,
      new RegExp(`^No --release given: using ${only}, the only release of caelundas to show the logs of\\.$`, 'm'),
    );
    assert.match(result.stdout, /computing\nwrote calendar\.ics/);
  });

  it('copy uses the only run, saying which (and, as it is copied already, says so until --force)', async () => {
    const result = await bed.cli(['copy', 'caelundas']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stderr, new RegExp(`No --release given: using ${only}, the only release of caelundas to copy`));
    assert.match(result.stderr, /already in .* \(1 file, verified\)\. Pass --force to copy it again\./);
    const forced = await bed.cli(['copy', 'caelundas', '--force']);
    assert.equal(forced.code, 0, forced.output);
    assert.match(forced.stderr, new RegExp(`using ${only}`));
    assert.match(
      forced.output,
      new RegExp(`Copied 1 file of ${only} to .*files/ \\(verified, recorded in run\\.json\\)`),
    );
  });

  it('logs shows the log deploy saved once the Job and its pods are gone', async () => {
    const saved = path.join(bed.runDir(only), 'job.log');
    assert.match(await readFile(saved, 'utf8'), /^==> pod \S+ <==\ncomputing\nwrote calendar\.ics\n$/);
    // What ttlSecondsAfterFinished does a day after the run.
    await bed.kubectl(['delete', 'job', only, '--namespace', NS, '--wait=true']);
    const result = await bed.cli(['logs', 'caelundas', '--tail', '1']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stderr, new RegExp(`using ${only}`));
    assert.match(
      result.stderr,
      new RegExp(
        `The Job ${only} is gone; showing the log deploy saved while it followed it: ${path.relative(REPO_ROOT, saved).replace(/[.]/g, '\\.')} \\(last 1 line\\)\\.`,
      ),
    );
    assert.equal(result.stdout, 'wrote calendar.ics\n');
  });

  it('with several runs to choose from, exits 2 listing them, newest first, and changes nothing', async () => {
    await installRun(bed, LATER, { outcome: 'succeed', files: { 'calendar.ics': 'y' } });
    await waitForJob(bed, LATER, 'Complete');
    for (const [command, purpose] of [
      ['logs', 'show the logs of'],
      ['copy', 'copy the output of'],
    ] as const) {
      const result = await bed.cli([command, 'caelundas']);
      assert.equal(result.code, 2, result.output);
      assert.match(
        result.stderr,
        new RegExp(`the release to ${purpose}: pass --release NAME, one of: ${LATER}, ${only}`),
      );
      assert.doesNotMatch(result.stderr, /No --release given: using/);
    }
    assert.equal(bed.sim.get('v1', 'Pod', NS, `${LATER}-copy`), undefined, 'no helper pod was started');
  });
});

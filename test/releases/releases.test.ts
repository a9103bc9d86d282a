/**
 * `releases`, `logs` and `copy` on the test bed: the real helm and kubectl against the simulated cluster, with runs
 * in every state at once — copied, running, failed, Job deleted by its TTL, stuck in pending-install.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createReleasesBed,
  deployRun,
  installRun,
  markPending,
  NS,
  waitForBoundPvc,
  waitForJob,
  type ReleasesBed,
} from './bed.ts';

const RUNNING = 'caelundas-20260103-000000';
const FAILED = 'caelundas-20260102-000000';
const TTL_GONE = 'caelundas-20260101-000000';
const STUCK = 'caelundas-20260104-000000';

interface JsonRow {
  name: string;
  state: string;
  job: { state: string; reason?: string };
  commit: string | null;
  pvc: { name: string; size?: string; phase?: string } | null;
  volume: { reclaimPolicy?: string; linodeVolumeId?: string } | null;
  output: { copied: boolean; files?: number };
  stuck: { status: string; hint: string } | null;
}

describe('releases, logs and copy with runs in every state', () => {
  let bed: ReleasesBed;
  let copied: string;

  before(async () => {
    bed = await createReleasesBed();
    copied = await deployRun(bed);
    await installRun(bed, RUNNING, { outcome: 'never-finish', logLines: ['tick 1', 'tick 2'], logIntervalMs: 20 });
    await installRun(bed, FAILED, { outcome: 'fail', exitCode: 3, logLines: ['bad input: LATITUDE'] });
    await installRun(bed, TTL_GONE, { outcome: 'succeed', files: { 'calendar.ics': 'from a run whose Job is gone' } });
    await installRun(bed, STUCK, { outcome: 'succeed' });
    await Promise.all([
      waitForJob(bed, RUNNING, 'running'),
      waitForJob(bed, FAILED, 'Failed'),
      waitForJob(bed, TTL_GONE, 'Complete'),
      waitForBoundPvc(bed, TTL_GONE),
    ]);
    // What ttlSecondsAfterFinished does a day after the run: the Job and its pods go, the PVC stays.
    await bed.kubectl(['delete', 'job', TTL_GONE, '--namespace', NS, '--wait=true']);
    markPending(bed, STUCK, 'pending-install');
  });
  after(async () => {
    await bed?.close();
  });

  it('lists each run with its state, Job outcome, commit, age, PVC and whether the output was copied', async () => {
    const result = await bed.cli(['releases', 'caelundas']);
    assert.equal(result.code, 0, result.output);
    const lines = result.stdout.split('\n');
    assert.match(lines[0]!, /^RELEASE\s+STATE\s+JOB\s+COMMIT\s+AGE\s+PVC\s+OUTPUT$/);
    const line = (name: string) =>
      lines.find((candidate) => candidate.startsWith(name)) ?? assert.fail(`no line for ${name}:\n${result.stdout}`);
    assert.match(line(copied), /deployed\s+complete\s+[0-9a-f]{7}\s+\d+s\s+10Gi Bound\s+copied \(1 file, /);
    assert.match(line(RUNNING), /deployed\s+running\s+c0ffee0\s+\d+d\d*h?\s+10Gi Bound\s+not copied$/);
    // helm installs without waiting for the Job, so the release stays deployed while its Job fails.
    assert.match(line(FAILED), /deployed\s+failed\s+c0ffee0 /);
    assert.match(line(TTL_GONE), /deployed\s+gone\s+c0ffee0 .*10Gi Bound\s+not copied$/);
    assert.match(line(STUCK), /stuck \(pending-install\)/);
    assert.match(
      result.stdout,
      new RegExp(
        `${STUCK} is stuck \\(pending-install\\)\\. .*npx tsx tasks\\.ts uninstall caelundas --release ${STUCK} --recover --yes`,
      ),
    );
  });

  it('prints the same facts as JSON for scripts', async () => {
    const result = await bed.cli(['releases', 'caelundas', '--json']);
    assert.equal(result.code, 0, result.output);
    const rows = JSON.parse(result.stdout) as JsonRow[];
    assert.deepEqual(
      rows.map((row) => row.name),
      [TTL_GONE, FAILED, RUNNING, STUCK, copied],
    );
    const byName = new Map(rows.map((row) => [row.name, row]));
    assert.deepEqual(byName.get(FAILED)!.job, { state: 'failed', reason: 'BackoffLimitExceeded' });
    assert.equal(byName.get(TTL_GONE)!.job.state, 'gone');
    assert.equal(byName.get(RUNNING)!.commit, 'c0ffee0123456789c0ffee0123456789c0ffee01');
    assert.deepEqual(byName.get(copied)!.output.copied, true);
    assert.equal(byName.get(copied)!.volume?.reclaimPolicy, 'Retain');
    assert.match(byName.get(copied)!.volume!.linodeVolumeId!, /^\d+$/);
    assert.equal(byName.get(STUCK)!.stuck?.status, 'pending-install');
  });

  it('shows the log of a finished run once, and the last lines with --tail', async () => {
    const result = await bed.cli(['logs', 'caelundas', '--release', FAILED, '--tail', '1']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout.trim(), 'bad input: LATITUDE');
    assert.match(result.stderr, /Showing the logs of pod caelundas-20260102-000000-\w+ \(Job failed\), last 1 line\./);
  });

  it('follows the log of a running run until it is stopped', async () => {
    const { startCli } = await import('../support/cli.ts');
    const { VALID_INPUTS } = await import('../support/deploy-bed.ts');
    const { child, result } = startCli(['logs', 'caelundas', '--release', RUNNING], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 30_000,
    });
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('tick 2')) resolve();
      });
    });
    child.kill('SIGINT');
    const ended = await result;
    assert.equal(ended.code, 130, ended.output);
    assert.match(ended.stderr, /Following the logs of pod .* \(Job running\); Ctrl-C stops following\./);
  });

  it('says the logs of a run whose Job its TTL deleted are gone, and where the output still is', async () => {
    const result = await bed.cli(['logs', 'caelundas', '--release', TTL_GONE]);
    assert.equal(result.code, 1, result.output);
    assert.match(result.stderr, /The Job caelundas-20260101-000000 is gone .*logs went with its pods/);
    assert.match(result.stderr, /npx tsx tasks\.ts copy caelundas --release caelundas-20260101-000000/);
  });

  it('off a terminal without --release exits 2 listing the releases to choose from', async () => {
    const result = await bed.cli(['logs', 'caelundas']);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.stderr,
      new RegExp(
        `the release to show the logs of: pass --release NAME, one of: ${copied}, ${STUCK}, ${RUNNING}, ${FAILED}, ${TTL_GONE}`,
      ),
    );
  });

  it('copies the output of a run whose Job is gone through the helper pod, verified, and records it', async () => {
    const result = await bed.cli(['copy', 'caelundas', '--release', TTL_GONE]);
    assert.equal(result.code, 0, result.output);
    const dir = bed.runDir(TTL_GONE);
    assert.equal(await readFile(path.join(dir, 'files', 'calendar.ics'), 'utf8'), 'from a run whose Job is gone');
    const record = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as {
      copy: { verified: boolean; files: { path: string }[] };
      commit: string;
      outcome: string;
      failure?: string;
    };
    assert.equal(record.copy.verified, true);
    assert.deepEqual(
      record.copy.files.map((file) => file.path),
      ['calendar.ics'],
    );
    assert.equal(record.commit, 'c0ffee0123456789c0ffee0123456789c0ffee01');
    assert.equal(record.outcome, 'error');
    assert.match(record.failure!, /Job was gone/);
    // The helper is deleted without waiting; it goes after its (simulated) grace period.
    await bed.sim.waitFor((sim) => !sim.get('v1', 'Pod', NS, `${TTL_GONE}-copy`), {
      timeoutMs: 5_000,
      description: 'the helper pod is gone',
    });
    const listed = await bed.cli(['releases', 'caelundas']);
    assert.match(listed.stdout, new RegExp(`${TTL_GONE} .*copied \\(1 file`));
  });

  it('skips a run that is already copied unless --force, and keeps what deploy recorded', async () => {
    const before = (await bed.record(copied)) as { image: { reference: string }; valuesFiles: string[] };
    const skipped = await bed.cli(['copy', 'caelundas', '--release', copied]);
    assert.equal(skipped.code, 0, skipped.output);
    assert.match(skipped.stderr, /already in .* \(1 file, verified\)\. Pass --force to copy it again\./);
    assert.doesNotMatch(skipped.output, /helper pod/);
    const forced = await bed.cli(['copy', 'caelundas', '--release', copied, '--force']);
    assert.equal(forced.code, 0, forced.output);
    const after = (await bed.record(copied)) as {
      image: { reference: string };
      valuesFiles: string[];
      outcome: string;
    };
    assert.equal(after.image.reference, before.image.reference);
    assert.deepEqual(after.valuesFiles, before.valuesFiles);
    assert.equal(after.outcome, 'complete');
  });

  it('refuses to copy a run that is still running, and says how to follow it', async () => {
    const result = await bed.cli(['copy', 'caelundas', '--release', RUNNING]);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.stderr,
      /its Job is still running.*npx tsx tasks\.ts logs caelundas --release caelundas-20260103-000000/,
    );
  });

  it('reports no gaps in the simulated API', () => {
    bed.sim.assertNoGaps();
  });
});

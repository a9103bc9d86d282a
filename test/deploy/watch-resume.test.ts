/**
 * Watches survive the API, end to end on the test bed (the real helm and kubectl against the simulated cluster):
 * a deploy whose watches the API ends mid-run — as real API servers do after 30–60 minutes — or whose history was
 * compacted meanwhile (410 Gone: list again) still finishes, follows the logs and copies the output; an outage that
 * lasts fails as a network error naming the commands that resume, deleting nothing, even with --cleanup.
 *
 * Every drop is placed by the test at a known point (the Job's pod is running and streaming; its container ends
 * only when the test says), never by time.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChildProcess } from 'node:child_process';
import type { OpenWatch } from '../../kube-sim/index.ts';
import { startCli, type CliResult } from '../support/cli.ts';
import { createDeployBed, RUN_NAME, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';

const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0';
/** The Job's two watches: the Job itself and its pods. */
const jobWatches = (watch: OpenWatch) =>
  watch.namespace === 'caelundas' && (watch.resource === 'jobs' || watch.resource === 'pods');

function startDeploy(bed: DeployBed, extra: readonly string[] = []) {
  return startCli(['deploy', 'caelundas', '--image', IMAGE, ...extra], {
    env: { ...bed.env, ...VALID_INPUTS, DECKHAND_WATCH_RETRY: '3,0s' },
    timeoutMs: 120_000,
  });
}

/** Resolves once the deploy printed `text`; fails the test if the deploy ended first. */
function printed(child: ChildProcess, result: Promise<CliResult>, text: string): Promise<void> {
  let seen = '';
  return Promise.race([
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes(text)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
    }),
    result.then((early) => assert.fail(`the deploy ended before it printed "${text}":\n${early.output}`)),
  ]);
}

function releaseOf(result: CliResult): string {
  const match = new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output);
  assert.ok(match, `no release was installed:\n${result.output}`);
  return match[1]!;
}

describe('a deploy whose watches the API drops', () => {
  let bed: DeployBed;

  before(async () => {
    bed = await createDeployBed();
  });
  after(async () => {
    await bed.close();
  });

  /** A Job that streams a line every 50 ms and runs until the test ends it. */
  const runForever = () =>
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      {
        outcome: 'never-finish',
        logLines: ['working'],
        logIntervalMs: 50,
        files: { 'calendar.ics': 'BEGIN:VCALENDAR' },
      },
    );

  /** Waits until the release is installed, the Job's pod streams and both of its watches are open. */
  const running = async (child: ChildProcess, result: Promise<CliResult>) => {
    // helm's install has returned too: the drop meets only the Job's watches, never the install.
    await Promise.all([printed(child, result, 'Installed release'), printed(child, result, '│ working')]);
    await bed.sim.waitFor((sim) => sim.openWatches().filter(jobWatches).length === 2, {
      description: 'the watches on the Job and its pods are open',
    });
  };

  it('watches again from where it was, then follows the Job to its end and copies its output', async () => {
    runForever();
    const { child, result } = startDeploy(bed);
    await running(child, result);
    assert.equal(bed.sim.closeWatches(jobWatches), 2);
    // Both come back, resumed from the resourceVersion each saw last (no second list).
    await bed.sim.waitFor(
      (sim) =>
        sim.openWatches().filter((watch) => jobWatches(watch) && watch.resourceVersion !== undefined).length === 2,
      { description: 'the watches are open again' },
    );
    assert.equal(bed.sim.finishJobPods({ namePrefix: 'caelundas-' }), 1);
    const ended = await result;
    assert.equal(ended.code, 0, ended.output);
    const release = releaseOf(ended);
    assert.match(ended.output, /API connection dropped; watching job again \(attempt 2 of 3\)/);
    assert.match(ended.output, new RegExp(`Job ${release} completed`));
    // Resumed, not listed again: one list (kubectl's first), two watches of the Job.
    const jobRequests = bed.sim.requests.filter((request) =>
      request.path.startsWith(`/apis/batch/v1/namespaces/caelundas/jobs?fieldSelector=metadata.name%3D${release}`),
    );
    assert.equal(jobRequests.filter((request) => !request.path.includes('watch=true')).length, 1);
    assert.equal(jobRequests.filter((request) => request.path.includes('watch=true')).length, 2);
    const record = await bed.record(release);
    assert.equal(record.outcome, 'complete');
    assert.equal(record.copy.verified, true);
    assert.equal(await readFile(path.join(bed.runDir(release), 'files', 'calendar.ics'), 'utf8'), 'BEGIN:VCALENDAR');
    assert.match(await readFile(path.join(bed.runDir(release), 'job.log'), 'utf8'), /working/);
  });

  it('lists again when the history it would resume from was compacted (410 Gone), and still finishes', async () => {
    runForever();
    const { child, result } = startDeploy(bed);
    await running(child, result);
    // A change after the last one the watches saw, then compaction: neither can resume from what it saw.
    bed.sim.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: 'default' } });
    bed.sim.compactHistory();
    assert.equal(bed.sim.closeWatches(jobWatches), 2);
    await bed.sim.waitFor((sim) => sim.openWatches().filter(jobWatches).length === 2, {
      description: 'the watches are open again after a fresh list',
    });
    assert.equal(bed.sim.finishJobPods({ namePrefix: 'caelundas-' }), 1);
    const ended = await result;
    assert.equal(ended.code, 0, ended.output);
    const release = releaseOf(ended);
    assert.match(ended.output, /The API's history no longer reaches back to what the watch on job saw; listing again/);
    const record = await bed.record(release);
    assert.equal(record.outcome, 'complete');
    assert.equal(record.copy.verified, true);
  });

  it('follows the log again after an outage cut it, and keeps every line once, in order', async () => {
    const lines = Array.from({ length: 40 }, (_, index) => `line ${index + 1}`);
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'never-finish', logLines: lines, logIntervalMs: 20, files: { 'calendar.ics': 'BEGIN:VCALENDAR' } },
    );
    const { child, result } = startDeploy(bed);
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk.toString());
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    await Promise.all([printed(child, result, 'Installed release'), printed(child, result, '│ line 3')]);
    // The container goes on printing while the API is away; the cut stream must pick up where it was.
    bed.sim.goOffline();
    await bed.sim.goOnline();
    await bed.sim.waitFor(() => output.includes('│ line 40'), { description: 'the last line arrived' });
    assert.equal(bed.sim.finishJobPods({ namePrefix: 'caelundas-' }), 1);
    const ended = await result;
    assert.equal(ended.code, 0, ended.output);
    const release = releaseOf(ended);
    assert.match(ended.output, /API connection dropped; following the log of pod \S+ again \(attempt 2 of 3\)/);
    const saved = (await readFile(path.join(bed.runDir(release), 'job.log'), 'utf8'))
      .split('\n')
      .filter((line) => /^line \d+$/.test(line));
    assert.deepEqual(saved, lines);
  });

  it('fails as a network error naming logs and copy when the API stays away, and deletes nothing', async () => {
    runForever();
    const { child, result } = startDeploy(bed, ['--cleanup']);
    await running(child, result);
    bed.sim.goOffline();
    let ended: CliResult;
    try {
      ended = await result;
    } finally {
      await bed.sim.goOnline();
    }
    assert.equal(ended.code, 1, ended.output);
    const release = releaseOf(ended);
    assert.match(
      ended.stderr,
      new RegExp(
        `Lost the connection to the cluster's API while watching Job ${release} \\(3 attempts in a row failed\\): The connection to the server 127\\.0\\.0\\.1:\\d+ was refused`,
      ),
    );
    assert.match(ended.stderr, /The run goes on in the cluster/);
    assert.ok(ended.stderr.includes(`npx tsx tasks.ts logs caelundas --release ${release}`), ended.stderr);
    assert.ok(ended.stderr.includes(`npx tsx tasks.ts copy caelundas --release ${release}`), ended.stderr);
    assert.doesNotMatch(ended.output, /permission|must contain tar|ended unexpectedly/i);
    // --cleanup did not run: the Job, its release and its PVC are all there, and the Job still runs.
    assert.ok(bed.sim.get('batch/v1', 'Job', 'caelundas', release), 'the Job is kept');
    assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'caelundas', release), 'the PVC is kept');
    const record = await bed.record(release);
    assert.equal(record.outcome, 'error');
    assert.match(record.failure, /lost the connection to the cluster's API/);
    assert.equal(bed.sim.finishJobPods({ namePrefix: 'caelundas-' }), 1, 'the Job was still running');
  });
});

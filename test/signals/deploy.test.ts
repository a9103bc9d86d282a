/**
 * Ctrl-C and a closed pipe during `deploy`, through the documented launcher (the tsx CLI, see test/cli/launcher.ts)
 * against the simulated cluster with the real helm and kubectl. At every step one Ctrl-C must end the run the same
 * way: "Interrupted", cleanup done (no helper pod left), the run recorded in run.json with the next steps once the
 * release exists, exit 130 — never "quitting without waiting for cleanup", which is what a relayed copy of the signal
 * used to cause. A gate (gate.ts) holds the command of the step under test, so the signal lands in that step.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { launch as launchCli, type Launched, type LaunchResult } from '../cli/launcher.ts';
import { createDeployBed, SIM_CLUSTER, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { installGate, type Gate } from './gate.ts';

const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0';

describe('deploy interrupted through the launcher', { concurrency: false }, () => {
  let bed: DeployBed;
  let gate: Gate;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    bed = await createDeployBed();
    gate = installGate(bed.dir, { helm: bed.sandbox.bin.helm, kubectl: bed.sandbox.bin.kubectl });
    env = {
      ...bed.env,
      ...VALID_INPUTS,
      PATH: `${gate.binDir}${path.delimiter}${bed.env.PATH}`,
      // deckhand puts <state root>/.deckhand/bin first on its programs' PATH: the project's own (after `tools
      // install`) would run the real helm and kubectl in front of the gate.
      DECKHAND_STATE_ROOT: bed.dir,
    };
  });
  after(() => bed.close());

  // A failed assertion must not leave a deploy running into the next test.
  const running = new Set<Launched>();
  const launch = (...args: Parameters<typeof launchCli>) => {
    const run = launchCli(...args);
    running.add(run);
    void run.result.finally(() => running.delete(run)).catch(() => undefined);
    return run;
  };
  afterEach(async () => {
    for (const run of running) {
      run.kill();
      await run.result.catch(() => undefined);
    }
  });

  /** The releases deckhand has records for (output/<cluster>/<namespace>/<release>/run.json), newest last. */
  const recorded = () => {
    const runs = path.join(bed.outputDir, SIM_CLUSTER, 'caelundas');
    return existsSync(runs) ? readdirSync(runs).sort() : [];
  };
  /** The runs' own inputs Secrets: none may outlive a run that never got its release. */
  const inputsSecrets = () =>
    bed.sim
      .list('v1', 'Secret', 'caelundas')
      .map((secret) => secret.metadata.name!)
      .filter((name) => name.endsWith('-inputs'));
  const helperPods = () =>
    bed.sim
      .list('v1', 'Pod', 'caelundas')
      .filter((pod) => pod.metadata.name?.endsWith('-copy') && !pod.metadata.deletionTimestamp);

  function assertInterrupted(result: LaunchResult): void {
    assert.equal(result.code, 130, result.output);
    assert.match(result.stderr, /Received SIGINT: stopping and cleaning up/);
    assert.match(result.stderr, /^✖ Interrupted by SIGINT\.$/m);
    assert.doesNotMatch(result.output, /quitting without waiting for cleanup/);
    assert.doesNotMatch(result.output, /^\s+at /m, 'no stack trace');
  }

  /** The one run record this run wrote: `interrupted` while the Job ran, else the Job's own outcome. */
  function assertRecorded(
    result: LaunchResult,
    before: string[],
    outcome = 'interrupted',
  ): { release: string; record: Record<string, any> } {
    const added = recorded().filter((name) => !before.includes(name));
    assert.equal(added.length, 1, `one new run record: ${added.join(', ')}`);
    const release = added[0]!;
    const record = JSON.parse(readFileSync(path.join(bed.runDir(release), 'run.json'), 'utf8'));
    assert.equal(record.outcome, outcome);
    assert.match(result.stderr, new RegExp(`Run record: .*${release}/run\\.json`));
    return { release, record };
  }

  for (const step of [
    { name: 'checking the prerequisites', gate: 'helm version*' },
    // A missing namespace is created with one POST, as the run's inputs Secret is.
    { name: 'preparing the namespace', gate: 'kubectl create --raw /api/v1/namespaces[?]*' },
    { name: "creating the run's inputs Secret", gate: 'kubectl create --raw /api/v1/namespaces/*/secrets*' },
    { name: 'installing the release', gate: 'helm install *' },
  ]) {
    it(`while ${step.name}: Interrupted, exit 130, nothing installed, nothing to record, no inputs left`, async () => {
      const before = recorded();
      const secretsBefore = inputsSecrets();
      const run = launch(['deploy', 'caelundas', '--image', IMAGE], { env: { ...env, ...gate.env(step.gate) } });
      await gate.reached();
      run.pressCtrlC();
      const result = await run.result;
      assertInterrupted(result);
      assert.deepEqual(recorded(), before, 'no release, so no run record');
      assert.deepEqual(
        bed.sim.list('batch/v1', 'Job', 'caelundas').filter((job) => !before.includes(job.metadata.name!)),
        [],
        'no Job was created',
      );
      assert.deepEqual(inputsSecrets(), secretsBefore, "the run's inputs Secret went with it");
    });
  }

  it('while helm install runs, once helm has stored the release: run.json "interrupted", the next steps, the inputs kept', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'never-finish' });
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], {
      env: { ...env, ...gate.envAfter('helm install *') },
    });
    await gate.reached();
    run.pressCtrlC();
    const result = await run.result;
    assertInterrupted(result);
    const { release } = assertRecorded(result, before);
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts uninstall caelundas --release ${release}`));
    assert.ok(inputsSecrets().includes(`${release}-inputs`), 'the release still reads its inputs Secret');
    assert.deepEqual(helperPods(), []);
  });

  it('while watching a Job whose pod has no node yet: run.json "interrupted", the next steps, exit 130', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'unschedulable' });
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], { env });
    await run.waitForOutput(/Not scheduled yet: 0\/3 nodes are available/);
    run.pressCtrlC();
    const result = await run.result;
    assertInterrupted(result);
    const { release } = assertRecorded(result, before);
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts uninstall caelundas --release ${release}`));
    assert.deepEqual(helperPods(), []);
  });

  it('while following the Job: cleanup, run.json "interrupted", the next steps, exit 130', async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'never-finish', logLines: ['still working'], logIntervalMs: 100 },
    );
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], { env });
    await run.waitForOutput(/still working/);
    run.pressCtrlC();
    const result = await run.result;
    assertInterrupted(result);
    const { release } = assertRecorded(result, before);
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts logs caelundas --release ${release}`));
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts copy caelundas --release ${release}`));
    assert.deepEqual(helperPods(), []);
    await bed.sim.waitFor((sim) => sim.openStreams() === 0, {
      timeoutMs: 10_000,
      description: 'watches and log streams closed',
    });

    // `logs` following the same run: one Ctrl-C stops the stream, plainly, with exit 130.
    const logs = launch(['logs', 'caelundas', '--release', release], { env });
    await logs.waitForOutput(/still working/);
    logs.pressCtrlC();
    const followed = await logs.result;
    assertInterrupted(followed);
    await bed.sim.waitFor((sim) => sim.openStreams() === 0, {
      timeoutMs: 10_000,
      description: 'the log stream closed',
    });
  });

  it('at the first moment of the copy: the helper pod is deleted, run.json and the next steps are written, exit 130', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'done' } });
    const before = recorded();
    // The watch for the helper pod is held, so deckhand waits for the pod to start until Ctrl-C comes.
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], {
      env: { ...env, ...gate.env('kubectl get pod *-copy *--watch*') },
    });
    await gate.reached();
    await bed.sim.waitFor((sim) => helperPods().length === 1 || undefined, {
      timeoutMs: 30_000,
      description: 'the helper pod is created',
    });
    run.pressCtrlC();
    const result = await run.result;
    assertInterrupted(result);
    const { release, record } = assertRecorded(result, before, 'complete');
    assert.equal(record.copy.verified, false);
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts copy caelundas --release ${release}`));
    await bed.sim.waitFor(
      (sim) => sim.list('v1', 'Pod', 'caelundas').every((pod) => !pod.metadata.name?.endsWith('-copy')),
      {
        timeoutMs: 10_000,
        description: 'the helper pod is gone',
      },
    );
    assert.ok(!existsSync(path.join(bed.runDir(release), 'files')), 'nothing half-copied is left');
  });

  it('while cleaning up after a verified copy: the run record keeps the copy, and the next steps name what is left', async () => {
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'calendar.ics': 'done' } });
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE, '--cleanup'], {
      env: { ...env, ...gate.env('helm uninstall *') },
    });
    await gate.reached();
    run.pressCtrlC();
    const result = await run.result;
    assertInterrupted(result);
    // The Job's outcome stays what it was; the copy is recorded as verified, and the release is still there.
    const { release, record } = assertRecorded(result, before, 'complete');
    assert.equal(record.copy.verified, true);
    assert.equal(readFileSync(path.join(bed.runDir(release), 'files', 'calendar.ics'), 'utf8'), 'done');
    assert.match(result.stderr, new RegExp(`npx tsx tasks\\.ts uninstall caelundas --release ${release}`));
  });

  it('on SIGTERM to the launcher alone (tsx relays it): the same clean stop', async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'never-finish', logLines: ['still working'], logIntervalMs: 100 },
    );
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], { env });
    await run.waitForOutput(/still working/);
    run.signalLauncher('SIGTERM');
    const result = await run.result;
    assert.equal(result.code, 130, result.output);
    assert.match(result.stderr, /^✖ Interrupted by SIGTERM\.$/m);
    assertRecorded(result, before);
    assert.deepEqual(helperPods(), []);
  });

  it('when the reader of its output quits (`| head -3`): stops like Ctrl-C, records the run, no EPIPE stack trace', async () => {
    // The Job keeps logging, so deckhand keeps writing: a closed pipe shows itself at the next write.
    const lines = Array.from({ length: 600 }, (_, index) => `progress ${index + 1}`);
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'never-finish', logLines: lines, logIntervalMs: 100 },
    );
    const before = recorded();
    const run = launch(['deploy', 'caelundas', '--image', IMAGE], { env });
    await run.waitForOutput(/progress 3\b/);
    run.closeStdout();
    const result = await run.result;
    assert.equal(result.code, 130, result.stderr);
    assert.match(
      result.stderr,
      /The output was closed \(EPIPE: the program reading it has quit\): stopping and cleaning up/,
    );
    assert.match(result.stderr, /^✖ Interrupted: the output was closed \(EPIPE\)\.$/m);
    assert.doesNotMatch(result.stderr, /write EPIPE|^\s+at /m);
    const { release } = assertRecorded(result, before);
    assert.match(
      result.stderr,
      new RegExp(`npx tsx tasks\\.ts logs caelundas --release ${release}`),
      'next steps on stderr',
    );
    assert.deepEqual(helperPods(), []);
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed' });
  });
});

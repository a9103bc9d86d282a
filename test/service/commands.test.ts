/**
 * The service commands on the test bed, after two roll-outs of wpp-bot: `status` (text and JSON), `rollback` (off a
 * terminal with --to-revision and --yes, and through the picker on a real pseudo-terminal), `restart` and `logs`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KEYS, startCliInPty } from '../support/pty.ts';
import { createServiceBed, DIGEST_A, DIGEST_C, givenImages, imageOf, NS, type ServiceBed } from './bed.ts';

const FIRST = `registry.example:5000/tests/wpp-bot:sha-1111111@${DIGEST_A}`;
const SECOND = `registry.example:5000/tests/wpp-bot:sha-2222222@${DIGEST_C}`;

describe('status, rollback, restart and logs of a service', () => {
  let bed: ServiceBed;
  let terminalEnv: NodeJS.ProcessEnv;

  before(async () => {
    bed = await createServiceBed();
    bed.sim.setDeploymentBehavior(
      { namespace: NS, name: 'dashboard' },
      { logLines: ['dashboard listening on :3000', 'GET /health/ready 200'] },
    );
    for (const images of [givenImages('sha-1111111'), givenImages('sha-2222222', DIGEST_C)]) {
      const result = await bed.deploy(images);
      assert.equal(result.code, 0, result.output);
    }
    // A person at a terminal: no CI variable, so prompts are allowed.
    terminalEnv = { ...bed.serviceEnv };
    delete terminalEnv.CI;
  });
  after(async () => {
    await bed.close();
    bed.sim.assertNoGaps();
  });

  it('status shows each Deployment with its pods ready, revision, commit and image digest, the pods and the hosts', async () => {
    const text = await bed.cli(['status', 'wpp-bot']);
    assert.equal(text.code, 0, text.output);
    assert.match(text.stdout, /^DEPLOYMENT +READY +STATE +REVISION +COMMIT +SINCE +IMAGE$/m);
    assert.match(text.stdout, /^postgres +1\/1 +available +1 +[0-9a-f]{7} +\S+ +postgres:17\.6-bookworm$/m);
    assert.match(text.stdout, /^wpp-bot +1\/1 +available +2 +2222222 +\S+ +wpp-bot@sha256:cccccccccccc$/m);
    assert.match(text.stdout, /^dashboard +1\/1 +available +2 +2222222 /m);
    assert.match(text.stdout, /^wpp-bot-\S+ +wpp-bot +Running +yes +0 +\S+$/m);
    assert.match(text.stdout, /^Ingress wpp-bot: https:\/\/api\.example\.com, https:\/\/dashboard\.example\.com$/m);

    const json = await bed.cli(['status', 'wpp-bot', '--json']);
    assert.equal(json.code, 0, json.output);
    const report = JSON.parse(json.stdout) as {
      deployments: { name: string; revision: number; digest?: string; commit?: string; state: string }[];
      pods: { deployment: string; restarts: number; state: string }[];
    };
    const wppBot = report.deployments.find((deployment) => deployment.name === 'wpp-bot')!;
    assert.deepEqual(
      [wppBot.revision, wppBot.digest, wppBot.commit, wppBot.state],
      [2, DIGEST_C, '2222222', 'available'],
    );
    // A pod of the revision before may still be stopping for a moment; the running ones are one per Deployment.
    const running = report.pods.filter((pod) => pod.state !== 'Terminating');
    assert.deepEqual(running.map((pod) => [pod.deployment, pod.restarts]).sort(), [
      ['dashboard', 0],
      ['postgres', 0],
      ['wpp-bot', 0],
    ]);
  });

  it('rollback off a terminal needs --to-revision and --yes (exit 2), then goes back and says so', async () => {
    const noRevision = await bed.cli(['rollback', 'wpp-bot']);
    assert.equal(noRevision.code, 2, noRevision.output);
    assert.match(
      noRevision.stderr,
      /pass --to-revision N \(and --deployment NAME; revisions of wpp-bot: 2 \(running\), 1\)/,
    );
    const noYes = await bed.cli(['rollback', 'wpp-bot', '--to-revision', '1']);
    assert.equal(noYes.code, 2, noYes.output);
    assert.match(noYes.stderr, /pass --yes to roll back without being asked/);
    const unknown = await bed.cli(['rollback', 'wpp-bot', '--to-revision', '7', '--yes']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /Deployment wpp-bot has no revision 7 in namespace wpp-bot\.\n→ Its revisions: 2 \(running\), 1\./,
    );
    assert.equal(imageOf(bed, 'wpp-bot'), SECOND, 'nothing changed');

    const result = await bed.cli(['rollback', 'wpp-bot', '--to-revision', '1', '--yes']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      /Rolled wpp-bot back to revision 1 \(now revision 3\), image registry\.example:5000\/tests\/wpp-bot:sha-1111111@sha256:a{64}/,
    );
    assert.equal(imageOf(bed, 'wpp-bot'), FIRST);
    assert.match(
      bed.revisions('wpp-bot').at(-1)![2],
      /^deckhand rollback of commit 1111111 by \S+ at \S+: wpp-bot@sha256:aaaaaaaaaaaa \(to revision 1, from 2\); rolled out$/,
    );
  });

  it('rollback on a terminal offers every revision with commit and age, asks, and rolls back the one picked', async () => {
    const dashboardBefore = bed.generations()['dashboard'];
    const session = startCliInPty(['rollback', 'wpp-bot'], { env: terminalEnv, watchdogMs: 60_000 });
    await session.waitFor(/Roll wpp-bot back to which revision\? \(newest first\)[\s\S]*⏎ select/);
    const picker = session.screen();
    assert.match(picker, /wpp-bot +revision 2 +2222222 +\S+ ago +wpp-bot@sha256:cccccccccccc/);
    assert.match(picker, /dashboard +revision 1 +1111111 +\S+ ago +wpp-bot-dashboard@sha256:bbbbbbbbbbbb/);
    assert.doesNotMatch(picker, /wpp-bot +revision 3 /, 'the running revision is not offered');
    session.type(KEYS.down); // from wpp-bot revision 2 to the dashboard's revision 1
    session.type(KEYS.enter);
    const confirmAt = session.screen().length;
    await session.waitFor(
      /Roll dashboard back from revision 2 \(commit 2222222, wpp-bot-dashboard@sha256:b{12}\) to revision 1 \(commit 1111111, wpp-bot-dashboard@sha256:b{12}\)\? \(y\/N\)/,
      { fromIndex: confirmAt },
    );
    session.type('y');
    session.type(KEYS.enter);
    const { exitCode, screen } = await session.exited;
    assert.equal(exitCode, 0, screen);
    assert.match(screen, /Rolled dashboard back to revision 1 \(now revision 3\)/);
    assert.equal(bed.generations()['dashboard'], dashboardBefore! + 1);
    assert.match(imageOf(bed, 'dashboard'), /:sha-1111111@/);
  });

  it('rollback off a terminal takes the only earlier revision, saying which, and still needs --yes', async () => {
    // After the roll-back above, the dashboard runs revision 3 and has one earlier one: 2 (commit 2222222).
    const using =
      /No --to-revision given: using revision 2 of dashboard \(commit 2222222, wpp-bot-dashboard@sha256:b{12}\), the only earlier revision to go back to\./;
    const unconfirmed = await bed.cli(['rollback', 'wpp-bot', '--deployment', 'dashboard']);
    assert.equal(unconfirmed.code, 2, unconfirmed.output);
    assert.match(unconfirmed.stderr, using);
    assert.match(unconfirmed.stderr, /pass --yes to roll back without being asked/);
    assert.match(imageOf(bed, 'dashboard'), /:sha-1111111@/, 'nothing changed');

    const result = await bed.cli(['rollback', 'wpp-bot', '--deployment', 'dashboard', '--yes']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stderr, using);
    assert.match(result.output, /Rolled dashboard back to revision 2 \(now revision 4\)/);
    assert.match(imageOf(bed, 'dashboard'), /:sha-2222222@/);

    // Without --deployment there are two to choose from (one per Deployment): exit 2, listing them.
    const several = await bed.cli(['rollback', 'wpp-bot', '--yes']);
    assert.equal(several.code, 2, several.output);
    assert.doesNotMatch(several.stderr, /No --to-revision given: using/);
    assert.match(several.stderr, /pass --to-revision N/);
  });

  it('restart restarts only the Deployment named, and records who did', async () => {
    const before = bed.generations();
    const result = await bed.cli(['restart', 'wpp-bot', '--deployment', 'dashboard']);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(bed.generations(), { ...before, dashboard: before['dashboard']! + 1 });
    assert.ok(bed.deployment('dashboard').spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']);
    assert.match(
      bed.revisions('dashboard').at(-1)![2],
      /^deckhand restart by \S+ at \S+: wpp-bot-dashboard@sha256:b{12}; rolled out$/,
    );
    const unknown = await bed.cli(['restart', 'wpp-bot', '--deployment', 'redis']);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /wpp-bot has no Deployment "redis"\.\n→ Its Deployments: wpp-bot, postgres, dashboard\./,
    );
  });

  it('restart without --deployment restarts Postgres first, then the rest', async () => {
    const before = bed.generations();
    const result = await bed.cli(['restart', 'wpp-bot']);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(
      bed.generations(),
      Object.fromEntries(Object.entries(before).map(([name, generation]) => [name, generation + 1])),
    );
    assert.ok(
      result.output.indexOf('Restarted postgres (revision 2)') < result.output.indexOf('Restart wpp-bot and dashboard'),
      result.output,
    );
  });

  it('logs shows a ready pod of the Deployment; --previous explains when there was no crash', async () => {
    const result = await bed.cli(['logs', 'wpp-bot', '--deployment', 'dashboard']);
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(result.stdout.split('\n').filter(Boolean).sort(), [
      'GET /health/ready 200',
      'dashboard listening on :3000',
    ]);
    assert.match(result.stderr, /Showing the log of pod dashboard-\S+ \(container dashboard\)\./);
    const previous = await bed.cli(['logs', 'wpp-bot', '--deployment', 'dashboard', '--previous']);
    assert.equal(previous.code, 1);
    assert.match(previous.stderr, /has not restarted: there is no previous run to show/);
  });

  it('logs --previous shows what a crashed container printed before it died', async () => {
    const crashing = `registry.example:5000/tests/wpp-bot:sha-bad0004@${DIGEST_C}`;
    bed.sim.setDeploymentBehavior(
      { namespace: NS, image: crashing },
      { outcome: 'crash-loop', exitCode: 2, logLines: ['wpp-bot did not start: JWT_SECRET is too short'] },
    );
    const deploy = await bed.deploy([
      '--image',
      crashing,
      '--image',
      `registry.example:5000/tests/wpp-bot-dashboard:sha-1111111@sha256:${'b'.repeat(64)}`,
      '--no-rollback',
    ]);
    assert.equal(deploy.code, 1, deploy.output);
    const result = await bed.cli(['logs', 'wpp-bot', '--previous']);
    assert.equal(result.code, 0, result.output);
    assert.equal(result.stdout, 'wpp-bot did not start: JWT_SECRET is too short\n');
    const status = await bed.cli(['status', 'wpp-bot']);
    assert.match(status.stdout, /^wpp-bot-\S+ +wpp-bot +(CrashLoopBackOff|Running|Error) +no +[1-9]\d* /m);
  });
});

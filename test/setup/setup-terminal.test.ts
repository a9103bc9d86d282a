/**
 * `setup` at a terminal (a real pseudo-terminal): the answers typed and chosen as a person does — a wrong token
 * first, refused by the loopback Linode API and never saved — the region and node type picked from the API's lists
 * with their prices, .env written 0600; Ctrl-C at the confirmation of `infra apply` stops it half-way (exit 130),
 * and the next run continues there. And a .env that git would commit never gets a secret.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesContaining } from '../support/addons-bed.ts';
import { KEYS, type PtySession } from '../support/pty.ts';
import { createSandbox } from '../support/sandbox.ts';
import { pushStandInTraefik } from '../support/stand-in-traefik.ts';
import { useRegistry, type Registry } from '../support/registry.ts';
import { BAD_TOKEN, DOMAIN, INPUTS, SETUP_ARGS, TOKEN, createSetupBed, type SetupBed } from './setup-bed.ts';

/** Answers the questions of the "Answer the questions" stage: DOMAIN, ACME_EMAIL, a wrong token, the right one. */
async function answer(session: PtySession): Promise<void> {
  await session.waitFor('Your domain, e.g. example.com');
  session.type(`${DOMAIN}${KEYS.enter}`);
  await session.waitFor("Email address for Let's Encrypt");
  session.type(`ops@${DOMAIN}${KEYS.enter}`);
  await session.waitFor('Linode API token');
  session.type(`${BAD_TOKEN}${KEYS.enter}`);
  await session.waitFor(/rejected the token \(401: Invalid Token\)\. It was not saved\. Try again:/);
  // Typed before the hidden prompt is up, the terminal itself would echo it: wait for the question first.
  const from = session.screen().lastIndexOf('Try again:');
  await session.waitFor('? Linode API token', { fromIndex: from });
  session.type(`${TOKEN}${KEYS.enter}`);
  await session.waitFor('The token works (user deckhand-tester, scopes *)', { fromIndex: from });
  await session.waitFor('Region of the cluster');
  assert.match(session.screen(), /us-ord +Chicago, IL/);
  assert.doesNotMatch(session.screen(), /us-rno-1/, 'a region without Kubernetes is not offered');
  session.type(`${KEYS.down}${KEYS.down}${KEYS.enter}`);
  await session.waitFor('Node type (price per node in us-ord)');
  assert.match(session.screen(), /g6-standard-2 +2 vCPU, 4 GB RAM +\$24\.00\/month per node/);
  assert.doesNotMatch(session.screen(), /g6-nanode-1/, 'LKE does not run Nanodes');
  session.type(`${KEYS.down}${KEYS.enter}`);
}

describe('setup at a terminal', { concurrency: 2 }, () => {
  let registry: Registry | undefined;
  let skip: string | undefined;
  let chart = '';
  before(async () => {
    const used = await useRegistry();
    if ('skip' in used) skip = used.skip;
    else {
      registry = used;
      const sandbox = await createSandbox();
      try {
        chart = await pushStandInTraefik(sandbox.bin.helm, registry.host, sandbox.dir, sandbox.env);
      } finally {
        await sandbox.cleanup();
      }
    }
  });
  after(() => registry?.stop());

  it('asks, checks the token before saving it, writes .env 0600; stopped by Ctrl-C, the next run continues there', async (t) => {
    if (!registry) return t.skip(skip);
    const bed: SetupBed = await createSetupBed({ traefikChart: chart });
    try {
      const session = bed.pty([...SETUP_ARGS]);
      await answer(session);
      await session.waitFor('Apply exactly these changes?');
      assert.match(
        session.screen(),
        /1–3 × g6-standard-2 at \$24\.00/,
        'the cost estimate is shown before the question',
      );
      session.type(KEYS.ctrlC);
      const stopped = await session.exited;
      assert.equal(stopped.exitCode, 130, stopped.screen);
      assert.match(
        stopped.screen,
        /Interrupted at 4\/9 Create the cluster \(infra apply\)\. Run `npx tsx tasks\.ts setup` again/,
      );
      assert.ok(!stopped.screen.includes(TOKEN) && !stopped.screen.includes(BAD_TOKEN), 'a token was shown');

      const envFile = path.join(bed.envDir, '.env');
      assert.equal(statSync(envFile).mode & 0o777, 0o600);
      const env = readFileSync(envFile, 'utf8');
      assert.match(env, new RegExp(`^LINODE_TOKEN=${TOKEN}$`, 'm'));
      assert.match(env, /^DOMAIN=example\.test$/m);
      assert.match(env, /^ACME_EMAIL=ops@example\.test$/m);
      assert.match(env, /^# deckhand configuration\. Copy to \.env/m, 'a new .env starts from the documented template');
      assert.deepEqual(await filesContaining(bed.dir, BAD_TOKEN), [], 'the refused token was saved somewhere');
      assert.match(
        readFileSync(path.join(bed.terraformDir, 'terraform.tfvars'), 'utf8'),
        /^region = "us-ord"\nnode_type = "g6-standard-2"$/m,
      );
      assert.ok(!bed.terraformCalls().some((call) => call.argv[0] === 'apply'), 'nothing was applied');

      bed.sim.setJobBehavior(
        { namePrefix: 'caelundas-' },
        { outcome: 'succeed', files: { 'calendar.ics': 'BEGIN:VCALENDAR\r\n' } },
      );
      const resumed = await bed.cli([...SETUP_ARGS, '--yes'], { env: INPUTS });
      assert.equal(resumed.code, 0, resumed.output);
      assert.match(resumed.output, /✔ 2\/9 Install the tools: skipped, every tool is there/);
      assert.match(
        resumed.output,
        /✔ 3\/9 Answer the questions and save them: skipped, everything is answered \(the Linode token of deckhand-tester works\); region us-ord \(terraform\/terraform\.tfvars\)/,
      );
      assert.match(resumed.output, /── 4\/9 Create the cluster \(infra apply\)\n[\s\S]*Apply complete!/);
      assert.match(resumed.output, /caelundas run caelundas-\d{8}-\d{6} done\./);
      assert.ok(!resumed.output.includes(TOKEN), 'the token was printed');
    } finally {
      await bed.close();
    }
  });

  it('in one go: what is typed counts at once (the ingress gets the ACME_EMAIL typed minutes before), up to a finished run', async (t) => {
    if (!registry) return t.skip(skip);
    const bed = await createSetupBed({ traefikChart: chart });
    try {
      bed.sim.setJobBehavior(
        { namePrefix: 'caelundas-' },
        { outcome: 'succeed', files: { 'calendar.ics': 'BEGIN:VCALENDAR\r\n' } },
      );
      const session = bed.pty([...SETUP_ARGS], INPUTS);
      await answer(session);
      await session.waitFor('Apply exactly these changes?');
      session.type(`y${KEYS.enter}`);
      await session.waitFor('Run caelundas on the cluster now');
      session.type(KEYS.enter);
      const done = await session.exited;
      assert.equal(done.exitCode, 0, done.screen);
      assert.match(done.screen, /contact ops@example\.test/, 'the ingress used the typed ACME_EMAIL');
      assert.match(
        done.screen,
        /7\/9 Point DNS at the load balancer: skipped, api\.example\.test and dashboard\.example\.test resolve to 127\.0\.0\.1/,
      );
      assert.match(done.screen, /Setup is complete \(7 stages run, 2 already done\)/);
      assert.ok(!done.screen.includes(TOKEN), 'the token was shown');
    } finally {
      await bed.close();
    }
  });

  it('never writes a secret into a .env that git does not ignore (exit 2, nothing written)', async (t) => {
    if (!registry) return t.skip(skip);
    const bed = await createSetupBed({ traefikChart: chart, envInWorkTree: true });
    try {
      const session = bed.pty([...SETUP_ARGS]);
      await answer(session);
      const result = await session.exited;
      assert.equal(result.exitCode, 2, result.screen);
      assert.match(
        result.screen,
        /\.env is not ignored by git, so LINODE_TOKEN would be committed with it: nothing was written\./,
      );
      assert.match(result.screen, /Add the line "\.env" to the \.gitignore/);
      assert.ok(!existsSync(path.join(bed.envDir, '.env')), '.env was written');
      assert.ok(!existsSync(path.join(bed.terraformDir, 'terraform.tfvars')), 'terraform.tfvars was written');
      // (The stand-in terraform's own configuration in bin/ holds the token it expects: that folder is not looked at.)
      for (const folder of [bed.work, bed.terraformDir, bed.home, bed.outputDir])
        assert.deepEqual(await filesContaining(folder, TOKEN), [], `the token was written into ${folder}`);
    } finally {
      await bed.close();
    }
  });
});

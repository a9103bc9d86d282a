/**
 * `tasks.ts infra …` as users run it — off a terminal, like CI — against the stand-in terraform. The configuration
 * folder and deckhand's state live in temp folders (DECKHAND_TERRAFORM_DIR, DECKHAND_STATE_ROOT), so the project's
 * own terraform/ and .deckhand/ are never touched. The real terraform is kept off PATH.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startCli, type CliResult } from '../support/cli.ts';
import { installFakeTerraform, readTerraformCalls } from '../support/fake-terraform.ts';
import { tempDirs } from '../support/temp.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/terraform');
const TOKEN = 'cli-test-linode-token-5f2a9c0e7b1d4e6f8a3c';
const KUBECONFIG_B64 = Buffer.from(
  'apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: very-secret-cluster-token}}]\n',
).toString('base64');

const tempDir = tempDirs('infra-cli');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

function setUp(options: { applyDelayMs?: number } = {}) {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  const tfDir = path.join(root, 'terraform');
  mkdirSync(tfDir);
  writeFileSync(path.join(tfDir, 'main.tf'), '# the stand-in terraform does not read this\n');
  const outputs = fixture('outputs.json');
  (outputs.kubeconfig as { value: string }).value = KUBECONFIG_B64;
  const records = installFakeTerraform(bin, {
    expectToken: TOKEN,
    planJson: fixture('plan-create.json'),
    destroyPlanJson: fixture('plan-destroy.json'),
    outputs,
    applyDelayMs: options.applyDelayMs,
  });
  const env = {
    PATH: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: root,
    DECKHAND_TERRAFORM_DIR: tfDir,
    DECKHAND_STATE_ROOT: root,
  };
  return {
    root,
    tfDir,
    run: (args: string[], extraEnv: Record<string, string> = { LINODE_TOKEN: TOKEN }) =>
      runCli(args, { env: { ...env, ...extraEnv } }),
    start: (args: string[]) => startCli(args, { env: { ...env, LINODE_TOKEN: TOKEN } }),
    calls: () => readTerraformCalls(records),
  };
}

function assertNoToken(result: CliResult): void {
  assert.ok(!result.output.includes(TOKEN), 'the token was printed');
  assert.ok(!result.output.includes(KUBECONFIG_B64), 'the kubeconfig output was printed');
}

describe('tasks.ts infra', { concurrency: true }, () => {
  it('refuses before running anything: without a token, and apply or destroy without --yes off a terminal (exit 2)', async () => {
    const { run, calls } = setUp();
    const [noToken, apply, destroy] = await Promise.all([
      run(['infra', 'plan'], {}),
      run(['infra', 'apply']),
      run(['infra', 'destroy']),
    ]);
    assert.equal(noToken.code, 2, noToken.stderr);
    assert.match(noToken.stderr, /LINODE_TOKEN: set LINODE_TOKEN in \.env or the environment/);
    assert.equal(apply.code, 2, apply.stderr);
    assert.match(apply.stderr, /`infra apply` changes real infrastructure and needs a confirmation/);
    assert.match(apply.stderr, /infra apply --plan-file reviewed\.tfplan --yes/);
    assert.equal(destroy.code, 2, destroy.stderr);
    assert.match(destroy.stderr, /type the cluster label/);
    assert.deepEqual(calls(), [], 'terraform never ran');
  });

  it('plans into a private file, reviews it, applies exactly that file, shows the outputs and destroys on --yes', async () => {
    const { root, tfDir, run, calls } = setUp();
    const planFile = path.join(root, 'reviewed.tfplan');

    const plan = await run(['infra', 'plan', '--plan-file', planFile]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(
      plan.stderr,
      /Plan: 3 to add, 0 to change, 0 to destroy\.\n +\+ linode_lke_cluster\.this {2}\(create\)\n +\+ linode_volume\.data\[0\]/,
    );
    assert.match(plan.stderr, /Estimated monthly cost \(prices as of 2024-07, USD\/month/);
    assert.match(plan.stderr, /total: \$26\.00–\$74\.00 per month/);
    assert.match(plan.stderr, /infra apply --plan-file /);
    assert.equal(statSync(planFile).mode & 0o777, 0o600);

    const apply = await run(['infra', 'apply', '--plan-file', planFile, '--yes']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stderr, /│ Apply complete! Resources: 3 added/);
    assert.match(apply.stderr, /Next: npx tsx tasks\.ts kubeconfig/);
    assert.equal(existsSync(planFile), false, 'the applied plan is removed');

    const output = await run(['infra', 'output', '--json'], {});
    assert.equal(output.code, 0, output.stderr);
    const shown = JSON.parse(output.stdout) as Record<string, unknown>;
    assert.equal(shown.cluster_label, 'deckhand');
    assert.ok(!('kubeconfig' in shown));

    const destroy = await run(['infra', 'destroy', '--yes']);
    assert.equal(destroy.code, 0, destroy.stderr);
    assert.match(destroy.stderr, /Plan: 0 to add, 0 to change, 2 to destroy\./);
    assert.match(destroy.stderr, /Destroyed cluster "deckhand"\./);

    const defaultPlan = path.join(tfDir, 'deckhand.tfplan');
    const recorded = calls();
    assert.deepEqual(
      recorded.map((call) => call.argv),
      [
        ['init', '-input=false', '-no-color'],
        ['plan', '-input=false', '-no-color', '-out', planFile],
        ['show', '-json', '-no-color', planFile],
        // apply with an existing --plan-file reviews and applies that file: no new plan, no second init
        ['show', '-json', '-no-color', planFile],
        ['apply', '-input=false', '-no-color', planFile],
        ['output', '-json', '-no-color'],
        ['output', '-json', '-no-color'],
        ['plan', '-input=false', '-no-color', '-destroy', '-out', defaultPlan],
        ['show', '-json', '-no-color', defaultPlan],
        ['apply', '-input=false', '-no-color', defaultPlan],
      ],
    );
    for (const call of recorded) {
      assert.equal(call.cwd, tfDir);
      assert.deepEqual(call.automation, { TF_IN_AUTOMATION: '1', TF_INPUT: '0' });
      assert.ok(!call.argv.some((arg) => arg.includes(TOKEN)), 'the token is never on argv');
    }
    // Every call that needs the token gets it through the environment; `output` needs none.
    for (const call of recorded.filter((entry) => entry.argv[0] !== 'output')) {
      assert.ok(call.env.includes('TF_VAR_linode_token'));
      assert.equal(call.tokenMatches, true);
    }
    // …and only that way: deckhand's own LINODE_TOKEN (set in its environment here) never reaches terraform.
    for (const call of recorded)
      assert.deepEqual(
        call.env.filter((name) => name.startsWith('LINODE')),
        [],
        call.argv.join(' '),
      );
    for (const result of [plan, apply, output, destroy]) assertNoToken(result);
  });

  it('never overwrites a --plan-file that is not a terraform plan, and says so for a folder (exit 2, terraform never ran)', async () => {
    const { root, run, calls } = setUp();
    const notes = path.join(root, 'notes.txt');
    writeFileSync(notes, 'my notes\n', { mode: 0o644 });
    const folder = path.join(root, 'plans');
    mkdirSync(folder);
    const [overwrite, intoFolder, applyNotes] = await Promise.all([
      run(['infra', 'plan', '--plan-file', notes]),
      run(['infra', 'plan', '--plan-file', folder]),
      run(['infra', 'apply', '--plan-file', notes, '--yes']),
    ]);
    assert.equal(overwrite.code, 2, overwrite.stderr);
    assert.match(overwrite.stderr, /notes\.txt exists and is not a terraform plan: deckhand does not overwrite it\./);
    assert.equal(readFileSync(notes, 'utf8'), 'my notes\n', 'the file is untouched');
    assert.equal(statSync(notes).mode & 0o777, 0o644, 'and keeps its mode');
    assert.equal(intoFolder.code, 2, intoFolder.stderr);
    assert.match(intoFolder.stderr, /The plan file .*plans is a folder\./);
    assert.doesNotMatch(intoFolder.stderr, /EISDIR/);
    assert.equal(applyNotes.code, 2, applyNotes.stderr);
    assert.match(applyNotes.stderr, /notes\.txt is not a terraform plan: nothing was applied\./);
    assert.deepEqual(calls(), [], 'terraform never ran');

    // A plan terraform wrote earlier is replaced: that is what `plan` is for.
    const planFile = path.join(root, 'reviewed.tfplan');
    assert.equal((await run(['infra', 'plan', '--plan-file', planFile])).code, 0);
    const again = await run(['infra', 'plan', '--plan-file', planFile]);
    assert.equal(again.code, 0, again.stderr);
  });

  it('lets an apply interrupted with Ctrl-C finish instead of killing terraform half-way, then exits 130', async () => {
    const { tfDir, start, calls } = setUp({ applyDelayMs: 1500 });
    const { child, result } = start(['infra', 'apply', '--yes']);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const deadline = Date.now() + 15_000;
    while (!stderr.includes('Still creating')) {
      assert.ok(Date.now() < deadline, `apply never started:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const outcome = await result;
    assert.equal(outcome.code, 130, outcome.stderr);
    assert.match(outcome.stderr, /terraform is finishing the changes in progress/);
    assert.match(outcome.stderr, /Apply complete! Resources: 3 added/);
    assert.ok(existsSync(path.join(tfDir, 'fake-terraform.tfstate')), 'terraform finished and saved its state');
    assert.deepEqual(
      calls().map((call) => call.argv[0]),
      ['init', 'plan', 'show', 'apply'],
    );
  });
});

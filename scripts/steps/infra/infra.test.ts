/**
 * The confirmations of `infra apply` and `infra destroy` as a person at a terminal meets them: the prompter is a
 * scripted stand-in, terraform is the stand-in from test/support, everything else is real.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  installFakeTerraform,
  markTerraformApplied,
  readTerraformCalls,
} from '../../../test/support/fake-terraform.ts';
import { readManagedCluster, writeManagedCluster } from '../../lib/cluster-state.ts';
import { loadConfig } from '../../lib/config.ts';
import { InterruptedError, UsageError } from '../../lib/errors.ts';
import type { Prompter } from '../../lib/prompts.ts';
import { SecretMasker } from '../../lib/redact.ts';
import { createShell } from '../../lib/shell.ts';
import { DEFAULT_PLAN_FILE, runInfra, type InfraContext } from './infra.ts';
import { tempDirs } from '../../../test/support/temp.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/terraform');
const TOKEN = 'infra-step-test-token-0123456789abcdef';
const tempDir = tempDirs('infra');

/** A prompter for someone at a terminal who answers from a script, recording the questions. */
function scriptedPrompter(answers: { confirm?: boolean; input?: string }): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const unexpected = async (): Promise<never> => assert.fail('unexpected prompt');
  return {
    interactive: true,
    asked,
    input: async (options) => {
      asked.push(options.message);
      return answers.input ?? assert.fail('no input scripted');
    },
    confirm: async (options) => {
      asked.push(options.message);
      return answers.confirm ?? assert.fail('no answer scripted');
    },
    password: unexpected,
    checkbox: unexpected,
    select: unexpected,
  };
}

function setUp(answers: { confirm?: boolean; input?: string }, options: { dryRun?: boolean } = {}) {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  const tfDir = path.join(root, 'terraform');
  const fixture = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as unknown;
  const records = installFakeTerraform(bin, {
    expectToken: TOKEN,
    planJson: fixture('plan-create.json'),
    destroyPlanJson: fixture('plan-destroy.json'),
    outputs: fixture('outputs.json'),
  });
  // The stand-in ignores the configuration; the step only checks that the folder has .tf files.
  mkdirSync(tfDir);
  writeFileSync(path.join(tfDir, 'main.tf'), '# stand-in\n');
  const masker = new SecretMasker();
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: root,
    LINODE_TOKEN: TOKEN,
    DECKHAND_TERRAFORM_DIR: tfDir,
    DECKHAND_STATE_ROOT: root,
  };
  const dryRun = options.dryRun ?? false;
  const config = loadConfig({
    repoRoot: root,
    flags: { dryRun, verbose: false, yes: false },
    env,
    interactive: true,
    masker,
  });
  const lines: string[] = [];
  const ui = {
    interactive: true,
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
    success: (line: string) => lines.push(line),
    data: (line: string) => lines.push(line),
  };
  const prompter = scriptedPrompter(answers);
  const ctx: InfraContext = {
    config,
    masker,
    prompter,
    ui,
    interruption: { signal: new AbortController().signal },
    shell: createShell({ dryRun, verbose: false, masker, log: (line) => lines.push(line), env }),
  };
  return {
    ctx,
    root,
    tfDir,
    lines,
    prompter,
    calls: () => readTerraformCalls(records).map((call) => call.argv.join(' ')),
  };
}

describe('infra apply on a terminal', () => {
  it('shows the plan and its monthly cost, then applies exactly that plan file when the answer is yes', async () => {
    const { ctx, tfDir, lines, prompter, calls } = setUp({ confirm: true });
    await runInfra(ctx, 'apply');
    const planFile = path.join(tfDir, DEFAULT_PLAN_FILE);
    assert.deepEqual(calls(), [
      'init -input=false -no-color',
      `plan -input=false -no-color -out ${planFile}`,
      `show -json -no-color ${planFile}`,
      `apply -input=false -no-color ${planFile}`,
      'output -json -no-color',
    ]);
    assert.deepEqual(prompter.asked, ['Apply exactly these changes?']);
    const output = lines.join('\n');
    assert.match(output, /Plan: 3 to add, 0 to change, 0 to destroy\./);
    assert.match(output, /total: \$26\.00–\$74\.00 per month/);
    assert.match(output, /^cluster_label +deckhand$/m);
    assert.equal(existsSync(planFile), false, 'the applied plan (which holds the token) is removed');
    assert.ok(!output.includes(TOKEN));
  });

  it('applies nothing when the answer is no, and keeps the plan for later', async () => {
    const { ctx, tfDir, calls } = setUp({ confirm: false });
    await assert.rejects(
      runInfra(ctx, 'apply'),
      (error: unknown) => error instanceof InterruptedError && /Not applied: you answered no/.test(error.message),
    );
    assert.ok(!calls().some((call) => call.startsWith('apply')));
    assert.ok(existsSync(path.join(tfDir, DEFAULT_PLAN_FILE)));
  });
});

describe('infra destroy on a terminal', () => {
  it('destroys after the cluster label is typed, and forgets the managed cluster', async () => {
    const { ctx, root, tfDir, prompter, calls } = setUp({ input: 'deckhand' });
    markTerraformApplied(tfDir);
    writeManagedCluster(root, {
      label: 'deckhand',
      server: 'https://x.example:443',
      kubeconfig: '/k',
      context: 'lke424242-ctx',
      clusterId: 424242,
      recordedAt: '2026-01-01T00:00:00Z',
    });
    await runInfra(ctx, 'destroy');
    const planFile = path.join(tfDir, DEFAULT_PLAN_FILE);
    assert.match(prompter.asked[0]!, /This deletes cluster "deckhand".*Type its label to confirm/);
    assert.deepEqual(calls().slice(1), [
      `plan -input=false -no-color -destroy -out ${planFile}`,
      `show -json -no-color ${planFile}`,
      `apply -input=false -no-color ${planFile}`,
    ]);
    assert.equal(readManagedCluster(root), undefined);
  });

  it('destroys nothing when the typed label does not match', async () => {
    const { ctx, tfDir, calls } = setUp({ input: 'deckhnad' });
    await assert.rejects(
      runInfra(ctx, 'destroy'),
      (error: unknown) =>
        error instanceof UsageError && error.message === '"deckhnad" is not "deckhand": nothing was destroyed.',
    );
    assert.ok(!calls().some((call) => call.startsWith('apply')));
    assert.equal(existsSync(path.join(tfDir, DEFAULT_PLAN_FILE)), false);
  });
});

describe('infra plan in a folder initialised before a change', () => {
  it('runs init again when terraform asks for it, then plans', async () => {
    const { ctx, tfDir, lines, calls } = setUp({});
    mkdirSync(path.join(tfDir, '.terraform', 'providers'), { recursive: true });
    await runInfra(ctx, 'plan');
    assert.deepEqual(
      calls().map((call) => call.split(' ')[0]),
      ['plan', 'init', 'plan', 'show'],
    );
    assert.ok(lines.includes('terraform needs `init` again (the providers, backend or lock file changed).'));
    assert.ok(existsSync(path.join(tfDir, DEFAULT_PLAN_FILE)));
  });
});

describe('infra apply --dry-run', () => {
  it('plans and prints the apply it would run, without asking or applying', async () => {
    const { ctx, tfDir, lines, prompter, calls } = setUp({}, { dryRun: true });
    await runInfra(ctx, 'apply');
    const planFile = path.join(tfDir, DEFAULT_PLAN_FILE);
    assert.ok(
      lines.includes(`[dry run] would run: terraform apply -input=false -no-color ${planFile}`),
      lines.join('\n'),
    );
    assert.ok(lines.includes(`Dry run: nothing was applied. The plan stays in ${planFile} for a real run.`));
    assert.deepEqual(
      calls().map((call) => call.split(' ')[0]),
      ['init', 'plan', 'show'],
    );
    assert.deepEqual(prompter.asked, []);
  });
});

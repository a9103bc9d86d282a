/**
 * Every `npx tsx tasks.ts …` a workflow runs names a command, options and app the CLI declares, and each deploy step
 * passes the app's inputs (sensitive ones from secrets only) — checked against the CLI itself, and shown to fail on
 * broken copies of the real workflows.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  checkDeployInputs,
  checkInvocations,
  readCliFacts,
  toolkitInvocations,
  type CliFacts,
} from './command-checks.ts';
import { loadWorkflows, parseWorkflow } from './workflow-checks.ts';

const workflows = loadWorkflows();
const byFile = (file: string) => workflows.find((workflow) => workflow.file === file)!;

function broken(file: string, from: string, to: string) {
  const original = byFile(file).text;
  assert.equal(original.split(from).length - 1, 1, `the mutation of ${file} must match exactly once: ${from}`);
  return parseWorkflow(original.replace(from, to), file);
}

describe('the toolkit commands in the workflows', () => {
  let facts: CliFacts;
  before(async () => {
    facts = await readCliFacts();
  });

  it('are the deploys, the clean-up and nothing unexpected', () => {
    const run = workflows.flatMap((workflow) =>
      toolkitInvocations(workflow).map((invocation) => `${workflow.file}: ${invocation.words.join(' ')}`),
    );
    assert.deepEqual(run, [
      'deploy-caelundas.yml: deploy caelundas --yes --kubeconfig $KUBECONFIG',
      'deploy-caelundas.yml: uninstall caelundas --release $RELEASE --yes --kubeconfig $KUBECONFIG',
      'deploy-wpp-bot.yml: deploy wpp-bot --yes --kubeconfig $KUBECONFIG',
    ]);
  });

  it('are declared by the CLI: command, options and app', () => {
    for (const workflow of workflows) assert.deepEqual(checkInvocations(workflow, facts), [], workflow.file);
  });

  it("pass each app's inputs, the sensitive ones from secrets", () => {
    for (const workflow of workflows) assert.deepEqual(checkDeployInputs(workflow, facts), [], workflow.file);
  });

  describe('fail when broken', () => {
    const cases: readonly {
      what: string;
      file: string;
      from: string;
      to: string;
      check: typeof checkInvocations;
      expect: RegExp;
    }[] = [
      {
        what: 'a command the CLI does not have',
        file: 'deploy-wpp-bot.yml',
        from: 'npx tsx tasks.ts deploy wpp-bot',
        to: 'npx tsx tasks.ts rollout wpp-bot',
        check: checkInvocations,
        expect: /"rollout" is not a command the CLI declares/,
      },
      {
        what: 'an option the command does not have',
        file: 'deploy-caelundas.yml',
        from: 'deploy caelundas --yes',
        to: 'deploy caelundas --clean-up --yes',
        check: checkInvocations,
        expect: /--clean-up is not an option of deploy/,
      },
      {
        what: 'an option of another command',
        file: 'deploy-caelundas.yml',
        from: 'deploy caelundas --yes',
        to: 'deploy caelundas --release x --yes',
        check: checkInvocations,
        expect: /--release is not an option of deploy/,
      },
      {
        what: 'an app the CLI does not know',
        file: 'deploy-caelundas.yml',
        from: 'deploy caelundas --yes',
        to: 'deploy caelundaz --yes',
        check: checkInvocations,
        expect: /"caelundaz" is not an app the CLI knows/,
      },
      {
        what: 'a missing input',
        file: 'deploy-caelundas.yml',
        from: '          LONGITUDE: ${{ secrets.LONGITUDE }}\n',
        to: '',
        check: checkDeployInputs,
        expect: /LONGITUDE is not in the step's env/,
      },
      {
        what: 'a sensitive input from a workflow input',
        file: 'deploy-caelundas.yml',
        from: 'LATITUDE: ${{ secrets.LATITUDE }}',
        to: 'LATITUDE: ${{ inputs.start_date }}',
        check: checkDeployInputs,
        expect: /LATITUDE is sensitive: it must come from a secret/,
      },
      {
        what: 'a secret that is not the right one for wpp-bot',
        file: 'deploy-wpp-bot.yml',
        from: '          JWT_SECRET: ${{ secrets.JWT_SECRET }}\n',
        to: '',
        check: checkDeployInputs,
        expect: /JWT_SECRET is not in the step's env/,
      },
    ];
    for (const { what, file, from, to, check, expect } of cases) {
      it(what, () => {
        const problems = check(broken(file, from, to), facts);
        assert.ok(
          problems.some((problem) => expect.test(problem)),
          `expected ${expect} among:\n${problems.join('\n') || '(no problems)'}`,
        );
      });
    }
  });
});

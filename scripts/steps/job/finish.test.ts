import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeployRun } from './deploy-run.ts';
import { nextSteps } from './finish.ts';

const RELEASE = 'caelundas-20260125-143022-2';
const ROOT = '/home/me/deckhand';
const FILES = `${ROOT}/output/lke123456/caelundas/${RELEASE}/files`;

function run(facts: Partial<DeployRun>): DeployRun {
  return {
    app: { name: 'caelundas' },
    deps: { config: { dryRun: false, repoRoot: ROOT } },
    plan: { release: RELEASE, filesDir: FILES },
    installed: true,
    ...facts,
  } as unknown as DeployRun;
}

const COPY = { files: [], totalBytes: 0 } as unknown as DeployRun['copy'];

/** Every line fits, and every command — continuations joined — is there whole, on lines of its own. */
function check(lines: readonly string[], width: number, commands: readonly string[]): void {
  for (const line of lines) assert.ok(line.length <= width, `${line.length} columns: ${line}`);
  const joined = lines.join('\n').replace(/ \\\n\s+/g, ' ');
  for (const command of commands) assert.ok(joined.split('\n').includes(`  ${command}`), `${command} in:\n${joined}`);
}

describe('the next steps after a deploy', () => {
  it('after a run that did not get its output: each command on a line of its own, its comment above, in 80 columns', () => {
    const lines = nextSteps(run({}), 80);
    assert.deepEqual(lines, [
      'Next steps:',
      "  # the Job's logs",
      `  npx tsx tasks.ts logs caelundas --release ${RELEASE}`,
      '  # copy its output when it is done',
      `  npx tsx tasks.ts copy caelundas --release ${RELEASE}`,
      '  # remove the release and its PVC',
      `  npx tsx tasks.ts uninstall caelundas --release ${RELEASE}`,
    ]);
    check(lines, 80, []);
  });

  it('after helm was stopped mid-install: uninstall --recover, since the pending release blocks the rest', () => {
    const lines = nextSteps(run({ stuckStatus: 'pending-install' }), 80);
    check(lines, 80, [
      `npx tsx tasks.ts logs caelundas --release ${RELEASE}`,
      `npx tsx tasks.ts uninstall caelundas --release ${RELEASE} --recover`,
    ]);
    assert.match(lines.join('\n'), /release is\s+pending-install/);
    assert.ok(!lines.some((line) => line.includes('tasks.ts copy')), lines.join('\n'));
  });

  it('after a copy: where the output is, and how to remove the release when done', () => {
    const lines = nextSteps(run({ copy: COPY }), 80);
    assert.deepEqual(lines, [
      `Output: output/lke123456/caelundas/${RELEASE}/files/`,
      'The release and its PVC are kept. When you no longer need them:',
      `  npx tsx tasks.ts uninstall caelundas --release ${RELEASE}`,
    ]);
  });

  it('after a clean-up that kept a Retained volume: what it costs a month, and the command that deletes it', () => {
    const volume = { name: 'pvc-0123456789abcdef', size: '10Gi', reclaimPolicy: 'Retain', linodeVolumeId: '4711' };
    const lines = nextSteps(run({ copy: COPY, cleanedUp: true, keptVolumes: [volume] }), 80);
    const command = `npx tsx tasks.ts uninstall caelundas --release ${RELEASE} --delete-volume`;
    assert.ok(command.length + 2 > 80, 'the command is wider than the line, so it continues');
    check(lines, 80, [command]);
    assert.match(
      lines.join(' '),
      /The volume pvc-0123456789abcdef is kept by its reclaim policy \(Retain\) and billed, about \$1\.00\/month at \d{4}-\d{2} prices\./,
    );
    // On a wide terminal the same command is one line.
    check(nextSteps(run({ copy: COPY, cleanedUp: true, keptVolumes: [volume] }), 120), 120, [command]);
    assert.ok(nextSteps(run({ copy: COPY, cleanedUp: true, keptVolumes: [volume] }), 120).includes(`  ${command}`));
  });

  it('after a clean-up that left nothing billed: only where the output is; after a dry run: nothing', () => {
    assert.deepEqual(nextSteps(run({ copy: COPY, cleanedUp: true, keptVolumes: [] }), 80), [
      `Output: output/lke123456/caelundas/${RELEASE}/files/`,
    ]);
    assert.deepEqual(
      nextSteps(run({ deps: { config: { dryRun: true, repoRoot: ROOT } } as DeployRun['deps'] }), 80),
      [],
    );
  });

  it('puts a path too long for the line on a line of its own, whole', () => {
    const deep = run({
      copy: COPY,
      plan: { release: RELEASE, filesDir: `/tmp/${'x'.repeat(90)}/files` } as DeployRun['plan'],
    });
    const [label, where] = nextSteps(deep, 80);
    assert.equal(label, 'Output:');
    assert.equal(where, `../../../tmp/${'x'.repeat(90)}/files/`);
  });
});

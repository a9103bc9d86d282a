/**
 * Bad input ends with exit 2 and a message that names the input, before anything is done: empty values for any
 * string option (they used to fall back to defaults — `--image ''` even switched to building), durations without a
 * unit or out of bounds, `--tail` out of range, and a folder where a file is expected.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { runCli, type CliResult } from '../support/cli.ts';

describe('bad input', { concurrency: true }, () => {
  let bed: DeployBed;
  before(async () => {
    bed = await createDeployBed();
  });
  after(() => bed.close());

  /** Runs deckhand against the simulator and checks that it refused with exit 2 without asking the cluster anything. */
  async function refused(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const result = await runCli(args, { env: { ...bed.env, ...VALID_INPUTS, ...env } });
    assert.equal(result.code, 2, `${args.join(' ')}\n${result.output}`);
    assert.doesNotMatch(result.output, /^\s+at /m, 'no stack trace');
    return result;
  }

  it('refuses an empty value for every string option of deploy, in both spellings, and does nothing', async () => {
    const requestsBefore = bed.sim.requests.length;
    const options = ['image', 'namespace', 'timeout', 'kubeconfig', 'context', 'dockerfile', 'build-context'];
    const results = await Promise.all(
      options.flatMap((option) => [
        refused(['deploy', 'caelundas', `--${option}`, '']).then((result) => ({ option, result })),
        refused(['deploy', 'caelundas', `--${option}=`]).then((result) => ({ option, result })),
      ]),
    );
    for (const { option, result } of results) {
      assert.match(result.stderr, new RegExp(`^✖ --${option} was given an empty value\\.$`, 'm'));
      assert.match(result.stderr, new RegExp(`→ Give it a value \\(--${option} <[a-z]+>\\), or leave --${option} out`));
      assert.equal(
        result.output.trimEnd().split('\n').length,
        2,
        `the message and its fix, nothing else ran:\n${result.output}`,
      );
    }
    assert.equal(bed.sim.requests.length, requestsBefore, 'the cluster was not asked anything');
  });

  it('refuses durations out of bounds and a timeout without a unit, naming the flag or the key', async () => {
    const [long, short, bare] = await Promise.all([
      refused(['deploy', 'caelundas', '--timeout', '600h']),
      refused(['deploy', 'caelundas', '--timeout', '500ms']),
      refused(['deploy', 'caelundas'], { DECKHAND_JOB_TIMEOUT: '30' }),
    ]);
    assert.match(long.stderr, /--timeout: expected a duration of at most 7 days \(7d\), got "600h"/);
    assert.match(short.stderr, /--timeout: expected a duration of at least a second \(1s\), got "500ms"/);
    assert.match(bare.stderr, /DECKHAND_JOB_TIMEOUT: expected a duration with a unit \(30s\? 30m\?\), got "30"/);
  });

  it('keeps --tail within 0 to 1,000,000 lines', async () => {
    const [huge, negative, words] = await Promise.all([
      refused(['logs', 'caelundas', '--release', 'caelundas-20260101-000000', '--tail', '99999999999999999999']),
      refused(['logs', 'caelundas', '--release', 'caelundas-20260101-000000', '--tail=-5']),
      refused(['logs', 'caelundas', '--release', 'caelundas-20260101-000000', '--tail', 'ten']),
    ]);
    assert.match(huge.stderr, /--tail must be a whole number from 0 to 1,000,000, got "99999999999999999999"\./);
    assert.match(negative.stderr, /--tail must be a whole number from 0 to 1,000,000, got "-5"\./);
    assert.match(words.stderr, /got "ten"/);
  });

  it('names a folder given where a file is expected, instead of EISDIR', async () => {
    const folder = path.join(bed.dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const envDir = path.join(bed.dir, 'env-with-folder');
    mkdirSync(path.join(envDir, '.env'), { recursive: true });
    const [kubeconfig, envFile] = await Promise.all([
      refused(['releases', 'caelundas', '--kubeconfig', folder]),
      refused(['apps'], { DECKHAND_ENV_DIR: envDir }),
    ]);
    assert.match(kubeconfig.stderr, /The kubeconfig .*a-folder \(from --kubeconfig\) is a folder, not a file\./);
    assert.match(envFile.stderr, /env-with-folder\/\.env is a folder, not an env file\./);
    assert.doesNotMatch(kubeconfig.output + envFile.output, /EISDIR/);
  });
});

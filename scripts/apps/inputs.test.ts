import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { caelundas } from './caelundas.ts';
import { collectAppInputs } from './inputs.ts';
import { loadConfig } from '../lib/config.ts';
import { MissingInputError, ValidationError } from '../lib/errors.ts';
import type { Prompter } from '../lib/prompts.ts';
import { SecretMasker } from '../lib/redact.ts';
import { tempDirs } from '../../test/support/temp.ts';

const tempDir = tempDirs('inputs');

function project(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const root = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  const masker = new SecretMasker();
  const config = loadConfig({
    repoRoot: root,
    flags: { dryRun: false, verbose: false, yes: false },
    env,
    interactive: false,
    masker,
  });
  return { config, masker };
}

/** Answers prompts from a script and records what was asked, and how. */
function scriptedPrompter(answers: Record<string, string>, interactive = true): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const answer = async (kind: string, message: string, validate?: (value: string) => string | true) => {
    const key = message.split(' ')[0]!;
    asked.push(`${kind}:${key}`);
    const value = answers[key];
    if (value === undefined) throw new Error(`unexpected prompt for ${key}`);
    const verdict = validate?.(value);
    if (verdict !== undefined && verdict !== true) throw new Error(`prompt validation refused ${key}: ${verdict}`);
    return value;
  };
  return {
    interactive,
    asked,
    input: (options) => answer('input', options.message, options.validate),
    password: (options) => answer('password', options.message, options.validate),
    confirm: async () => true,
    checkbox: async () => [],
    select: async () => {
      throw new Error('not used');
    },
  };
}

describe('collecting app inputs', () => {
  it('takes the environment first, then the app env file, then .env', async () => {
    const { config, masker } = project(
      {
        '.env.caelundas': 'START_DATE=2026-02-01\nEND_DATE=2026-03-01\nLATITUDE=10\n',
        '.env': 'LATITUDE=20\nLONGITUDE=30.5\n',
      },
      { START_DATE: '2026-01-01' },
    );
    const { values, sources } = await collectAppInputs(caelundas, config, masker, scriptedPrompter({}, false));
    assert.deepEqual(values, { START_DATE: '2026-01-01', END_DATE: '2026-03-01', LATITUDE: '10', LONGITUDE: '30.5' });
    assert.deepEqual(sources, {
      START_DATE: 'environment',
      END_DATE: 'env file',
      LATITUDE: 'env file',
      LONGITUDE: '.env',
    });
  });

  it('off a terminal lists every missing input with how to give it, before anything happens', async () => {
    const { config, masker } = project({ '.env.caelundas': 'START_DATE=2026-01-01\n' });
    const error = await collectAppInputs(caelundas, config, masker, scriptedPrompter({}, false)).catch(
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof MissingInputError);
    assert.equal(error.exitCode, 2);
    assert.deepEqual(
      error.missing.map((item) => item.name),
      ['END_DATE', 'LATITUDE', 'LONGITUDE'],
    );
    assert.match(
      error.message,
      /END_DATE: set END_DATE in \.env\.caelundas or the environment \(e\.g\. END_DATE=2026-12-31\)/,
    );
  });

  it('reports every invalid value at once, never echoing a sensitive one', async () => {
    const { config, masker } = project({
      '.env.caelundas': 'START_DATE=2026-02-30\nEND_DATE=2026-12-31\nLATITUDE=123.456789\nLONGITUDE=-200.123456\n',
    });
    const error = await collectAppInputs(caelundas, config, masker, scriptedPrompter({}, false)).catch(
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ValidationError);
    assert.equal(error.problems.length, 3);
    assert.match(error.message, /START_DATE: expected a real calendar date written YYYY-MM-DD, got "2026-02-30"/);
    assert.match(error.message, /LATITUDE: expected a number between -90 and 90$/m);
    assert.doesNotMatch(error.message, /123\.456789|-200\.123456/);
  });

  it('checks END_DATE against START_DATE', async () => {
    const { config, masker } = project({
      '.env.caelundas': 'START_DATE=2026-05-01\nEND_DATE=2026-04-30\nLATITUDE=1\nLONGITUDE=2\n',
    });
    await assert.rejects(
      collectAppInputs(caelundas, config, masker, scriptedPrompter({}, false)),
      /END_DATE must be on or after START_DATE/,
    );
  });

  it('on a terminal asks only for what is missing, with a hidden prompt for sensitive values, and masks them', async () => {
    const { config, masker } = project({ '.env.caelundas': 'START_DATE=2026-01-01\nEND_DATE=2026-12-31\n' });
    const prompter = scriptedPrompter({ LATITUDE: '48.8566', LONGITUDE: '2.3522' });
    const { values, sources } = await collectAppInputs(caelundas, config, masker, prompter);
    assert.deepEqual(prompter.asked, ['password:LATITUDE', 'password:LONGITUDE']);
    assert.equal(values.LATITUDE, '48.8566');
    assert.equal(sources.LONGITUDE, 'prompt');
    assert.equal(masker.mask('at 48.8566, 2.3522'), 'at ***, ***');
  });

  it('validates prompted answers with the same rules', async () => {
    const { config, masker } = project({
      '.env.caelundas': 'START_DATE=2026-01-01\nEND_DATE=2026-12-31\nLONGITUDE=2\n',
    });
    await assert.rejects(
      collectAppInputs(caelundas, config, masker, scriptedPrompter({ LATITUDE: '91' })),
      /prompt validation refused LATITUDE: Expected a number between -90 and 90/,
    );
  });
});

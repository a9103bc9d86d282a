import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { caelundas } from './caelundas.ts';
import { collectAppInputs, envFileWarnings } from './inputs.ts';
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
  return { config, masker, root };
}

/**
 * Answers prompts from a script and records what was asked, and how. An input may be given several answers: each is
 * put to the prompt's own validation in turn, as a person retyping would, and each refusal is recorded.
 */
function scriptedPrompter(
  answers: Record<string, string | string[]>,
  interactive = true,
  options: { save?: boolean } = {},
): Prompter & { asked: string[]; refused: string[]; confirmations: string[]; told: string[] } {
  const asked: string[] = [];
  const refused: string[] = [];
  const confirmations: string[] = [];
  const told: string[] = [];
  const answer = async (kind: string, message: string, validate?: (value: string) => string | true) => {
    const key = message.split(' ')[0]!;
    asked.push(`${kind}:${key}`);
    const tries = answers[key];
    if (tries === undefined) throw new Error(`unexpected prompt for ${key}`);
    for (const value of Array.isArray(tries) ? tries : [tries]) {
      const verdict = validate?.(value);
      if (verdict === undefined || verdict === true) return value;
      refused.push(`${key}=${value}: ${verdict}`);
    }
    throw new Error(`prompt validation refused ${key}: ${refused.at(-1)!.split(': ').slice(1).join(': ')}`);
  };
  return {
    interactive,
    asked,
    refused,
    confirmations,
    told,
    tell: (line) => told.push(line),
    input: (prompt) => answer('input', prompt.message, prompt.validate),
    password: (prompt) => answer('password', prompt.message, prompt.validate),
    confirm: async (prompt) => {
      confirmations.push(`${prompt.message} [default ${prompt.default ? 'yes' : 'no'}]`);
      return options.save ?? false;
    },
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

  it('refuses END_DATE before START_DATE as END_DATE is typed, and takes the next answer', async () => {
    const { config, masker } = project({ '.env.caelundas': 'LATITUDE=1\nLONGITUDE=2\n' });
    const prompter = scriptedPrompter({ START_DATE: '2026-06-01', END_DATE: ['2026-05-31', '2026-06-30'] });
    const { values } = await collectAppInputs(caelundas, config, masker, prompter);
    assert.deepEqual(prompter.refused, [
      'END_DATE=2026-05-31: END_DATE must be on or after START_DATE (got 2026-06-01 → 2026-05-31)',
    ]);
    assert.equal(values.END_DATE, '2026-06-30');
  });

  it('checks a typed START_DATE against an END_DATE that is already set', async () => {
    const { config, masker } = project({ '.env.caelundas': 'END_DATE=2026-03-01\nLATITUDE=1\nLONGITUDE=2\n' });
    const prompter = scriptedPrompter({ START_DATE: ['2026-04-01', '2026-02-01'] });
    await collectAppInputs(caelundas, config, masker, prompter);
    assert.equal(prompter.refused.length, 1);
    assert.match(prompter.refused[0]!, /^START_DATE=2026-04-01: END_DATE must be on or after START_DATE/);
  });

  it('offers, default no, to save the typed non-sensitive answers, and writes nothing when told no', async () => {
    const { config, masker, root } = project({});
    const prompter = scriptedPrompter({
      START_DATE: '2026-01-01',
      END_DATE: '2026-12-31',
      LATITUDE: '48.8566',
      LONGITUDE: '2.3522',
    });
    await collectAppInputs(caelundas, config, masker, prompter);
    assert.deepEqual(prompter.confirmations, [
      'Save START_DATE and END_DATE to .env.caelundas for the next run?\n  (LATITUDE and LONGITUDE are sensitive: never saved.) [default no]',
    ]);
    assert.equal(existsSync(path.join(root, '.env.caelundas')), false);
    assert.deepEqual(prompter.told, []);
  });

  it('saves them on yes into the app env file (0600), keeping what the file held, never a sensitive value', async () => {
    const { config, masker, root } = project({
      '.env.caelundas': '# my dates\nSTART_DATE=   # fill me in\nEXTRA=kept\n',
      '.env': 'LATITUDE=1\n',
    });
    const prompter = scriptedPrompter({ START_DATE: '2026-01-01', END_DATE: '2026-12-31', LONGITUDE: '2.3522' }, true, {
      save: true,
    });
    await collectAppInputs(caelundas, config, masker, prompter);
    const file = path.join(root, '.env.caelundas');
    assert.equal(
      readFileSync(file, 'utf8'),
      '# my dates\nSTART_DATE=2026-01-01 # fill me in\nEXTRA=kept\nEND_DATE=2026-12-31\n',
    );
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(prompter.told[0]!, /^Saved START_DATE and END_DATE to .*\.env\.caelundas \(mode 0600\)\.$/);
    // Read back on the next run: nothing left to ask but the sensitive value.
    const again = scriptedPrompter({ LONGITUDE: '2.3522' });
    await collectAppInputs(caelundas, config, masker, again);
    assert.deepEqual(again.asked, ['password:LONGITUDE']);
    assert.deepEqual(again.confirmations, [], 'nothing typed that could be saved: no question');
  });

  it('does not offer to save in a dry run', async () => {
    const root = tempDir();
    const config = loadConfig({
      repoRoot: root,
      flags: { dryRun: true, verbose: false, yes: false },
      env: { LATITUDE: '1', LONGITUDE: '2' },
      interactive: true,
      masker: new SecretMasker(),
    });
    const prompter = scriptedPrompter({ START_DATE: '2026-01-01', END_DATE: '2026-12-31' }, true, { save: true });
    await collectAppInputs(caelundas, config, new SecretMasker(), prompter);
    assert.deepEqual(prompter.confirmations, []);
    assert.equal(existsSync(path.join(root, '.env.caelundas')), false);
  });
});

describe('env file advice', () => {
  it('names misspelt keys with the key they likely mean, file and line, and config keys put in an app file', () => {
    const root = tempDir();
    writeFileSync(
      path.join(root, '.env'),
      '# deckhand\nIMAGE_OWENR=me\nMY_OWN_TOOL=1\nimage_registry=ghcr.io\nLATITUDE=1\n',
    );
    writeFileSync(
      path.join(root, '.env.caelundas'),
      'START_DATE=2026-01-01\nLONGTITUDE=2\nIMAGE_OWNER=me\nDOMIAN=x.org\n',
    );
    const warnings = envFileWarnings({ envDir: root }, [caelundas]);
    assert.deepEqual(
      warnings.map((warning) => warning.replace(root + path.sep, '')),
      [
        '.env:2: IMAGE_OWENR is ignored: did you mean IMAGE_OWNER?',
        '.env:4: image_registry is ignored: did you mean IMAGE_REGISTRY?',
        '.env.caelundas:2: LONGTITUDE is ignored: did you mean LONGITUDE?',
        '.env.caelundas:3: IMAGE_OWNER is ignored here: it is read from .env or the environment.',
        '.env.caelundas:4: DOMIAN is ignored: did you mean DOMAIN (read from .env, not .env.caelundas)?',
      ],
    );
  });

  it('says nothing about files that are missing, fine, or unreadable (the strict reading reports those)', () => {
    const root = tempDir();
    assert.deepEqual(envFileWarnings({ envDir: root }, [caelundas]), []);
    writeFileSync(path.join(root, '.env'), 'IMAGE_OWNER=me\nNODE_OPTIONS=--max-old-space-size=4096\n');
    writeFileSync(path.join(root, '.env.caelundas'), 'not a key value line\nLONGTITUDE=1\n');
    assert.deepEqual(envFileWarnings({ envDir: root }, [caelundas]), []);
  });
});

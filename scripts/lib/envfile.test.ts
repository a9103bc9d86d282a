import assert from 'node:assert/strict';
import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { envFileValue, parseEnvText, setEnvFileKeys } from './envfile.ts';
import { tempDirs } from '../../test/support/temp.ts';
import { ValidationError } from './errors.ts';

const CANARY = 'canary-envfile-5ecret';
const tempDir = tempDirs('envfile');

describe('env files', () => {
  it('keeps values with = and #, handles quotes, export and CRLF', () => {
    const text =
      'export A=1\r\nB="x=y#z"\nC=\'single # kept\'\n# comment\n\nD=plain # trailing comment\nE="multi\nline"\n';
    assert.deepEqual(parseEnvText(text, '.env'), {
      A: '1',
      B: 'x=y#z',
      C: 'single # kept',
      D: 'plain',
      E: 'multi\nline',
    });
  });

  it('rejects a key given twice, naming both lines but never the value', () => {
    const error = (() => {
      try {
        parseEnvText(`TOKEN=${CANARY}\nOTHER=1\nTOKEN=${CANARY}2\n`, '.env.caelundas');
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError);
    assert.match(error.message, /\.env\.caelundas:3: TOKEN is already set on line 1/);
    assert.doesNotMatch(error.message, new RegExp(CANARY));
  });

  it('rejects keys a Kubernetes Secret cannot hold and lines that are not KEY=value', () => {
    assert.throws(
      () => parseEnvText('GOOD=1\nBAD/KEY=2\njust words\n', '.env'),
      (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.deepEqual(error.problems, [
          ".env:2: \"BAD/KEY\" is not a valid key (letters, digits, '-', '_', '.')",
          '.env:3: not a KEY=value line',
        ]);
        return true;
      },
    );
  });

  it('sets keys in place without losing comments, other keys, export, CRLF, and writes 0600', () => {
    const dir = tempDir();
    const file = path.join(dir, '.env.caelundas');
    writeFileSync(file, '# dates for the run\r\nexport START_DATE=\r\n\r\nOTHER="x y" # mine\r\n', { mode: 0o644 });
    setEnvFileKeys(file, { START_DATE: '2026-01-01', END_DATE: '2026-12-31', NOTE: "it's a #value" });
    assert.equal(
      readFileSync(file, 'utf8'),
      '# dates for the run\r\nexport START_DATE=2026-01-01\r\n\r\nOTHER="x y" # mine\r\nEND_DATE=2026-12-31\r\nNOTE="it\'s a #value"\r\n',
    );
    assert.deepEqual(parseEnvText(readFileSync(file, 'utf8'), '.env.caelundas'), {
      START_DATE: '2026-01-01',
      OTHER: 'x y',
      END_DATE: '2026-12-31',
      NOTE: "it's a #value",
    });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['.env.caelundas'], 'no temporary file left');
  });

  it('creates a missing file 0600, and changes a symlinked one where it points', () => {
    const dir = tempDir();
    const created = path.join(dir, 'new.env');
    setEnvFileKeys(created, { A: 'value with spaces' });
    assert.equal(readFileSync(created, 'utf8'), "A='value with spaces'\n");
    assert.equal(statSync(created).mode & 0o777, 0o600);
    const real = path.join(dir, 'real.env');
    writeFileSync(real, 'B=1\n');
    const link = path.join(dir, 'link.env');
    symlinkSync(real, link);
    setEnvFileKeys(link, { C: '2' });
    assert.equal(lstatSync(link).isSymbolicLink(), true);
    assert.equal(readFileSync(real, 'utf8'), 'B=1\nC=2\n');
  });

  it('knows which values it cannot write so that they read back the same', () => {
    assert.equal(envFileValue('2026-01-01'), '2026-01-01');
    assert.equal(envFileValue('a b'), "'a b'");
    assert.equal(envFileValue('line\nbreak'), undefined);
    assert.equal(envFileValue(`both ' and " quotes`), undefined);
  });
});

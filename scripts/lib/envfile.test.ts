import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEnvText } from './envfile.ts';
import { ValidationError } from './errors.ts';

const CANARY = 'canary-envfile-5ecret';

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
});

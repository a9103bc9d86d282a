import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, SecretMasker, guardProcessOutput } from './redact.ts';

const CANARY = 'canary-S3cr3t"value';

describe('the secret masker', () => {
  it('masks the raw value, its base64 form and its JSON-escaped form', () => {
    const masker = new SecretMasker();
    masker.add(CANARY);
    const base64 = Buffer.from(CANARY).toString('base64');
    const json = JSON.stringify({ token: CANARY });
    assert.equal(masker.mask(`a ${CANARY} b`), `a ${MASK} b`);
    assert.equal(masker.mask(`data: ${base64}`), `data: ${MASK}`);
    assert.equal(masker.mask(json), `{"token":"${MASK}"}`);
  });

  it('masks the longer secret whole when one secret contains another', () => {
    const masker = new SecretMasker();
    masker.add('abcd');
    masker.add('xxabcdxx');
    assert.equal(masker.mask('xxabcdxx and abcd'), `${MASK} and ${MASK}`);
  });

  it('leaves very short values alone, since masking them would ruin all output', () => {
    const masker = new SecretMasker();
    masker.add('52');
    assert.equal(masker.mask('port 5200'), 'port 5200');
  });

  it('treats regular-expression characters in secrets literally', () => {
    const masker = new SecretMasker();
    masker.add('a.b*c+d');
    assert.equal(masker.mask('axbxcxd a.b*c+d'), `axbxcxd ${MASK}`);
  });

  it('masks each line of a multi-line secret', () => {
    const masker = new SecretMasker();
    masker.add('-----BEGIN KEY-----\nAAAABBBBCCCC\n-----END KEY-----');
    assert.equal(masker.mask('got AAAABBBBCCCC here'), `got ${MASK} here`);
  });

  it('masks a secret split across two chunks of streamed output', () => {
    const masker = new SecretMasker();
    masker.add(CANARY);
    const lines: string[] = [];
    const writer = masker.lineWriter((line) => lines.push(line));
    writer.write(`first ${CANARY.slice(0, 5)}`);
    writer.write(`${CANARY.slice(5)} end\nsecond line\r\nunterminated ${CANARY}`);
    writer.flush();
    assert.deepEqual(lines, [`first ${MASK} end`, 'second line', `unterminated ${MASK}`]);
  });

  it('guards everything written to stdout and stderr, including text from other libraries', () => {
    const masker = new SecretMasker();
    const captured: string[] = [];
    const originalOut = process.stdout.write;
    const originalErr = process.stderr.write;
    const capture = ((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    const restore = guardProcessOutput(masker);
    try {
      masker.add(CANARY); // registered after the guard is installed: still masked
      process.stdout.write(`out ${CANARY}\n`);
      process.stderr.write(Buffer.from(`err ${CANARY}\n`));
    } finally {
      restore();
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    }
    assert.deepEqual(captured, [`out ${MASK}\n`, `err ${MASK}\n`]);
  });
});

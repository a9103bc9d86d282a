import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MASK, SecretMasker } from './redact.ts';

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

  it('masks a pull secret nested twice: base64 of a JSON document holding base64 of user:token', () => {
    const masker = new SecretMasker();
    for (const user of ['me', 'octo-cat', 'x']) {
      const token = `ghp_${user}PullToken0123456789abcdefXYZ`;
      masker.add(token);
      const auth = Buffer.from(`${user}:${token}`).toString('base64');
      const config = JSON.stringify({ auths: { 'ghcr.io': { username: user, password: token, auth } } });
      const data = Buffer.from(config).toString('base64');
      for (const shown of [
        config,
        `  .dockerconfigjson: ${data}`,
        JSON.stringify({ data: { '.dockerconfigjson': data } }),
      ]) {
        const masked = masker.mask(shown);
        assert.ok(masked.includes(MASK), shown);
        assert.equal(revealsSecret(masked, token), false, `${user}: ${masked}`);
      }
    }
  });

  it('knows which values are secrets, as given (the runner keeps them out of children)', () => {
    const masker = new SecretMasker();
    masker.add('s3cr3t-value');
    assert.equal(masker.isSecret('s3cr3t-value'), true);
    assert.equal(masker.isSecret(Buffer.from('s3cr3t-value').toString('base64')), false);
    assert.equal(masker.isSecret('other'), false);
  });
});

/**
 * Whether any run of base64 in the text, decoded at any alignment (and once more, for text nested twice), shows the
 * secret — independent of how the masker finds the forms.
 */
function revealsSecret(text: string, secret: string, depth = 2): boolean {
  if (text.includes(secret)) return true;
  if (depth === 0) return false;
  for (const run of text.match(/[A-Za-z0-9+/]{8,}={0,2}/g) ?? []) {
    for (let start = 0; start < 4; start++) {
      const usable = run.slice(start, start + Math.floor((run.length - start) / 4) * 4);
      if (usable && revealsSecret(Buffer.from(usable, 'base64').toString('latin1'), secret, depth - 1)) return true;
    }
  }
  return false;
}

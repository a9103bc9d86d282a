import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readEnvFile } from './envfile.ts';
import { formatEnvValue, withEnvValues, writeEnvValues } from './env-write.ts';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function folder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-env-write-'));
  dirs.push(dir);
  return dir;
}

describe('writing values into .env', () => {
  it("replaces a key's own line (the template's empty one too), appends the others, keeps comments and order", () => {
    const text = '# top\nIMAGE_OWNER=\n# the token\nexport LINODE_TOKEN=old\nDOMAIN=keep.example\n';
    const next = withEnvValues(text, { LINODE_TOKEN: 'new', IMAGE_OWNER: 'me', ACME_EMAIL: 'a@b.c' });
    assert.equal(
      next.text,
      '# top\nIMAGE_OWNER=me\n# the token\nLINODE_TOKEN=new\nDOMAIN=keep.example\nACME_EMAIL=a@b.c\n',
    );
    assert.deepEqual(next.replaced, ['LINODE_TOKEN', 'IMAGE_OWNER']);
    assert.deepEqual(next.added, ['ACME_EMAIL']);
    assert.equal(withEnvValues('', { A: '1' }).text, 'A=1\n');
  });

  it('quotes what dotenv would otherwise cut or change, so every value reads back as written', () => {
    const values = {
      A: 'plain-token_123.x/y',
      B: 'with # hash',
      C: 'say "hi"',
      D: 'back\\slash',
      E: "it's",
      F: 'it\'s "both"',
    };
    assert.equal(formatEnvValue(values.A), values.A);
    const dir = folder();
    const file = path.join(dir, '.env');
    writeEnvValues(file, values);
    assert.deepEqual(readEnvFile(file), values);
  });

  it('starts a new file from the template, writes it 0600 through a rename, and leaves no temporary file', () => {
    const dir = folder();
    const template = path.join(dir, '.env.example');
    writeFileSync(template, '# documented\nLINODE_TOKEN=\n');
    const file = path.join(dir, '.env');
    const result = writeEnvValues(file, { LINODE_TOKEN: 'secret-value' }, { template });
    assert.equal(result.created, true);
    assert.equal(readFileSync(file, 'utf8'), '# documented\nLINODE_TOKEN=secret-value\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    writeFileSync(file, 'KEEP=1\n', { mode: 0o644 });
    const again = writeEnvValues(file, { LINODE_TOKEN: 'x' }, { template });
    assert.equal(again.created, false);
    assert.equal(
      readFileSync(file, 'utf8'),
      'KEEP=1\nLINODE_TOKEN=x\n',
      'an existing file is not replaced by the template',
    );
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a readable .env becomes private');
    assert.deepEqual(readdirSync(dir).sort(), ['.env', '.env.example']);
  });
});

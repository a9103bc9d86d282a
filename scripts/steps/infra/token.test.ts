import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../lib/config.ts';
import { MissingInputError } from '../../lib/errors.ts';
import { createPrompter } from '../../lib/prompts.ts';
import { SecretMasker } from '../../lib/redact.ts';
import { resolveToken } from './token.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the Linode token', () => {
  const configWith = (env: Record<string, string>, masker: SecretMasker) =>
    loadConfig({
      repoRoot: mkdtempSync(path.join(os.tmpdir(), 'deckhand-token-')),
      flags: { dryRun: false, verbose: false, yes: false },
      env,
      interactive: false,
      masker,
    });

  it('comes from TF_VAR_linode_token before LINODE_TOKEN, and is masked from then on', async () => {
    const masker = new SecretMasker();
    const config = configWith(
      { TF_VAR_linode_token: 'from-tf-var-0123456789', LINODE_TOKEN: 'from-linode-token-0123' },
      masker,
    );
    dirs.push(config.repoRoot);
    const token = await resolveToken({ config, masker, prompter: createPrompter({ interactive: false }) }, 'test');
    assert.equal(token, 'from-tf-var-0123456789');
    assert.equal(masker.mask('x from-tf-var-0123456789 y'), 'x *** y');
  });

  it('is asked for only on a terminal: otherwise the run stops with exit 2, naming LINODE_TOKEN', async () => {
    const masker = new SecretMasker();
    const config = configWith({}, masker);
    dirs.push(config.repoRoot);
    await assert.rejects(
      resolveToken({ config, masker, prompter: createPrompter({ interactive: false }) }, 'test'),
      (error: unknown) => {
        assert.ok(error instanceof MissingInputError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /LINODE_TOKEN: set LINODE_TOKEN in \.env or the environment/);
        return true;
      },
    );
  });
});

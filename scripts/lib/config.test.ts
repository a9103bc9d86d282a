import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CONFIG_KEYS, isCi, loadConfig, type GlobalFlags } from './config.ts';
import { ValidationError } from './errors.ts';
import { SecretMasker } from './redact.ts';
import { tempDirs } from '../../test/support/temp.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const noFlags: GlobalFlags = { dryRun: false, verbose: false, yes: false };
const tempDir = tempDirs('config');

function projectWithDotenv(contents: string): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, '.env'), contents);
  return dir;
}

function load(options: {
  root: string;
  env?: NodeJS.ProcessEnv;
  flags?: Partial<GlobalFlags>;
  overrides?: Record<string, string | undefined>;
  masker?: SecretMasker;
}) {
  return loadConfig({
    repoRoot: options.root,
    flags: { ...noFlags, ...options.flags },
    overrides: options.overrides,
    env: options.env ?? {},
    interactive: false,
    masker: options.masker ?? new SecretMasker(),
  });
}

describe('configuration', () => {
  it('takes flags over the environment over .env over defaults', () => {
    const root = projectWithDotenv(
      'IMAGE_OWNER=from-dotenv\nDECKHAND_NAMESPACE=dotenv-ns\nDECKHAND_CONTEXT=dotenv-ctx\nIMAGE_REGISTRY=registry.dotenv:5000\n',
    );
    const config = load({
      root,
      env: { DECKHAND_NAMESPACE: 'env-ns', DECKHAND_CONTEXT: 'env-ctx' },
      flags: { context: 'flag-ctx' },
    });
    assert.equal(config.kube.context, 'flag-ctx', 'flag beats environment and .env');
    assert.equal(config.kube.namespace, 'env-ns', 'environment beats .env');
    assert.equal(config.image.owner, 'from-dotenv', '.env beats the default (none)');
    assert.equal(config.image.registry, 'registry.dotenv:5000');
    assert.equal(config.jobTimeoutMs, 30 * 60_000, 'default applies when nothing is set');
  });

  it('reads .env without touching the real environment', () => {
    const root = projectWithDotenv('DECKHAND_TEST_ONLY_KEY=value\n');
    const env: NodeJS.ProcessEnv = {};
    const config = load({ root, env });
    assert.equal(config.dotenv.DECKHAND_TEST_ONLY_KEY, 'value');
    assert.equal(env.DECKHAND_TEST_ONLY_KEY, undefined);
    assert.equal(process.env.DECKHAND_TEST_ONLY_KEY, undefined);
  });

  it('lets command flags override their keys (deploy --timeout)', () => {
    const root = projectWithDotenv('DECKHAND_JOB_TIMEOUT=1h\n');
    assert.equal(load({ root, overrides: { DECKHAND_JOB_TIMEOUT: '90s' } }).jobTimeoutMs, 90_000);
  });

  it('reports every problem at once with the key and what is expected', () => {
    const root = projectWithDotenv('IMAGE_OWNER=Has Spaces\nDECKHAND_JOB_TIMEOUT=soon\n');
    const error = (() => {
      try {
        load({ root, env: { DECKHAND_NAMESPACE: 'Not_A_Label' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    assert.ok(error instanceof ValidationError);
    assert.equal(error.problems.length, 3);
    assert.match(error.message, /IMAGE_OWNER: expected a lowercase name/);
    assert.match(error.message, /DECKHAND_NAMESPACE: expected a DNS label/);
    assert.match(error.message, /DECKHAND_JOB_TIMEOUT: expected a duration such as 90s/);
    assert.equal(error.exitCode, 2);
  });

  it('names the flag, not the key, when a flag value is invalid', () => {
    const root = projectWithDotenv('');
    assert.throws(() => load({ root, flags: { namespace: 'BAD' } }), /--namespace: expected a DNS label/);
  });

  it('registers secret values with the masker as soon as they are read', () => {
    const root = projectWithDotenv('GITHUB_TOKEN=ghp_canary0123456789\n');
    const masker = new SecretMasker();
    load({ root, env: { LINODE_TOKEN: 'linode-canary-0123456789' }, masker });
    assert.equal(masker.mask('ghp_canary0123456789 linode-canary-0123456789'), '*** ***');
  });

  it('treats CI=true (not CI=false) as no person at the terminal', () => {
    assert.equal(isCi({ CI: 'true' }), true);
    assert.equal(isCi({ CI: '1' }), true);
    assert.equal(isCi({ CI: 'false' }), false);
    assert.equal(isCi({}), false);
  });

  it('.env.example documents every key, with no value for any secret', () => {
    const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
    for (const spec of CONFIG_KEYS) {
      const line = new RegExp(`^${spec.key}=(.*)$`, 'm').exec(example);
      assert.ok(line, `${spec.key} is missing from .env.example`);
      if (spec.secret) assert.equal(line[1], '', `${spec.key} is a secret and must have no value in .env.example`);
    }
  });
});

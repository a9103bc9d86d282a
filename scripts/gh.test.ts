import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeckhandError } from './lib/errors.ts';
import { SecretMasker } from './lib/redact.ts';
import type { RunOptions, RunResult, Runner } from './lib/shell.ts';
import * as gh from './gh.ts';

const TARGET: gh.SecretsTarget = { repo: { owner: 'acme', name: 'deckhand' }, environment: 'production' };

/** A Runner that records every call with its options and answers from `answer`. */
function recordingRunner(answer: (argv: readonly string[]) => Partial<RunResult> = () => ({})) {
  const calls: { argv: readonly string[]; options: RunOptions }[] = [];
  const runner: Runner = {
    dryRun: false,
    verbose: false,
    masker: new SecretMasker(),
    display: (argv) => argv.join(' '),
    dryRunNote: () => {},
    withLog: () => runner,
    withStopSignal: () => runner,
    async run(argv, options) {
      calls.push({ argv, options });
      return { argv, stdout: '', stderr: '', exitCode: 0, durationMs: 1, skipped: false, ...answer(argv) };
    },
  };
  return { runner, calls };
}

describe('gh argv', () => {
  it('checks the version, the login for one host, and lists and sets secrets of one environment of one repository', () => {
    assert.deepEqual(gh.versionArgs(), ['gh', '--version']);
    assert.deepEqual(gh.authStatusArgs('github.com'), ['gh', 'auth', 'status', '--hostname', 'github.com']);
    assert.deepEqual(gh.secretListArgs(TARGET), [
      'gh',
      'secret',
      'list',
      '--env',
      'production',
      '--repo',
      'acme/deckhand',
    ]);
    assert.deepEqual(gh.secretSetArgs(TARGET, 'KUBE_CONFIG'), [
      'gh',
      'secret',
      'set',
      'KUBE_CONFIG',
      '--env',
      'production',
      '--repo',
      'acme/deckhand',
    ]);
  });

  it('names an Enterprise repository with its host, and github.com without', () => {
    assert.equal(gh.repoArg({ host: 'ghe.example.com', owner: 'a', name: 'b' }), 'ghe.example.com/a/b');
    assert.equal(gh.repoArg({ host: 'github.com', owner: 'a', name: 'b' }), 'a/b');
    assert.deepEqual(
      gh.secretSetArgs({ repo: { host: '127.0.0.1:8443', owner: 'a', name: 'b' }, environment: 'e' }, 'X').slice(-2),
      ['--repo', '127.0.0.1:8443/a/b'],
    );
  });
});

describe('gh parsing', () => {
  it('reads [HOST/]OWNER/NAME and refuses anything else', () => {
    assert.deepEqual(gh.parseRepo('acme/deckhand'), { owner: 'acme', name: 'deckhand' });
    assert.deepEqual(gh.parseRepo('ghe.example.com/acme/deck.hand'), {
      host: 'ghe.example.com',
      owner: 'acme',
      name: 'deck.hand',
    });
    for (const bad of ['deckhand', 'a/b/c/d', 'a b/c', '/a/b', 'a/']) assert.equal(gh.parseRepo(bad), undefined, bad);
  });

  it('finds the repository of an origin remote, ssh or https, dropping credentials and .git', () => {
    assert.deepEqual(gh.repoFromRemote('git@github.com:acme/deckhand.git\n'), { owner: 'acme', name: 'deckhand' });
    assert.deepEqual(gh.repoFromRemote('https://user:pw@github.com/acme/deckhand.git'), {
      owner: 'acme',
      name: 'deckhand',
    });
    assert.deepEqual(gh.repoFromRemote('https://ghe.example.com/acme/deckhand'), {
      host: 'ghe.example.com',
      owner: 'acme',
      name: 'deckhand',
    });
    assert.equal(gh.repoFromRemote('/srv/git/deckhand.git'), undefined);
    assert.equal(gh.repoFromRemote('https://github.com/acme'), undefined);
  });

  it('picks the host gh talks to: the repository’s, else GH_HOST, else github.com', () => {
    assert.equal(gh.repoHost({ host: 'h', owner: 'a', name: 'b' }, { GH_HOST: 'x' }), 'h');
    assert.equal(gh.repoHost({ owner: 'a', name: 'b' }, { GH_HOST: '127.0.0.1:9' }), '127.0.0.1:9');
    assert.equal(gh.repoHost({ owner: 'a', name: 'b' }, {}), 'github.com');
  });

  it("reads gh's version line and the names of `gh secret list` off a terminal", () => {
    assert.equal(gh.parseVersion('gh version 2.23.0 (2023-02-27 Debian 2.23.0+dfsg1-1)\nhttps://…\n'), '2.23.0');
    assert.throws(() => gh.parseVersion('hub version 2.14'));
    assert.deepEqual(gh.parseSecretList('JWT_SECRET\t2026-01-02\nKUBE_CONFIG\t2026-01-03T10:00:00Z\n\n'), [
      'JWT_SECRET',
      'KUBE_CONFIG',
    ]);
    assert.deepEqual(gh.parseSecretList(''), []);
  });
});

describe('gh runners', () => {
  it('sets a secret as a write whose value is stdin, never an argument, with gh’s prompts off', async () => {
    const { runner, calls } = recordingRunner();
    await gh.setSecret(runner, TARGET, 'JWT_SECRET', 's3cr3t-value');
    assert.equal(calls.length, 1);
    const [{ argv, options }] = calls as [(typeof calls)[0]];
    assert.deepEqual(argv, gh.secretSetArgs(TARGET, 'JWT_SECRET'));
    assert.ok(!argv.some((arg) => arg.includes('s3cr3t-value')));
    assert.equal(options.kind, 'write');
    assert.equal(options.input, 's3cr3t-value');
    assert.deepEqual(options.env, { GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1' });
  });

  it('turns GitHub’s 404 into "no such environment", and other failures into the command’s error', async () => {
    const notFound = recordingRunner(() => ({
      exitCode: 1,
      stderr: 'failed to fetch public key: HTTP 404: Not Found (https://api.github.com/repos/acme/deckhand/…)',
    }));
    await assert.rejects(gh.setSecret(notFound.runner, TARGET, 'X', 'v'), (error: DeckhandError) => {
      assert.match(error.message, /GitHub has no environment "production" in acme\/deckhand/);
      assert.match(error.fix!, /Settings → Environments → New environment → production/);
      return true;
    });
    await assert.rejects(gh.listSecrets(notFound.runner, TARGET), /no environment "production"/);
    const forbidden = recordingRunner(() => ({ exitCode: 1, stderr: 'HTTP 403: Must have admin rights' }));
    await assert.rejects(gh.setSecret(forbidden.runner, TARGET, 'X', 'v'), /Command failed \(exit 1\)[^]*HTTP 403/);
  });

  it('reports a failed login with what gh said, without the host line', async () => {
    const { runner } = recordingRunner(() => ({
      exitCode: 1,
      stderr:
        '127.0.0.1:8443\n  X 127.0.0.1:8443: authentication failed\n  - The token in GH_ENTERPRISE_TOKEN is no longer valid.\n',
    }));
    assert.deepEqual(await gh.authStatus(runner, '127.0.0.1:8443'), {
      loggedIn: false,
      reason: 'X 127.0.0.1:8443: authentication failed - The token in GH_ENTERPRISE_TOKEN is no longer valid.',
    });
  });
});

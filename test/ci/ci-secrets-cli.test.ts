/**
 * `ci secrets` through deckhand's real entry point where gh is not installed (PATH holds only bash and the real
 * kubectl), and the usage errors that stop it before anything is read from GitHub. Needs no gh: runs everywhere.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { ensureKubeBinaries, type KubeBinaries } from '../support/binaries.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { tempDirs } from '../support/temp.ts';
import { createProject, findOnPath, type ProjectFixture } from './project-fixture.ts';

describe('ci secrets without gh', () => {
  const newDir = tempDirs('ci-secrets-cli');
  let bin: KubeBinaries;
  before(async () => {
    bin = await ensureKubeBinaries();
  });

  function project(options: { env?: NodeJS.ProcessEnv } = {}) {
    const fixture = createProject(newDir());
    const binDir = path.join(fixture.dir, 'bin');
    mkdirSync(binDir);
    symlinkSync(findOnPath('bash')!, path.join(binDir, 'bash'));
    symlinkSync(bin.kubectl, path.join(binDir, 'kubectl'));
    const run = (args: readonly string[]): Promise<CliResult> =>
      runCli(['ci', 'secrets', ...args], { env: { ...fixture.env, PATH: binDir, ...options.env } });
    return { fixture, run };
  }

  function assertNoValue(fixture: ProjectFixture, result: CliResult): void {
    for (const [name, value] of Object.entries(fixture.values))
      assert.ok(!result.output.includes(value), `the output holds ${name}`);
  }

  it('prints the table with "?" for GitHub, the install link, and the by-hand commands', async () => {
    const { fixture, run } = project();
    const result = await run(['--repo', 'acme/deckhand']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.stdout,
      /^KUBE_CONFIG\s+required\s+\?\s+deploy-caelundas, deploy-wpp-bot\s+found: the managed/m,
    );
    assert.match(result.stdout, /^LATITUDE\s+required\s+\?\s+deploy-caelundas\s+found: \.env\.caelundas$/m);
    assert.match(result.stderr, /The GitHub CLI \(gh\) is not available \(not on PATH\)/);
    assert.match(result.stderr, /https:\/\/cli\.github\.com\//);
    const kubectlPipe = `kubectl config view --kubeconfig ${fixture.kubeconfig} --context ${fixture.managedContext} --minify --flatten --raw --output yaml | base64 | gh secret set KUBE_CONFIG --env production --repo acme/deckhand`;
    assert.ok(result.stdout.includes(`  ${kubectlPipe}\n`), result.stdout);
    assert.match(result.stdout, /^ {2}gh secret set JWT_SECRET --env production --repo acme\/deckhand$/m);
    assertNoValue(fixture, result);
  });

  it('--set needs gh: exit 1 with where to get it', async () => {
    const { fixture, run } = project();
    const result = await run(['--set', '--yes', '--repo', 'acme/deckhand']);
    assert.equal(result.code, 1, result.output);
    assert.match(result.stderr, /nor set them/);
    assert.match(result.stderr, /Install it from https:\/\/cli\.github\.com\/ \(Debian\/Ubuntu: apt install gh\)/);
    assertNoValue(fixture, result);
  });

  it('--set --dry-run without gh still shows every command it would run', async () => {
    const { fixture, run } = project();
    const result = await run(['--set', '--dry-run', '--repo', 'acme/deckhand']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.stderr,
      /\[dry run\] would run: gh secret set POSTGRES_PASSWORD --env production --repo acme\/deckhand {2}\(with input on stdin, not shown\)/,
    );
    assertNoValue(fixture, result);
  });

  it('refuses an invalid value before anything else, naming the file but not the value (exit 2)', async () => {
    const { fixture, run } = project({ env: { LATITUDE: '123.4567' } });
    const result = await run(['--set', '--yes', '--repo', 'acme/deckhand']);
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /LATITUDE \(the environment\): expected a number between -90 and 90/);
    assert.doesNotMatch(result.output, /123\.4567/);
    const table = await run(['--repo', 'acme/deckhand']);
    assert.match(table.stdout, /^LATITUDE .*invalid: the environment \(expected a number between -90 and 90\)$/m);
    assertNoValue(fixture, table);
  });

  it('rejects an environment no workflow uses and a malformed --repo (exit 2)', async () => {
    const { run } = project();
    const environment = await run(['--env', 'staging']);
    assert.equal(environment.code, 2, environment.output);
    assert.match(environment.stderr, /No workflow job that uses secrets runs in environment "staging"/);
    assert.match(environment.stderr, /Environments the workflows use: production/);
    const repo = await run(['--repo', 'not a repo']);
    assert.equal(repo.code, 2, repo.output);
    assert.match(repo.stderr, /--repo "not a repo" is not OWNER\/NAME/);
  });

  it('without a managed cluster or KUBECONFIG, says how to get a kubeconfig', async () => {
    const { run } = project({ env: { DECKHAND_STATE_ROOT: newDir() } });
    const result = await run(['--repo', 'acme/deckhand']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^KUBE_CONFIG\s+required\s+\?\s+deploy-caelundas, deploy-wpp-bot\s+missing$/m);
    assert.match(result.stdout, /KUBE_CONFIG: run `npx tsx tasks\.ts kubeconfig`.*or pass --kubeconfig FILE/);
    assert.match(
      result.stdout,
      /kubectl config view --kubeconfig KUBECONFIG_FILE .* \| base64 \| gh secret set KUBE_CONFIG/,
    );
  });
});

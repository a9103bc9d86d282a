/**
 * .github/scripts/runner-kubeconfig.sh, run for real by bash the way the deploy jobs run it: KUBE_CONFIG (base64 or raw) →
 * a 0600 file in RUNNER_TEMP, its credentials masked, KUBECONFIG exported; refused without printing the value when the
 * secret is missing or wrong; removed by `remove`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './workflow-checks.ts';

const SCRIPT = path.join(REPO_ROOT, '.github', 'scripts', 'runner-kubeconfig.sh');
const TOKEN = 'canary-token-8c1f0e5b7a4d';
const CLIENT_KEY = 'Y2FuYXJ5LWNsaWVudC1rZXk=';
const KUBECONFIG_YAML = [
  'apiVersion: v1',
  'kind: Config',
  'clusters:',
  '- cluster:',
  '    server: https://lke.example.invalid:443',
  '  name: lke',
  'contexts:',
  '- context: {cluster: lke, user: lke-admin}',
  '  name: lke-ctx',
  'current-context: lke-ctx',
  'users:',
  '- name: lke-admin',
  '  user:',
  `    token: "${TOKEN}"`,
  `    client-key-data: ${CLIENT_KEY}`,
  '',
].join('\n');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('runner-kubeconfig.sh', () => {
  let dir: string;
  let runnerTemp: string;
  let workspace: string;
  let githubEnv: string;
  const file = () => path.join(runnerTemp, 'deckhand-kubeconfig');

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-kubeconfig-script-'));
    runnerTemp = path.join(dir, 'runner-temp');
    workspace = path.join(dir, 'workspace');
    githubEnv = path.join(dir, 'github-env');
    await Promise.all([mkdir(runnerTemp), mkdir(workspace)]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Runs the script with a loose umask, as a careless runner might have, so the 0600 is the script's doing. */
  function run(action: string, env: Record<string, string>): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        'bash',
        ['-c', 'umask 000; exec bash "$0" "$@"', SCRIPT, action],
        {
          cwd: workspace,
          env: {
            PATH: process.env.PATH,
            RUNNER_TEMP: runnerTemp,
            GITHUB_WORKSPACE: workspace,
            GITHUB_ENV: githubEnv,
            ...env,
          },
          timeout: 30_000,
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  async function expectWritten(result: Run): Promise<void> {
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(await readFile(file(), 'utf8'), KUBECONFIG_YAML);
    assert.equal((await stat(file())).mode & 0o777, 0o600);
    assert.match(await readFile(githubEnv, 'utf8'), new RegExp(`^KUBECONFIG=${file()}$`, 'm'));
    const lines = result.stdout.split('\n');
    // The credentials are masked, and appear nowhere else in what the step prints.
    assert.ok(lines.includes(`::add-mask::${TOKEN}`), result.stdout);
    assert.ok(lines.includes(`::add-mask::${CLIENT_KEY}`), result.stdout);
    for (const secret of [TOKEN, CLIENT_KEY]) {
      assert.equal(lines.filter((line) => line.includes(secret)).length, 1);
      assert.ok(!result.stderr.includes(secret));
    }
  }

  it('decodes the base64 the seed stores (one line) into a 0600 file outside the workspace', async () => {
    await writeFile(githubEnv, '');
    await expectWritten(await run('write', { KUBE_CONFIG: Buffer.from(KUBECONFIG_YAML).toString('base64') }));
    assert.ok(!file().startsWith(workspace));
  });

  it('decodes base64 wrapped at 76 columns with CRLF line ends (as some tools and editors paste it)', async () => {
    await writeFile(githubEnv, '');
    const wrapped = Buffer.from(KUBECONFIG_YAML).toString('base64').replace(/.{76}/g, '$&\r\n');
    await expectWritten(await run('write', { KUBE_CONFIG: wrapped }));
  });

  it('takes the raw YAML too', async () => {
    await writeFile(githubEnv, '');
    await expectWritten(await run('write', { KUBE_CONFIG: KUBECONFIG_YAML.trimEnd() }));
  });

  it('refuses an empty secret with exit 2 and a pointer to the docs, writing nothing', async () => {
    await rm(file(), { force: true });
    await writeFile(githubEnv, '');
    const result = await run('write', { KUBE_CONFIG: '' });
    assert.equal(result.code, 2);
    assert.match(
      result.stdout,
      /^::error title=KUBE_CONFIG::The KUBE_CONFIG secret is empty or not set\..*docs\/github-actions\.md/m,
    );
    await assert.rejects(stat(file()));
    assert.equal(await readFile(githubEnv, 'utf8'), '');
  });

  it('refuses a value that is not a kubeconfig without printing it, and leaves no file', async () => {
    await writeFile(githubEnv, '');
    const value = 'ghp_notAKubeconfigButATokenPastedByMistake0123';
    for (const given of [value, Buffer.from(value).toString('base64')]) {
      const result = await run('write', { KUBE_CONFIG: given });
      assert.equal(result.code, 2);
      assert.match(result.stdout, /KUBE_CONFIG is neither a kubeconfig nor the base64 of one/);
      assert.ok(!(result.stdout + result.stderr).includes(value) && !(result.stdout + result.stderr).includes(given));
      await assert.rejects(stat(file()));
    }
    assert.equal(await readFile(githubEnv, 'utf8'), '');
  });

  it('refuses a RUNNER_TEMP inside the workspace', async () => {
    const result = await new Promise<Run>((resolve) => {
      execFile(
        'bash',
        [SCRIPT, 'write'],
        {
          env: {
            PATH: process.env.PATH,
            RUNNER_TEMP: path.join(workspace, 'tmp'),
            GITHUB_WORKSPACE: workspace,
            GITHUB_ENV: githubEnv,
            KUBE_CONFIG: KUBECONFIG_YAML,
          },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(result.code, 2);
    assert.match(result.stdout, /must be written outside it/);
  });

  it('removes the file, and succeeds when there is none (a job that failed before writing it)', async () => {
    await writeFile(githubEnv, '');
    await expectWritten(await run('write', { KUBE_CONFIG: Buffer.from(KUBECONFIG_YAML).toString('base64') }));
    assert.equal((await run('remove', {})).code, 0);
    await assert.rejects(stat(file()));
    assert.equal((await run('remove', {})).code, 0);
  });

  it('knows only write and remove', async () => {
    const result = await run('show', {});
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage: .*runner-kubeconfig\.sh write\|remove/);
  });
});

/**
 * .github/scripts/kube-tools.ts puts the tested helm and kubectl first on the PATH of a job's later steps: it appends
 * their folder to $GITHUB_PATH, and that folder holds the pinned versions.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EXPECTED_HELM_VERSION, EXPECTED_KUBECTL_VERSION } from '../support/binaries.ts';
import { REPO_ROOT } from './workflow-checks.ts';

const execFileAsync = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, '.github', 'scripts', 'kube-tools.ts');

describe('kube-tools.ts', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-kube-tools-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('appends the folder of the pinned helm and kubectl to $GITHUB_PATH', async () => {
    const githubPath = path.join(dir, 'github-path');
    await execFileAsync(process.execPath, ['--import', 'tsx', SCRIPT], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_PATH: githubPath },
    });
    const lines = (await readFile(githubPath, 'utf8')).split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const binDir = lines[0]!;
    assert.ok(path.isAbsolute(binDir), binDir);
    assert.equal(
      (await execFileAsync(path.join(binDir, 'helm'), ['version', '--template', '{{.Version}}'])).stdout.trim(),
      EXPECTED_HELM_VERSION,
    );
    const kubectl = JSON.parse(
      (await execFileAsync(path.join(binDir, 'kubectl'), ['version', '--client', '-o', 'json'])).stdout,
    ) as { clientVersion: { gitVersion: string } };
    assert.equal(kubectl.clientVersion.gitVersion, EXPECTED_KUBECTL_VERSION);
  });

  it('refuses to run outside a job (no GITHUB_PATH)', async () => {
    await assert.rejects(
      execFileAsync(process.execPath, ['--import', 'tsx', SCRIPT], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      }),
      /GITHUB_PATH is not set/,
    );
  });
});

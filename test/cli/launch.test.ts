/**
 * How deckhand is started: `npx tsx tasks.ts …` from the project folder, the `deckhand` bin from any folder of it,
 * and — on a Node too old for its libraries — one line that says which Node is needed, for every command and for
 * `npm test`. The old Node is the machine's own (/usr/bin/node, Node 20 here); the cases skip where there is none.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { NODE_RANGE, satisfies } from '../../scripts/lib/node-version.js';
import { REPO_ROOT, runCli } from '../support/cli.ts';
import { spawnResult } from './launcher.ts';

const SYSTEM_NODE = '/usr/bin/node';
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');
const BIN = path.join(REPO_ROOT, 'scripts/cli/deckhand.js');
const ONE_LINE = new RegExp(
  `^deckhand needs Node\\.js ${NODE_RANGE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, but this is Node [\\d.]+ \\(${SYSTEM_NODE}\\)\\. Install Node 24 LTS .*\\n$`,
);

/** The machine's own Node when it is too old for deckhand (the point of these cases), else why they skip. */
function oldNode(t: TestContext): boolean {
  if (!existsSync(SYSTEM_NODE)) {
    t.skip(`no ${SYSTEM_NODE} on this machine`);
    return false;
  }
  const version = execFileSync(SYSTEM_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  if (satisfies(version, NODE_RANGE)) {
    t.skip(`${SYSTEM_NODE} is Node ${version}, which deckhand supports`);
    return false;
  }
  return true;
}

const OLD_NODE_ENV = { PATH: `/usr/bin:/bin`, HOME: process.env.HOME, LANG: 'C.UTF-8', NO_COLOR: '1' };

describe('starting deckhand', () => {
  it('on an older Node, every command says in one line which Node it needs, through tsx and the bin alike', async (t) => {
    if (!oldNode(t)) return;
    for (const args of [
      [TSX_CLI, 'tasks.ts', 'deploy', 'caelundas', '--dry-run'],
      [TSX_CLI, 'tasks.ts', '--help'],
      [BIN, 'apps'],
    ]) {
      const result = await spawnResult(SYSTEM_NODE, args, { cwd: REPO_ROOT, env: OLD_NODE_ENV });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, ONE_LINE, args.join(' '));
      assert.equal(result.stdout, '');
    }
  });

  it('on an older Node, `npm test` says the same instead of "bad option: --test-global-setup"', async (t) => {
    if (!oldNode(t) || !existsSync('/usr/bin/npm')) return;
    const result = await spawnResult('/usr/bin/npm', ['test', '--silent'], { cwd: REPO_ROOT, env: OLD_NODE_ENV });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^deckhand needs Node\.js /m);
    assert.doesNotMatch(result.stdout + result.stderr, /bad option|EBADENGINE/);
  });

  it('the deckhand bin runs the same commands from any folder of the project', async () => {
    const fromSubfolder = await spawnResult('npx', ['--no-install', 'deckhand', 'apps', '--json'], {
      cwd: path.join(REPO_ROOT, 'scripts', 'steps'),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, IMAGE_OWNER: 'me', NO_COLOR: '1' },
    });
    assert.equal(fromSubfolder.code, 0, fromSubfolder.stderr);
    const viaTsx = await runCli(['apps', '--json'], { env: { IMAGE_OWNER: 'me' } });
    assert.equal(viaTsx.code, 0, viaTsx.stderr);
    assert.deepEqual(JSON.parse(fromSubfolder.stdout), JSON.parse(viaTsx.stdout));
  });
});

/**
 * Prompts as a person meets them, through a real pseudo-terminal against the simulated cluster: a date range typed
 * the wrong way round is refused as soon as END_DATE is typed; the typed non-sensitive answers are offered for
 * `.env.caelundas` (default no); Esc at a prompt or a picker cancels with exit 130 and nothing done.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createReleasesBed, helmReleases, installRun, type ReleasesBed } from '../releases/bed.ts';
import { KEYS, startCliInPty, type PtySession } from '../support/pty.ts';

const IMAGE = 'ghcr.io/tests/caelundas:1.0.0';
const BACKSPACE = '\x7f';

/** Types an answer and Enter once the prompt for `key` is on the screen. */
async function answer(session: PtySession, key: string, value: string): Promise<void> {
  await session.waitFor(new RegExp(`${key} — `));
  session.type(`${value}\r`);
}

/** The runs that wrote a run.json. */
function recordedRuns(bed: ReleasesBed): string[] {
  return readdirSync(bed.outputDir).filter((name) => existsSync(path.join(bed.outputDir, name, 'run.json')));
}

/** Requests that change something in the cluster. */
function writesTo(bed: ReleasesBed): string[] {
  return bed.sim.requests.filter((request) => request.method !== 'GET').map((r) => `${r.method} ${r.path}`);
}

describe('prompts on a terminal', () => {
  let bed: ReleasesBed;
  let env: NodeJS.ProcessEnv;
  let envDir: string;
  before(async () => {
    bed = await createReleasesBed();
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files: { 'a.ics': 'x' } });
  });
  beforeEach(async () => {
    // Each test starts with no .env.caelundas: every input is asked.
    envDir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-prompts-'));
    env = { ...bed.env, DECKHAND_ENV_DIR: envDir };
    delete env.CI;
  });
  after(async () => {
    await bed?.close();
  });

  const deploy = () =>
    startCliInPty(['deploy', 'caelundas', '--image', IMAGE], { env, cols: 100, rows: 40, watchdogMs: 120_000 });

  it('refuses END_DATE before START_DATE as it is typed, then offers to save the dates and saves them on yes', async () => {
    const session = deploy();
    await session.waitFor(/START_DATE — First day of the calendar/);
    session.type('2026-06-01\r');
    await session.waitFor(/END_DATE — Last day of the calendar/);
    session.type('2026-05-31\r');
    await session.waitFor(/END_DATE must be on or after START_DATE \(got 2026-06-01 → 2026-05-31\)/);
    assert.doesNotMatch(session.screen(), /LATITUDE — /, 'asked again at once, before the other inputs');
    session.type(BACKSPACE.repeat(10));
    session.type('2026-06-30\r');
    await session.waitFor(/LATITUDE — /);
    session.type('40.7128\r');
    await session.waitFor(/LONGITUDE — /);
    session.type('-74.0060\r');
    await session.waitFor(
      /Save START_DATE and END_DATE to \.env\.caelundas for the next run\?\s+\(LATITUDE and LONGITUDE are sensitive: never saved\.\) \(y\/N\)/,
    );
    session.type('y\r');
    const exit = await session.exited;
    assert.equal(exit.exitCode, 0, exit.screen);

    const file = path.join(envDir, '.env.caelundas');
    assert.equal(readFileSync(file, 'utf8'), 'START_DATE=2026-06-01\nEND_DATE=2026-06-30\n');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const rendered = await session.rendered();
    assert.match(rendered.text, /› Saved START_DATE and END_DATE to \S+\.env\.caelundas \(mode 0600\)\./);
    assert.match(rendered.text, /› END_DATE {5}from prompt: 2026-06-30/);
    assert.doesNotMatch(rendered.text, /40\.7128|-74\.0060/, 'the sensitive answers are never shown');
  });

  it('saves nothing when the question is answered with Enter (the default is no)', async () => {
    const session = deploy();
    await answer(session, 'START_DATE', '2026-01-01');
    await answer(session, 'END_DATE', '2026-12-31');
    await answer(session, 'LATITUDE', '1');
    await answer(session, 'LONGITUDE', '2');
    await session.waitFor(/Save START_DATE and END_DATE to \.env\.caelundas for the next run\?[\s\S]*\(y\/N\)/);
    session.type('\r');
    const exit = await session.exited;
    assert.equal(exit.exitCode, 0, exit.screen);
    assert.equal(existsSync(path.join(envDir, '.env.caelundas')), false);
  });

  it('cancels with Esc at an input prompt: exit 130, nothing created', async () => {
    const writesBefore = writesTo(bed).length;
    const runsBefore = recordedRuns(bed);
    const session = deploy();
    await session.waitFor(/START_DATE — First day of the calendar/);
    session.type(KEYS.escape);
    const exit = await session.exited;
    assert.equal(exit.exitCode, 130, exit.screen);
    assert.match(exit.screen, /Cancelled at the prompt; nothing was changed by it\./);
    assert.doesNotMatch(exit.screen, /^\s+at /m, 'no stack trace');
    assert.deepEqual(writesTo(bed).slice(writesBefore), [], 'nothing written to the cluster');
    assert.deepEqual(recordedRuns(bed), runsBefore, 'no run recorded');
  });

  it('cancels with Esc at the uninstall picker: exit 130, the release is still there', async () => {
    await installRun(bed, 'caelundas-20260101-000000');
    const releasesBefore = await helmReleases(bed);
    const session = startCliInPty(['uninstall', 'caelundas'], { env, watchdogMs: 60_000 });
    await session.waitFor(/Releases of caelundas to uninstall[\s\S]*⏎ submit/);
    session.type(KEYS.space); // picked, but not submitted
    session.type(KEYS.escape);
    const exit = await session.exited;
    assert.equal(exit.exitCode, 130, exit.screen);
    assert.deepEqual(await helmReleases(bed), releasesBefore);
  });
});

import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDirs } from '../../../test/support/temp.ts';
import { jobLogSummary, openJobLog } from './job-log.ts';

const tempDir = tempDirs('job-log');
const PLACE = { server: 'https://lke.example:443', namespace: 'caelundas', release: 'caelundas-20260125-143022' };

describe("the Job's saved log", () => {
  it('writes every line as it comes, with a header whenever another pod speaks, and creates the folder', async () => {
    const runDir = path.join(tempDir(), 'lke1', 'caelundas', PLACE.release);
    const log = openJobLog(runDir, PLACE);
    log.write('starting', 'pod-a');
    // Each line is on disk at once: a Ctrl-C or a crash loses nothing that was shown.
    assert.equal(await readFile(path.join(runDir, 'job.log'), 'utf8'), '==> pod pod-a <==\nstarting\n');
    log.write('Error: out of range', 'pod-a');
    log.write('starting', 'pod-b');
    const saved = log.close();
    log.write('too late', 'pod-b');
    assert.deepEqual(saved, { file: path.join(runDir, 'job.log') });
    assert.equal(
      await readFile(saved.file!, 'utf8'),
      '==> pod pod-a <==\nstarting\nError: out of range\n==> pod pod-b <==\nstarting\n',
    );
    assert.equal(
      jobLogSummary(saved, path.dirname(path.dirname(path.dirname(runDir)))),
      `Full log: lke1/caelundas/${PLACE.release}/job.log`,
    );
  });

  it('makes no file when the Job printed nothing, and says nothing about it', async () => {
    const runDir = path.join(tempDir(), 'run');
    const saved = openJobLog(runDir, PLACE).close();
    assert.deepEqual(saved, {});
    assert.equal(jobLogSummary(saved, '/'), undefined);
    await assert.rejects(readdir(runDir), { code: 'ENOENT' });
  });

  it("never writes into a folder that holds another run's record, and says why", async () => {
    const runDir = tempDir();
    const foreign = { release: PLACE.release, namespace: PLACE.namespace, server: 'https://elsewhere:443', copy: {} };
    await writeFile(path.join(runDir, 'run.json'), JSON.stringify(foreign));
    const log = openJobLog(runDir, PLACE);
    log.write('line', 'pod-a');
    const saved = log.close();
    assert.equal(saved.file, undefined);
    assert.match(saved.problem!, /holds the record of another run/);
    assert.deepEqual(await readdir(runDir), ['run.json']);
    assert.match(jobLogSummary(saved, runDir)!, /^The full log was not saved: .* holds the record of another run$/);
  });

  it('keeps the run going when the file cannot be written, and says the log is not saved', async () => {
    const parent = tempDir();
    // A file where the run's folder should be: the folder cannot be made.
    await writeFile(path.join(parent, 'run'), 'in the way');
    const log = openJobLog(path.join(parent, 'run'), PLACE);
    assert.doesNotThrow(() => log.write('line', 'pod-a'));
    const saved = log.close();
    assert.equal(saved.file, undefined);
    assert.match(jobLogSummary(saved, parent)!, /^The full log was not saved: .*(EEXIST|ENOTDIR)/);
  });
});

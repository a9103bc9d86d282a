import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { guardProcessOutput } from './process-output.ts';
import { MASK, SecretMasker } from './redact.ts';

const CANARY = 'canary-S3cr3t"value';

/** A stream whose reader has gone: every write fails with EPIPE, as a pipe to an exited `head` does. */
function closedPipe(): { stream: NodeJS.WriteStream; attempts: () => number } {
  let attempts = 0;
  const stream = new Writable({
    write(_chunk, _encoding, callback) {
      attempts++;
      callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, attempts: () => attempts };
}

function collecting(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

describe('the process output guard', () => {
  it('masks everything written to stdout and stderr, including text from other libraries', () => {
    const masker = new SecretMasker();
    const captured: string[] = [];
    const originalOut = process.stdout.write;
    const originalErr = process.stderr.write;
    const capture = ((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = capture;
    process.stderr.write = capture;
    const guard = guardProcessOutput();
    guard.useMasker(masker);
    try {
      masker.add(CANARY); // registered after the guard is installed: still masked
      process.stdout.write(`out ${CANARY}\n`);
      process.stderr.write(Buffer.from(`err ${CANARY}\n`));
    } finally {
      guard.restore();
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    }
    assert.deepEqual(captured, [`out ${MASK}\n`, `err ${MASK}\n`]);
  });

  it('turns a closed pipe into one notice instead of a crash, and drops later writes to it', async () => {
    const stdout = closedPipe();
    const stderr = collecting();
    const guard = guardProcessOutput({ streams: { stdout: stdout.stream, stderr: stderr.stream } });
    const closed: string[] = [];
    guard.onClosed((stream, code) => closed.push(`${stream} ${code}`));
    stdout.stream.write('line 1\n');
    await new Promise<void>((resolve) => stdout.stream.once('error', () => resolve()));
    assert.deepEqual(closed, ['stdout EPIPE']);
    assert.equal(guard.isClosed('stdout'), true);

    // Later writes do not reach the dead stream (no second error) and still answer a waiting caller.
    await new Promise<void>((resolve) => stdout.stream.write('line 2\n', () => resolve()));
    stdout.stream.write('line 3\n');
    assert.equal(stdout.attempts(), 1);
    assert.deepEqual(closed, ['stdout EPIPE'], 'notified once');

    // The other stream is unaffected.
    stderr.stream.write('still here\n');
    assert.equal(stderr.text(), 'still here\n');
    assert.equal(guard.isClosed('stderr'), false);
    guard.restore();
  });

  it('keeps a failing write after restore from crashing the process (the last message at exit)', async () => {
    const stdout = closedPipe();
    const guard = guardProcessOutput({ streams: { stdout: stdout.stream, stderr: collecting().stream } });
    guard.restore();
    stdout.stream.write('after restore\n');
    // With no handler left, this 'error' would be thrown as an uncaught exception and fail the test.
    await new Promise<void>((resolve) => stdout.stream.once('error', () => resolve()));
    assert.equal(stdout.stream.listenerCount('error'), 1, 'one quiet handler stays');
  });
});

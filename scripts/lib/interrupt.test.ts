import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { InterruptedError } from './errors.ts';
import { REPEAT_GRACE_MS, handleInterrupts } from './interrupt.ts';

function setUp() {
  const signals = new EventEmitter();
  const lines: string[] = [];
  const exits: number[] = [];
  let clock = 1000;
  const interruption = handleInterrupts({
    log: (line) => lines.push(line),
    forceExit: (code) => exits.push(code),
    signals: { on: (name, fn) => signals.on(name, fn), off: (name, fn) => signals.off(name, fn) },
    now: () => clock,
  });
  return {
    interruption,
    lines,
    exits,
    send: (signal: NodeJS.Signals) => signals.emit(signal, signal),
    advance: (ms: number) => {
      clock += ms;
    },
    listeners: () => signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM'),
  };
}

describe('Ctrl-C and SIGTERM', () => {
  it('stops the run on the first signal, with the reason "Interrupted"', () => {
    const { interruption, send, lines, exits } = setUp();
    send('SIGINT');
    assert.equal(interruption.signal.aborted, true);
    assert.ok(interruption.signal.reason instanceof InterruptedError);
    assert.match(interruption.signal.reason.message, /^Interrupted by SIGINT\./);
    assert.deepEqual(lines, ['Received SIGINT: stopping and cleaning up (press Ctrl-C again to quit at once).']);
    assert.deepEqual(exits, []);
  });

  it('takes the copies tsx and npm relay of one Ctrl-C (moments later) as that same Ctrl-C: cleanup still runs', () => {
    const { interruption, send, advance, lines, exits } = setUp();
    send('SIGINT');
    advance(31); // tsx's CLI re-sends the signal after waiting 30 ms for its child to report it
    send('SIGINT');
    advance(REPEAT_GRACE_MS - 32);
    send('SIGINT');
    assert.equal(interruption.signal.aborted, true);
    assert.deepEqual(exits, [], 'never quit without cleanup');
    assert.equal(lines.length, 1, 'the copies are not reported as a second Ctrl-C');
  });

  it('quits at once on a second Ctrl-C pressed after the grace period', () => {
    const { send, advance, lines, exits } = setUp();
    send('SIGINT');
    advance(REPEAT_GRACE_MS);
    send('SIGTERM');
    assert.deepEqual(exits, [130]);
    assert.equal(lines.at(-1), 'Received SIGTERM again: quitting without waiting for cleanup.');
  });

  it('counts the first signal after a closed output pipe as the first Ctrl-C, not a second one', () => {
    const { interruption, send, advance, lines, exits } = setUp();
    interruption.interrupt(new InterruptedError('Interrupted: the output was closed (EPIPE).'));
    advance(10_000);
    send('SIGINT');
    assert.deepEqual(exits, []);
    assert.match(lines.at(-1)!, /already stopping and cleaning up/);
    assert.match(interruption.signal.reason.message, /output was closed/);
    advance(REPEAT_GRACE_MS);
    send('SIGINT');
    assert.deepEqual(exits, [130]);
  });

  it('runs cleanups last first, each once, and a failing one does not stop the others', async () => {
    const { interruption, lines, listeners } = setUp();
    const order: string[] = [];
    interruption.onCleanup(() => void order.push('first'));
    interruption.onCleanup(() => {
      throw new Error('boom');
    });
    const unregister = interruption.onCleanup(() => void order.push('never'));
    interruption.onCleanup(async () => void order.push('last'));
    unregister();
    await interruption.runCleanups();
    await interruption.runCleanups();
    assert.deepEqual(order, ['last', 'first']);
    assert.deepEqual(lines, ['Cleanup failed: boom']);
    assert.equal(listeners(), 2);
    interruption.dispose();
    assert.equal(listeners(), 0);
  });
});

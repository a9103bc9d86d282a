import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogPosition, splitTimestamp } from './log-follow.ts';

describe('splitTimestamp', () => {
  it('splits kubectl --timestamps lines, padding trimmed fractions so that keys sort as times do', () => {
    assert.deepEqual(splitTimestamp('2026-01-25T14:30:22.5Z hello world'), {
      key: '2026-01-25T14:30:22.500000000',
      stamp: '2026-01-25T14:30:22.5Z',
      text: 'hello world',
    });
    assert.equal(splitTimestamp('2026-01-25T14:30:22Z ')!.text, '');
    assert.equal(splitTimestamp('2026-01-25T14:30:22Z')!.key, '2026-01-25T14:30:22.000000000');
    assert.ok(
      splitTimestamp('2026-01-25T14:30:22.5Z x')!.key > splitTimestamp('2026-01-25T14:30:22.123456789Z x')!.key,
    );
    assert.equal(splitTimestamp('no timestamp here'), undefined);
  });
});

describe('LogPosition', () => {
  it('gives each line once across a resumed stream that repeats the last second', () => {
    const position = new LogPosition();
    const first = ['2026-01-25T14:30:21.9Z a', '2026-01-25T14:30:22.1Z b', '2026-01-25T14:30:22.1Z c'];
    assert.deepEqual(
      first.map((line) => position.accept(line)),
      ['a', 'b', 'c'],
    );
    assert.equal(position.since, '2026-01-25T14:30:22.1Z');
    // The API counts sinceTime in whole seconds: the resumed stream starts at 14:30:22 and repeats b and c.
    position.resume();
    const resumed = [
      '2026-01-25T14:30:22.1Z b',
      '2026-01-25T14:30:22.1Z c',
      '2026-01-25T14:30:22.1Z d',
      '2026-01-25T14:30:23Z e',
    ];
    assert.deepEqual(
      resumed.map((line) => position.accept(line)),
      [undefined, undefined, 'd', 'e'],
    );
    assert.equal(position.since, '2026-01-25T14:30:23Z');
  });

  it('drops lines older than the last one seen, and passes lines without a timestamp as they are', () => {
    const position = new LogPosition();
    position.accept('2026-01-25T14:30:22.2Z b');
    position.resume();
    assert.equal(position.accept('2026-01-25T14:30:22.1Z a'), undefined);
    assert.equal(position.accept('plain'), 'plain');
  });
});

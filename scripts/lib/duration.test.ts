import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DURATION_MS, durationProblem, parseDuration, toGoDuration } from './duration.ts';

describe('durations', () => {
  it('accepts what people type, with a unit', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('30m'), 1_800_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('1s'), 1000);
    assert.equal(parseDuration('7d'), MAX_DURATION_MS);
    assert.equal(parseDuration(' 2h '), 7_200_000);
    for (const bad of ['', 'soon', '-5m', '5 m', '10mx', '1w']) assert.equal(parseDuration(bad), undefined, bad);
  });

  it('requires a unit, saying which ones it could be', () => {
    assert.equal(parseDuration('30'), undefined);
    assert.equal(durationProblem('30'), 'a duration with a unit (30s? 30m?)');
    assert.equal(parseDuration('0'), undefined);
  });

  it('is bounded: at least a second, at most 7 days (a longer Node timer would come close to overflowing)', () => {
    assert.equal(durationProblem('600h'), 'a duration of at most 7 days (7d)');
    assert.equal(durationProblem('7d1s'), 'a duration of at most 7 days (7d)');
    assert.equal(durationProblem('500ms'), 'a duration of at least a second (1s)');
    assert.equal(durationProblem('0s'), 'a duration of at least a second (1s)');
    assert.equal(durationProblem('soon'), 'a duration such as 90s, 30m, 1h30m or 2d');
    assert.equal(durationProblem('30m'), undefined);
    // The bound stays below what setTimeout can hold (2^31-1 ms); beyond it a timer fires at once.
    assert.ok(MAX_DURATION_MS < 2 ** 31 - 1);
  });

  it('gives helm and kubectl whole seconds', () => {
    assert.equal(toGoDuration(1500), '2s');
    assert.equal(toGoDuration(10), '1s');
    assert.equal(toGoDuration(600_000), '600s');
  });
});

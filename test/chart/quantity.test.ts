import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it('reads millicores, whole cores and numbers', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('1'), 1);
    assert.equal(parseQuantity(2), 2);
    assert.equal(parseQuantity('1.5'), 1.5);
  });

  it('reads binary and decimal byte suffixes', () => {
    assert.equal(parseQuantity('128Mi'), 128 * 1024 * 1024);
    assert.equal(parseQuantity('1Gi'), 1024 ** 3);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.ok(parseQuantity('1Gi') > parseQuantity('1000Mi'));
  });

  it('rejects text that is not a quantity instead of guessing', () => {
    assert.throws(() => parseQuantity('1 Gi'), /Not a Kubernetes quantity/);
    assert.throws(() => parseQuantity('lots'), /Not a Kubernetes quantity/);
    assert.throws(() => parseQuantity('1GB'), /Not a Kubernetes quantity/);
  });
});

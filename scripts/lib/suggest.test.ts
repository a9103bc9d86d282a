import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closestKey, closestMatch } from './suggest.ts';

const KEYS = ['IMAGE_OWNER', 'IMAGE_REGISTRY', 'LONGITUDE', 'LATITUDE', 'DOMAIN', 'CI_TOKEN'];

describe('suggestions', () => {
  it('finds the env key a typo means: swapped or extra letters, another case', () => {
    assert.equal(closestKey('IMAGE_OWENR', KEYS), 'IMAGE_OWNER');
    assert.equal(closestKey('LONGTITUDE', KEYS), 'LONGITUDE');
    assert.equal(closestKey('image_registry', KEYS), 'IMAGE_REGISTRY');
    assert.equal(closestKey('DOMIAN', KEYS), 'DOMAIN');
  });

  it('leaves known keys and the user’s own keys alone, prefixes included', () => {
    assert.equal(closestKey('IMAGE_OWNER', KEYS), undefined);
    assert.equal(closestKey('IMAGE', KEYS), undefined);
    assert.equal(closestKey('NODE_OPTIONS', KEYS), undefined);
    assert.equal(closestKey('CI', KEYS), undefined);
    assert.equal(closestKey('DOMAINS_LIST', KEYS), undefined);
  });

  it('still takes a prefix for commands (closestMatch)', () => {
    assert.equal(closestMatch('dep', ['deploy', 'doctor']), 'deploy');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyDecision,
  canonicalJson,
  fingerprint,
  holds,
  MANIFEST_HASH,
  resultOf,
  withFingerprint,
} from './compare.ts';
import type { Manifest } from './manifests.ts';

const configMap = (data: Record<string, string>, annotations: Record<string, string> = {}): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', labels: { app: 'x' }, annotations },
  data,
});

/** What the API server returns for an object it stores: defaults and bookkeeping added. */
function stored(object: Manifest): Manifest {
  const copy = structuredClone(object);
  copy.metadata = {
    ...copy.metadata,
    labels: { ...copy.metadata.labels, 'kubernetes.io/metadata.name': 'c' },
    uid: 'u-1',
    resourceVersion: '17',
    creationTimestamp: '2026-01-01T00:00:00Z',
  } as Manifest['metadata'];
  return copy;
}

describe('deciding what a roll-out writes', () => {
  it('writes JSON with sorted keys, and fingerprints without its own bookkeeping', () => {
    assert.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null, z: undefined }), '{"a":null,"b":[1,{"c":2,"d":1}]}');
    const object = configMap({ A: '1' });
    assert.equal(fingerprint(object), fingerprint(withFingerprint(object)), 'the fingerprint ignores itself');
    assert.notEqual(fingerprint(object), fingerprint(configMap({ A: '2' })));
  });

  it('tells whether the cluster holds every value the manifest sets, whatever it added', () => {
    assert.ok(holds({ a: 1, b: { c: [1, { d: 2, e: 3 }] }, extra: true }, { a: 1, b: { c: [1, { d: 2 }] } }));
    assert.ok(!holds({ a: 1 }, { a: 2 }));
    assert.ok(!holds({ list: [1, 2, 3] }, { list: [1, 2] }), 'a list item more is a difference');
    assert.ok(holds({ a: 1 }, { a: 1, b: undefined }), 'an unset field asks for nothing');
  });

  it('creates what is missing, skips what is as wanted, and updates changes made in the manifest or by hand', () => {
    const wanted = withFingerprint(configMap({ A: '1' }));
    assert.equal(applyDecision(wanted, undefined), 'create');
    assert.equal(applyDecision(wanted, stored(wanted)), 'skip');
    const byHand = stored(wanted);
    (byHand['data'] as Record<string, string>).A = 'edited';
    assert.equal(applyDecision(wanted, byHand), 'update', 'kubectl edit is undone');
    // A key removed from the manifest: the server still has it, so only the fingerprint can tell.
    const before = stored(withFingerprint(configMap({ A: '1', OLD: 'x' })));
    assert.equal(applyDecision(wanted, before), 'update');
    const noFingerprint = stored(configMap({ A: '1' }));
    assert.equal(applyDecision(wanted, noFingerprint), 'update', 'applied by someone else first');
    assert.ok(wanted.metadata.annotations?.[MANIFEST_HASH]);
  });

  it('names what an apply did, ignoring status and server bookkeeping', () => {
    const before = stored(withFingerprint(configMap({ A: '1' })));
    const statusOnly = { ...structuredClone(before), status: { observed: 2 } };
    statusOnly.metadata = { ...statusOnly.metadata, resourceVersion: '18' } as Manifest['metadata'];
    assert.equal(resultOf(before, statusOnly), 'unchanged');
    assert.equal(resultOf(before, stored(withFingerprint(configMap({ A: '2' })))), 'configured');
    assert.equal(resultOf(undefined, before), 'created');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedKeys, dockerConfigJson, namespaceManifest, secretManifest } from './cluster-setup.ts';

describe('namespace and Secret manifests', () => {
  it('enforces Pod Security restricted on the namespace, pinned to a version', () => {
    const labels = (namespaceManifest('caelundas').metadata as { labels: Record<string, string> }).labels;
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.match(labels['pod-security.kubernetes.io/enforce-version']!, /^v1\.\d+$/);
    assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
  });

  it('encodes Secret values as base64 data', () => {
    const manifest = secretManifest({ name: 's', namespace: 'n', values: { A: 'x=y', B: 'ünïcode' } });
    assert.deepEqual(manifest.data, { A: 'eD15', B: Buffer.from('ünïcode').toString('base64') });
    assert.equal(manifest.type, 'Opaque');
  });

  it('finds which keys changed, by name only', () => {
    const live = { A: Buffer.from('1').toString('base64'), B: Buffer.from('2').toString('base64'), OLD: Buffer.from('x').toString('base64') };
    assert.deepEqual(changedKeys(live, { A: '1', B: '3', NEW: 'n' }), ['B', 'NEW', 'OLD']);
    assert.deepEqual(changedKeys(live, { A: '1', B: '2', OLD: 'x' }), []);
    assert.deepEqual(changedKeys(undefined, { A: '1' }), ['A']);
  });

  it('builds the docker config a kubelet reads for a private registry', () => {
    const config = JSON.parse(dockerConfigJson('ghcr.io', 'me', 'token-value')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(config.auths['ghcr.io']!.auth, 'base64').toString(), 'me:token-value');
  });
});

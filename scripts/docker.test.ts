import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as docker from './docker.ts';

const BUILD = {
  dockerfile: 'applications/caelundas/Dockerfile',
  context: 'applications/caelundas',
  tags: ['ghcr.io/me/caelundas:sha-1a2b3c4', 'ghcr.io/me/caelundas:1.0.0'],
  platform: 'linux/amd64',
  labels: { 'org.opencontainers.image.revision': '1a2b3c4d' },
};

describe('docker argv', () => {
  it('builds and pushes with buildx for linux/amd64, without provenance, recording the digest', () => {
    assert.deepEqual(docker.buildxBuildArgs({ ...BUILD, push: true, metadataFile: '/tmp/m.json' }), [
      'docker',
      'buildx',
      'build',
      '--platform',
      'linux/amd64',
      '--file',
      'applications/caelundas/Dockerfile',
      '--tag',
      'ghcr.io/me/caelundas:sha-1a2b3c4',
      '--tag',
      'ghcr.io/me/caelundas:1.0.0',
      '--label',
      'org.opencontainers.image.revision=1a2b3c4d',
      '--provenance=false',
      '--metadata-file',
      '/tmp/m.json',
      '--push',
      'applications/caelundas',
    ]);
  });

  it('builds with the classic builder, and pushes each tag', () => {
    assert.deepEqual(docker.classicBuildArgs(BUILD), [
      'docker',
      'build',
      '--platform',
      'linux/amd64',
      '--file',
      'applications/caelundas/Dockerfile',
      '--tag',
      'ghcr.io/me/caelundas:sha-1a2b3c4',
      '--tag',
      'ghcr.io/me/caelundas:1.0.0',
      '--label',
      'org.opencontainers.image.revision=1a2b3c4d',
      'applications/caelundas',
    ]);
    assert.deepEqual(docker.pushArgs('ghcr.io/me/caelundas:1.0.0'), ['docker', 'push', 'ghcr.io/me/caelundas:1.0.0']);
  });

  it('logs in with the password on stdin, never argv', () => {
    assert.deepEqual(docker.loginArgs('ghcr.io', 'me'), [
      'docker',
      'login',
      'ghcr.io',
      '--username',
      'me',
      '--password-stdin',
    ]);
  });

  it('inspects a manifest (plain HTTP for a loopback registry), and reads the digest of the amd64 image', () => {
    assert.deepEqual(docker.manifestInspectArgs('localhost:5000/x:1', true, { verbose: true }), [
      'docker',
      'manifest',
      'inspect',
      '--insecure',
      '--verbose',
      'localhost:5000/x:1',
    ]);
    const single = JSON.stringify({ Descriptor: { digest: 'sha256:aaa', platform: { architecture: 'amd64' } } });
    const index = JSON.stringify([
      { Descriptor: { digest: 'sha256:arm', platform: { architecture: 'arm64' } } },
      { Descriptor: { digest: 'sha256:amd', platform: { architecture: 'amd64' } } },
    ]);
    assert.equal(docker.manifestDigest(single, 'amd64'), 'sha256:aaa');
    assert.equal(docker.manifestDigest(index, 'amd64'), 'sha256:amd');
    assert.equal(docker.manifestDigest(index, 's390x'), undefined);
  });

  it('reads versions and digests from what docker prints', () => {
    assert.equal(docker.parseClientVersion('Docker version 28.2.2, build e6534b4\n'), '28.2.2');
    assert.equal(
      docker.digestFromPushOutput(`1.0.0: digest: sha256:${'a'.repeat(64)} size: 528`),
      `sha256:${'a'.repeat(64)}`,
    );
    assert.equal(docker.digestFromMetadata('{"containerimage.digest":"sha256:bbb"}'), 'sha256:bbb');
    assert.equal(docker.digestFromMetadata('not json'), undefined);
    assert.equal(docker.isLoopbackRegistry('localhost:5000'), true);
    assert.equal(docker.isLoopbackRegistry('ghcr.io'), false);
  });
});

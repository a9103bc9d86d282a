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

describe('docker answers', () => {
  it('asks the engine, not the client, for its version', () => {
    assert.deepEqual(docker.serverVersionArgs(), ['docker', 'version', '--format', '{{.Server.Version}}']);
  });

  it('tells a registry that was never reached from one that has no such image', () => {
    const unreachable = [
      'failed to configure transport: error pinging v2 registry: Get "https://localhost:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
      'Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io on 10.0.0.53:53: no such host',
      'Get "https://ghcr.io/v2/": proxyconnect tcp: dial tcp 127.0.0.1:9: connect: connection refused',
      'Get "https://ghcr.io/v2/": net/http: TLS handshake timeout',
      'Get "https://ghcr.io/v2/": dial tcp 140.82.112.33:443: i/o timeout',
      'Get "https://ghcr.io/v2/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
    ];
    for (const stderr of unreachable) assert.equal(docker.isNetworkFailure(stderr), true, stderr);
    const answered = [
      'no such manifest: localhost:5000/tests/caelundas:sha-1a2b3c4',
      'manifest unknown',
      'errors:\ndenied: requested access to the resource is denied\nunauthorized: authentication required',
      'invalid reference format: repository name (<IMAGE_OWNER>/caelundas) must be lowercase',
    ];
    for (const stderr of answered) assert.equal(docker.isNetworkFailure(stderr), false, stderr);
  });
});

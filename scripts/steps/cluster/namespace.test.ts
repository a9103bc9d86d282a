import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { changedKeys, dockerConfigJson, namespaceManifest, secretManifest } from './namespace.ts';

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
    const live = {
      A: Buffer.from('1').toString('base64'),
      B: Buffer.from('2').toString('base64'),
      OLD: Buffer.from('x').toString('base64'),
    };
    assert.deepEqual(changedKeys(live, { A: '1', B: '3', NEW: 'n' }), ['B', 'NEW', 'OLD']);
    assert.deepEqual(changedKeys(live, { A: '1', B: '2', OLD: 'x' }), []);
    assert.deepEqual(changedKeys(undefined, { A: '1' }), ['A']);
  });

  it('builds the docker config a kubelet reads for a private registry', () => {
    const config = JSON.parse(dockerConfigJson('ghcr.io', 'me', 'token-value')) as {
      auths: Record<string, { auth: string }>;
    };
    assert.equal(Buffer.from(config.auths['ghcr.io']!.auth, 'base64').toString(), 'me:token-value');
  });
});

describe('converging the namespace and Secrets', async () => {
  const {
    convergeNamespaceAndSecrets,
    readLiveState,
    namespaceManifest: ns,
    secretManifest: secret,
  } = await import('./namespace.ts');
  const { fakeRunner, json } = await import('../../../test/support/fake-runner.ts');
  const target = {
    kubeconfig: '/k',
    context: 'c',
    cluster: 'c',
    server: 'https://x',
    namespace: 'caelundas',
    explicit: false,
    kubeconfigSource: 'test',
  };
  const spec = { name: 'caelundas-env-secret', namespace: 'caelundas', values: { START_DATE: '2026-01-01' } };
  const notFound = (what: string) => ({ exitCode: 1, stderr: `Error from server (NotFound): ${what} not found\n` });

  it('reads the namespace and each Secret by API path, one GET each, and writes nothing when all is current', async () => {
    const runner = fakeRunner((command) =>
      command.endsWith('/api/v1/namespaces/caelundas') ? json(ns('caelundas')) : json(secret(spec)),
    );
    const live = await readLiveState(runner, target, 'caelundas', ['caelundas-env-secret']);
    assert.deepEqual(runner.calls.sort(), [
      'kubectl get --raw /api/v1/namespaces/caelundas',
      'kubectl get --raw /api/v1/namespaces/caelundas/secrets/caelundas-env-secret',
    ]);
    const report = await convergeNamespaceAndSecrets(runner, target, 'caelundas', [spec], live);
    assert.deepEqual(report, {
      namespace: 'unchanged',
      secrets: { 'caelundas-env-secret': { result: 'unchanged', changed: [] } },
    });
    assert.deepEqual(runner.writes, []);
  });

  it('takes NotFound as missing, and stops on any other read failure with its message', async () => {
    const missing = await readLiveState(
      fakeRunner((command) =>
        notFound(command.includes('secrets') ? 'secrets "caelundas-env-secret"' : 'namespaces "caelundas"'),
      ),
      target,
      'caelundas',
      ['caelundas-env-secret'],
    );
    assert.deepEqual(missing, { namespace: undefined, secrets: { 'caelundas-env-secret': undefined } });
    const forbidden = fakeRunner(() => ({
      exitCode: 1,
      stderr:
        'Error from server (Forbidden): secrets "caelundas-env-secret" is forbidden: User "ci" cannot get resource "secrets"\n',
    }));
    await assert.rejects(readLiveState(forbidden, target, 'caelundas', ['caelundas-env-secret']), (error: Error) => {
      assert.match(error.message, /Forbidden/);
      assert.match(String((error as { fix?: string }).fix), /permission to read namespaces and Secrets/);
      return true;
    });
  });

  it('applies only what is missing or different, in one server-side apply, values on stdin', async () => {
    const inputs: string[] = [];
    const runner = fakeRunner(() => undefined);
    const original = runner.run.bind(runner);
    runner.run = async (argv, options) => {
      if (options.input !== undefined) inputs.push(String(options.input));
      return original(argv, options);
    };
    const report = await convergeNamespaceAndSecrets(runner, target, 'caelundas', [spec], {
      namespace: ns('caelundas') as never,
      secrets: { 'caelundas-env-secret': undefined },
    });
    assert.equal(report.namespace, 'unchanged');
    assert.deepEqual(report.secrets['caelundas-env-secret'], { result: 'created', changed: ['START_DATE'] });
    assert.deepEqual(runner.writes, [
      'kubectl apply --namespace caelundas --server-side --field-manager deckhand --force-conflicts --filename -',
    ]);
    const applied = parseAllDocuments(inputs[0]!).map((document) => document.toJS() as { kind: string });
    assert.deepEqual(
      applied.map((item) => item.kind),
      ['Secret'],
    );
    assert.ok(!runner.writes.join(' ').includes('2026-01-01'), 'values never on argv');
  });

  it('reports a Secret whose values changed as updated, naming the keys only', async () => {
    const runner = fakeRunner(() => undefined);
    const live = {
      namespace: ns('caelundas') as never,
      secrets: { 'caelundas-env-secret': secret({ ...spec, values: { START_DATE: '2025-01-01', OLD: 'x' } }) as never },
    };
    const report = await convergeNamespaceAndSecrets(runner, target, 'caelundas', [spec], live);
    assert.deepEqual(report.secrets['caelundas-env-secret'], { result: 'updated', changed: ['OLD', 'START_DATE'] });
    assert.equal(runner.writes.length, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_TARGET } from '../test/support/targets.ts';
import { fakeRunner, json } from '../test/support/fake-runner.ts';
import * as helm from './helm.ts';

const TARGET_ARGS = ['--kubeconfig', '/home/me/.kube/lke.yaml', '--kube-context', 'lke-ctx'];

describe('helm argv', () => {
  it('installs a run: target first, values files in order, strings as --set-string, helm-typed values as --set', () => {
    assert.deepEqual(
      helm.installArgs(TEST_TARGET, {
        release: 'caelundas-20260125-143022',
        chart: 'charts/kubernetes-job',
        namespace: 'caelundas',
        valuesFiles: ['base.yaml', 'app.yaml'],
        set: { 'job.backoffLimit': '1' },
        setString: { 'metadata.gitCommit': '1234567' },
        wait: true,
        timeoutMs: 90_500,
      }),
      [
        'helm',
        'install',
        'caelundas-20260125-143022',
        'charts/kubernetes-job',
        ...TARGET_ARGS,
        '--namespace',
        'caelundas',
        '--values',
        'base.yaml',
        '--values',
        'app.yaml',
        '--set',
        'job.backoffLimit=1',
        '--set-string',
        'metadata.gitCommit=1234567',
        '--wait',
        '--timeout',
        '91s',
      ],
    );
  });

  it("tells helm's answers to an install of a name another release holds from other failures", () => {
    assert.ok(helm.releaseNameTaken('Error: INSTALLATION FAILED: release: already exists'));
    assert.ok(
      helm.releaseNameTaken(
        'Error: INSTALLATION FAILED: release name check failed: cannot reuse a name that is still in use',
      ),
    );
    assert.ok(helm.releaseNameTaken('Error: INSTALLATION FAILED: cannot re-use a name that is still in use'));
    assert.ok(!helm.releaseNameTaken('Error: INSTALLATION FAILED: context deadline exceeded'));
    assert.ok(
      !helm.releaseNameTaken('Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress'),
    );
  });

  it('renders a chart without a cluster (no target arguments)', () => {
    assert.deepEqual(
      helm.templateArgs({ release: 'r', chart: 'c', namespace: 'n', valuesFiles: ['v.yaml'], setString: { a: 'b' } }),
      ['helm', 'template', 'r', 'c', '--namespace', 'n', '--values', 'v.yaml', '--set-string', 'a=b'],
    );
  });

  it('lists every live state by name (Helm 4 has no --all), as JSON, filtered', () => {
    assert.deepEqual(helm.listArgs(TEST_TARGET, 'caelundas', '^x$'), [
      'helm',
      'list',
      ...TARGET_ARGS,
      '--namespace',
      'caelundas',
      '--deployed',
      '--failed',
      '--pending',
      '--uninstalling',
      '--output',
      'json',
      '--filter',
      '^x$',
    ]);
  });

  it('reads status and history as JSON, and uninstalls and rolls back with a wait when asked', () => {
    assert.deepEqual(helm.statusArgs(TEST_TARGET, 'ns', 'r'), [
      'helm',
      'status',
      'r',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--output',
      'json',
    ]);
    assert.deepEqual(helm.historyArgs(TEST_TARGET, 'ns', 'r'), [
      'helm',
      'history',
      'r',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--output',
      'json',
    ]);
    assert.deepEqual(helm.uninstallArgs(TEST_TARGET, 'ns', 'r', { wait: true, timeoutMs: 300_000 }), [
      'helm',
      'uninstall',
      'r',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--wait',
      '--timeout',
      '300s',
    ]);
    assert.deepEqual(helm.rollbackArgs(TEST_TARGET, 'ns', 'r', 3), [
      'helm',
      'rollback',
      'r',
      '3',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
    ]);
    assert.deepEqual(helm.versionArgs(), ['helm', 'version', '--template', '{{.Version}}']);
  });

  it('reads history entries with numeric revisions, and none when helm cannot', async () => {
    const shell = fakeRunner((command) =>
      command.startsWith('helm history good')
        ? json([
            { revision: '1', status: 'superseded' },
            { revision: 2, status: 'pending-upgrade' },
          ])
        : { exitCode: 1, stderr: 'Error: release: not found' },
    );
    assert.deepEqual(await helm.history(shell, TEST_TARGET, 'ns', 'good'), [
      { revision: 1, status: 'superseded' },
      { revision: 2, status: 'pending-upgrade' },
    ]);
    assert.deepEqual(await helm.history(shell, TEST_TARGET, 'ns', 'gone'), []);
  });

  it("reads helm's time stamps as ISO 8601", () => {
    assert.equal(helm.parseHelmTime('2026-01-25 14:30:22.123456789 +0000 UTC'), '2026-01-25T14:30:22.123Z');
    assert.equal(helm.parseHelmTime('2026-01-25 16:30:22 +0200'), '2026-01-25T14:30:22.000Z');
    assert.equal(helm.parseHelmTime('yesterday'), undefined);
  });

  it('pins a remote chart: an OCI reference or a repository, at a version, CRDs left to the server-side apply', () => {
    const oci = { chart: 'oci://ghcr.io/traefik/helm/traefik', version: '41.3.0' };
    assert.deepEqual(helm.showCrdsArgs(oci), [
      'helm',
      'show',
      'crds',
      'oci://ghcr.io/traefik/helm/traefik',
      '--version',
      '41.3.0',
    ]);
    assert.deepEqual(
      helm.showCrdsArgs({ ...oci, chart: 'oci://localhost:5000/traefik/helm/traefik', plainHttp: true }),
      ['helm', 'show', 'crds', 'oci://localhost:5000/traefik/helm/traefik', '--version', '41.3.0', '--plain-http'],
    );
    assert.deepEqual(
      helm.upgradeInstallArgs(TEST_TARGET, {
        release: 'headlamp',
        chart: 'headlamp',
        source: { version: '0.45.0', repo: 'https://kubernetes-sigs.github.io/headlamp/' },
        skipCrds: true,
        namespace: 'headlamp',
        valuesFiles: ['k8s/addons/headlamp/values.yaml'],
      }),
      [
        'helm',
        'upgrade',
        '--install',
        'headlamp',
        'headlamp',
        '--version',
        '0.45.0',
        '--repo',
        'https://kubernetes-sigs.github.io/headlamp/',
        '--skip-crds',
        ...TARGET_ARGS,
        '--namespace',
        'headlamp',
        '--values',
        'k8s/addons/headlamp/values.yaml',
      ],
    );
    assert.deepEqual(helm.getValuesArgs(TEST_TARGET, 'traefik', 'traefik'), [
      'helm',
      'get',
      'values',
      'traefik',
      ...TARGET_ARGS,
      '--namespace',
      'traefik',
      '--output',
      'json',
    ]);
  });

  it('treats only loopback OCI registries as plain HTTP', () => {
    for (const reference of [
      'oci://localhost:5000/a',
      'oci://127.0.0.1:5000/a',
      'oci://localhost/a',
      'oci://[::1]:5000/a',
    ])
      assert.equal(helm.isLoopbackOci(reference), true, reference);
    for (const reference of ['oci://ghcr.io/traefik/helm/traefik', 'oci://localhost.example.com/a', 'oci://10.0.0.1/a'])
      assert.equal(helm.isLoopbackOci(reference), false, reference);
  });

  it('reads the values of a release, none as {}, and a missing release as undefined', async () => {
    const given = fakeRunner(() => json({ ports: { web: {} } }));
    assert.deepEqual(await helm.getValues(given, TEST_TARGET, 'traefik', 'traefik'), { ports: { web: {} } });
    const none = fakeRunner(() => ({ stdout: 'null\n' }));
    assert.deepEqual(await helm.getValues(none, TEST_TARGET, 'traefik', 'traefik'), {});
    const missing = fakeRunner(() => ({ exitCode: 1, stderr: 'Error: release: not found' }));
    assert.equal(await helm.getValues(missing, TEST_TARGET, 'traefik', 'traefik'), undefined);
  });
});

describe("helm's schema failures", () => {
  it('are read as the --set-string keys they refuse', () => {
    const stderr = [
      "Error: values don't meet the specifications of the schema(s) in the following chart(s):",
      'kubernetes-job:',
      "- at '/image/repository': 'ghcr.io/<IMAGE_OWNER>/caelundas' does not match pattern '^x$'",
      "- at '/imagePullSecrets/0/name': got number, want string",
      "- at '': missing property 'image'",
    ].join('\n');
    assert.deepEqual(helm.schemaFailurePaths(stderr), ['image.repository', 'imagePullSecrets[0].name', '']);
    assert.deepEqual(helm.schemaFailurePaths('Error: parse error in "templates/job.yaml"'), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_TARGET } from '../test/support/targets.ts';
import { fakeRunner, json } from '../test/support/fake-runner.ts';
import * as kubectl from './kubectl.ts';

const TARGET_ARGS = ['--kubeconfig', '/home/me/.kube/lke.yaml', '--context', 'lke-ctx'];

describe('kubectl argv', () => {
  it('checks the client without a cluster, and the server with a bounded request', () => {
    assert.deepEqual(kubectl.clientVersionArgs(), ['kubectl', 'version', '--client', '--output', 'json']);
    assert.deepEqual(kubectl.serverVersionArgs(TEST_TARGET), [
      'kubectl',
      'version',
      ...TARGET_ARGS,
      '--output',
      'json',
      '--request-timeout',
      '10s',
    ]);
  });

  it('reads one object (absent is not an error), one by API path, and lists by selectors, as JSON', () => {
    assert.deepEqual(kubectl.getArgs(TEST_TARGET, 'job', 'j', 'ns'), [
      'kubectl',
      'get',
      'job',
      'j',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--ignore-not-found',
      '--output',
      'json',
    ]);
    assert.deepEqual(kubectl.getByPathArgs(TEST_TARGET, kubectl.corePath('secrets', 'a b', 'ns')), [
      'kubectl',
      'get',
      '--raw',
      '/api/v1/namespaces/ns/secrets/a%20b',
      ...TARGET_ARGS,
    ]);
    assert.deepEqual(
      kubectl.listArgs(TEST_TARGET, 'pods', { namespace: 'ns', labelSelector: 'a=b', fieldSelector: 'c=d' }),
      [
        'kubectl',
        'get',
        'pods',
        ...TARGET_ARGS,
        '--namespace',
        'ns',
        '--selector',
        'a=b',
        '--field-selector',
        'c=d',
        '--output',
        'json',
      ],
    );
  });

  it('applies server-side from stdin as deckhand, and deletes without failing on what is gone', () => {
    assert.deepEqual(kubectl.applyArgs(TEST_TARGET, { namespace: 'ns' }), [
      'kubectl',
      'apply',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--server-side',
      '--field-manager',
      'deckhand',
      '--force-conflicts',
      '--filename',
      '-',
    ]);
    assert.deepEqual(kubectl.deleteArgs(TEST_TARGET, 'pod', 'p', { namespace: 'ns', wait: true, timeoutMs: 60_000 }), [
      'kubectl',
      'delete',
      'pod',
      'p',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--ignore-not-found',
      '--wait=true',
      '--timeout',
      '60s',
    ]);
  });

  it('creates from stdin with one POST (create-if-absent, validated by the server), and knows its AlreadyExists answer', () => {
    assert.deepEqual(kubectl.createRawArgs(TEST_TARGET, kubectl.coreCollectionPath('secrets', 'ns')), [
      'kubectl',
      'create',
      '--raw',
      '/api/v1/namespaces/ns/secrets?fieldValidation=Strict',
      ...TARGET_ARGS,
      '--filename',
      '-',
    ]);
    assert.equal(kubectl.coreCollectionPath('namespaces'), '/api/v1/namespaces');
    assert.ok(kubectl.isAlreadyExists('Error from server (AlreadyExists): secrets "x-inputs" already exists\n'));
    assert.ok(!kubectl.isAlreadyExists('Error from server (Forbidden): secrets is forbidden\n'));
  });

  it('lists names only, for Secrets', async () => {
    assert.deepEqual(kubectl.listNamesArgs(TEST_TARGET, 'secrets', { namespace: 'ns' }), [
      'kubectl',
      'get',
      'secrets',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--output',
      'name',
    ]);
    const shell = fakeRunner(() => ({ stdout: 'secret/a-inputs\nsecret/sh.helm.release.v1.a.v1\n' }));
    assert.deepEqual(await kubectl.listNames(shell, TEST_TARGET, 'secrets', { namespace: 'ns' }), [
      'a-inputs',
      'sh.helm.release.v1.a.v1',
    ]);
  });

  it('watches one object through a list watch narrowed to its name, and many by selector', () => {
    assert.deepEqual(kubectl.watchArgs(TEST_TARGET, 'ns', 'job', 'j'), [
      'kubectl',
      'get',
      'job',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--field-selector',
      'metadata.name=j',
      '--output',
      'json',
      '--watch',
      '--output-watch-events',
    ]);
    assert.deepEqual(kubectl.listWatchArgs(TEST_TARGET, 'pods', { namespace: 'ns', labelSelector: 'x=y' }), [
      'kubectl',
      'get',
      'pods',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--selector',
      'x=y',
      '--output',
      'json',
      '--watch',
      '--output-watch-events',
    ]);
  });

  it('waits for a condition (by selector when given), streams logs, execs and copies', () => {
    assert.deepEqual(kubectl.waitArgs(TEST_TARGET, 'ns', 'pods', 'delete', 120_000, { selector: 'a=b' }), [
      'kubectl',
      'wait',
      'pods',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--for=delete',
      '--timeout',
      '120s',
      '--selector',
      'a=b',
    ]);
    assert.deepEqual(kubectl.logsArgs(TEST_TARGET, 'ns', 'p', { container: 'c', follow: true, tail: 0 }), [
      'kubectl',
      'logs',
      'p',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--container',
      'c',
      '--follow',
      '--tail',
      '0',
    ]);
    assert.deepEqual(
      kubectl.logsArgs(TEST_TARGET, 'ns', 'p', {
        follow: true,
        timestamps: true,
        sinceTime: '2026-01-25T14:30:22.123456789Z',
      }),
      [
        'kubectl',
        'logs',
        'p',
        ...TARGET_ARGS,
        '--namespace',
        'ns',
        '--follow',
        '--timestamps',
        '--since-time',
        '2026-01-25T14:30:22.123456789Z',
      ],
    );
    assert.deepEqual(kubectl.execArgs(TEST_TARGET, 'ns', 'p', ['tar', 'cf', '-', '/data'], 'copy'), [
      'kubectl',
      'exec',
      'p',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--container',
      'copy',
      '--',
      'tar',
      'cf',
      '-',
      '/data',
    ]);
    assert.deepEqual(kubectl.cpArgs(TEST_TARGET, 'ns', 'p', '/data', '/tmp/out', 'copy'), [
      'kubectl',
      'cp',
      ...TARGET_ARGS,
      '--container',
      'copy',
      'ns/p:/data',
      '/tmp/out',
    ]);
  });

  it('switches a volume to reclaim policy Delete with a merge patch', () => {
    assert.deepEqual(kubectl.patchReclaimPolicyArgs(TEST_TARGET, 'pvc-1', 'Delete'), [
      'kubectl',
      'patch',
      'persistentvolume',
      'pvc-1',
      ...TARGET_ARGS,
      '--type',
      'merge',
      '--patch',
      '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
    ]);
  });

  it('lists volumes, or says why it could not (a namespace-scoped user cannot), and reads their claim', async () => {
    const volume = { metadata: { name: 'pvc-1' }, spec: { claimRef: { name: 'r', namespace: 'ns' } } };
    const allowed = fakeRunner(() => json({ items: [volume] }));
    const listed = await kubectl.listPersistentVolumes(allowed, TEST_TARGET);
    assert.ok(listed.ok);
    assert.deepEqual(kubectl.claimRefOf(listed.volumes[0]!), { name: 'r', namespace: 'ns' });
    const denied = fakeRunner(() => ({
      exitCode: 1,
      stderr: 'Error from server (Forbidden): persistentvolumes is forbidden',
    }));
    assert.deepEqual(await kubectl.listPersistentVolumes(denied, TEST_TARGET), {
      ok: false,
      error: 'Error from server (Forbidden): persistentvolumes is forbidden',
    });
  });

  it('execs with stdin and a TTY only when asked: a dump gets neither', () => {
    assert.deepEqual(
      kubectl.execSessionArgs(TEST_TARGET, 'ns', 'pg-0', ['pg_dump', '-U', 'u'], { container: 'postgres' }),
      [
        'kubectl',
        'exec',
        'pg-0',
        ...TARGET_ARGS,
        '--namespace',
        'ns',
        '--container',
        'postgres',
        '--',
        'pg_dump',
        '-U',
        'u',
      ],
    );
    assert.deepEqual(kubectl.execSessionArgs(TEST_TARGET, 'ns', 'pg-0', ['psql'], { stdin: true, tty: true }), [
      'kubectl',
      'exec',
      'pg-0',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--stdin',
      '--tty',
      '--',
      'psql',
    ]);
  });

  it('port-forwards on loopback, to a port the system picks unless one is given, and reads what kubectl says', () => {
    assert.deepEqual(kubectl.portForwardArgs(TEST_TARGET, 'ns', 'pod/pg-0', 5432), [
      'kubectl',
      'port-forward',
      'pod/pg-0',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--address',
      '127.0.0.1',
      ':5432',
    ]);
    assert.equal(kubectl.portForwardArgs(TEST_TARGET, 'ns', 'pod/pg-0', 5432, 15432).at(-1), '15432:5432');
    assert.equal(kubectl.parseForwardingLine('Forwarding from 127.0.0.1:41234 -> 5432'), 41234);
    assert.equal(kubectl.parseForwardingLine('Handling connection for 41234'), undefined);
    assert.equal(kubectl.portForwardEnding('E0821 … error: lost connection to pod'), 'pod-gone');
    assert.equal(
      kubectl.portForwardEnding('error: unable to forward port because pod is not running. Current status=Pending'),
      'pod-gone',
    );
    assert.equal(
      kubectl.portForwardEnding(
        'Unable to listen on port 5432: Listeners failed to create with the following errors: [unable to create listener: Error listen tcp4 127.0.0.1:5432: bind: address already in use]\nerror: unable to listen on any of the requested ports: [{5432 5432}]',
      ),
      'port-taken',
    );
    assert.equal(kubectl.portForwardEnding('error: You must be logged in to the server (Unauthorized)'), 'other');
  });

  it('asks for a short-lived token as JSON (the expiry the server granted), and asks can-i as someone else', () => {
    assert.deepEqual(kubectl.createTokenArgs(TEST_TARGET, 'wpp-bot', 'headlamp-viewer', 3_600_000), [
      'kubectl',
      'create',
      'token',
      'headlamp-viewer',
      ...TARGET_ARGS,
      '--namespace',
      'wpp-bot',
      '--duration',
      '3600s',
      '--output',
      'json',
    ]);
    assert.deepEqual(
      kubectl.authCanIArgs(TEST_TARGET, 'get', 'secrets', {
        namespace: 'wpp-bot',
        as: 'system:serviceaccount:wpp-bot:headlamp-viewer',
      }),
      [
        'kubectl',
        'auth',
        'can-i',
        'get',
        'secrets',
        ...TARGET_ARGS,
        '--namespace',
        'wpp-bot',
        '--as',
        'system:serviceaccount:wpp-bot:headlamp-viewer',
      ],
    );
  });
});

describe('kubectl config view', () => {
  it('prints one context self-contained (minified, flattened, credentials shown), from the named file only', () => {
    assert.deepEqual(kubectl.configViewMinifiedArgs('/home/me/.kube/lke.yaml', 'lke-ctx'), [
      'kubectl',
      'config',
      'view',
      '--kubeconfig',
      '/home/me/.kube/lke.yaml',
      '--context',
      'lke-ctx',
      '--minify',
      '--flatten',
      '--raw',
      '--output',
      'yaml',
    ]);
    assert.ok(!kubectl.configViewMinifiedArgs('/k.yaml').includes('--context'), "the file's current-context");
  });
});

describe('kubectl argv for roll-outs', () => {
  it('builds the API path of any kind (core, grouped, cluster-scoped) and its plural', () => {
    assert.deepEqual(['Deployment', 'NetworkPolicy', 'Ingress', 'ConfigMap', 'Namespace'].map(kubectl.pluralOf), [
      'deployments',
      'networkpolicies',
      'ingresses',
      'configmaps',
      'namespaces',
    ]);
    assert.equal(
      kubectl.resourcePath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'wpp-bot' }),
      '/apis/apps/v1/namespaces/wpp-bot/deployments',
    );
    assert.equal(
      kubectl.resourcePath({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'wpp-bot', name: 'a b' }),
      '/api/v1/namespaces/wpp-bot/configmaps/a%20b',
    );
    assert.equal(
      kubectl.resourcePath({ apiVersion: 'v1', kind: 'Namespace', namespace: 'ignored', name: 'wpp-bot' }),
      '/api/v1/namespaces/wpp-bot',
    );
  });

  it('rolls a Deployment back to a revision, restarts it, annotates without a roll-out, and reads a previous log', () => {
    assert.deepEqual(kubectl.rolloutUndoArgs(TEST_TARGET, 'ns', 'web', 3), [
      'kubectl',
      'rollout',
      'undo',
      'deployment/web',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--to-revision=3',
    ]);
    assert.deepEqual(kubectl.rolloutRestartArgs(TEST_TARGET, 'ns', 'web'), [
      'kubectl',
      'rollout',
      'restart',
      'deployment/web',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
    ]);
    assert.deepEqual(
      kubectl.annotateArgs(TEST_TARGET, 'ns', 'replicaset/web-1', { 'kubernetes.io/change-cause': 'a b' }),
      [
        'kubectl',
        'annotate',
        'replicaset/web-1',
        ...TARGET_ARGS,
        '--namespace',
        'ns',
        '--overwrite',
        'kubernetes.io/change-cause=a b',
      ],
    );
    assert.deepEqual(kubectl.logsArgs(TEST_TARGET, 'ns', 'p', { container: 'c', previous: true, tail: 5 }), [
      'kubectl',
      'logs',
      'p',
      ...TARGET_ARGS,
      '--namespace',
      'ns',
      '--container',
      'c',
      '--previous',
      '--tail',
      '5',
    ]);
    assert.deepEqual(kubectl.applyArgs(TEST_TARGET, { namespace: 'ns', output: 'json' }).slice(-4), [
      '--output',
      'json',
      '--filename',
      '-',
    ]);
  });
});

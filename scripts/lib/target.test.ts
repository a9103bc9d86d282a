import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig, type GlobalFlags } from './config.ts';
import { UsageError } from './errors.ts';
import { SecretMasker } from './redact.ts';
import {
  helmTargetArgs,
  kubeconfigPermissionProblem,
  kubectlTargetArgs,
  resolveTarget,
  targetBanner,
} from './target.ts';
import { tempDirs } from '../../test/support/temp.ts';

const tempDir = tempDirs('target');

const KUBECONFIG = `apiVersion: v1
kind: Config
current-context: lke1-ctx
clusters:
- name: lke1
  cluster: { server: 'https://one.example:443' }
- name: lke2
  cluster: { server: 'https://two.example:443' }
contexts:
- name: lke1-ctx
  context: { cluster: lke1, user: u }
- name: lke2-ctx
  context: { cluster: lke2, user: u }
users:
- name: u
  user: { token: t }
`;

function setup(flags: Partial<GlobalFlags> = {}, env: NodeJS.ProcessEnv = {}) {
  const home = tempDir();
  const file = path.join(home, 'lke.yaml');
  writeFileSync(file, KUBECONFIG, { mode: 0o600 });
  const fullFlags: GlobalFlags = { dryRun: false, verbose: false, yes: false, ...flags };
  const config = loadConfig({ repoRoot: home, flags: fullFlags, env, interactive: false, masker: new SecretMasker() });
  return { home, file, config, fullFlags };
}

describe('the Kubernetes target', () => {
  it('resolves the current-context, its API server and the app namespace, and passes them explicitly', () => {
    const { file, config, home } = setup({}, {});
    const target = resolveTarget(config, {
      defaultNamespace: 'caelundas',
      managedKubeconfig: file,
      explicitFlags: {},
      homeDir: home,
    });
    assert.equal(target.context, 'lke1-ctx');
    assert.equal(target.server, 'https://one.example:443');
    assert.equal(target.namespace, 'caelundas');
    assert.equal(target.explicit, false);
    assert.deepEqual(kubectlTargetArgs(target), ['--kubeconfig', file, '--context', 'lke1-ctx']);
    assert.deepEqual(helmTargetArgs(target), ['--kubeconfig', file, '--kube-context', 'lke1-ctx']);
    assert.equal(
      targetBanner(target),
      'Target: context "lke1-ctx" · API server https://one.example:443 · namespace "caelundas"',
    );
  });

  it('honours --context, --namespace and --kubeconfig, and marks the choice explicit', () => {
    const base = setup();
    const { config, home } = setup({ kubeconfig: base.file, context: 'lke2-ctx', namespace: 'other' });
    const target = resolveTarget(config, {
      defaultNamespace: 'caelundas',
      explicitFlags: { kubeconfig: base.file, context: 'lke2-ctx' },
      homeDir: home,
    });
    assert.equal(target.server, 'https://two.example:443');
    assert.equal(target.namespace, 'other');
    assert.equal(target.explicit, true);
    assert.equal(target.kubeconfigSource, '--kubeconfig');
  });

  it('prefers KUBECONFIG over the managed kubeconfig, and that over ~/.kube/config', () => {
    const managed = setup();
    const { config, home } = setup({}, {});
    const fromManaged = resolveTarget(config, {
      defaultNamespace: 'ns',
      managedKubeconfig: managed.file,
      explicitFlags: {},
      homeDir: home,
    });
    assert.equal(fromManaged.kubeconfig, managed.file);
    const viaEnv = setup({}, { KUBECONFIG: managed.file });
    assert.equal(
      resolveTarget(viaEnv.config, {
        defaultNamespace: 'ns',
        managedKubeconfig: '/nope',
        explicitFlags: {},
        homeDir: viaEnv.home,
      }).kubeconfigSource,
      'KUBECONFIG',
    );
  });

  it('explains a missing kubeconfig and an unknown context', () => {
    const { config, home } = setup();
    assert.throws(
      () => resolveTarget(config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: home }),
      (error: unknown) =>
        error instanceof UsageError &&
        /No kubeconfig at .*\.kube\/config/.test(error.message) &&
        /npm run sim/.test(error.fix!),
    );
    const wrong = setup({ context: 'nope' });
    assert.throws(
      () =>
        resolveTarget(wrong.config, {
          defaultNamespace: 'ns',
          managedKubeconfig: wrong.file,
          explicitFlags: { context: 'nope' },
          homeDir: wrong.home,
        }),
      (error: unknown) =>
        error instanceof UsageError &&
        /Context "nope" is not in /.test(error.message) &&
        /Contexts there: lke1-ctx, lke2-ctx/.test(error.fix!),
    );
  });

  it('merges a KUBECONFIG that lists several files as kubectl does', () => {
    const dir = tempDir();
    const first = path.join(dir, 'first.yaml');
    const second = path.join(dir, 'second.yaml');
    // first: no current-context; a cluster "shared" and a user "u" that second defines too (first wins, whole).
    writeFileSync(
      first,
      [
        'clusters:',
        '- name: shared',
        "  cluster: { server: 'https://first.example', certificate-authority: ca/first.crt }",
        'users:',
        '- name: u',
        '  user: { client-certificate: certs/u.crt, client-key: /abs/u.key }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    writeFileSync(
      second,
      [
        'current-context: mixed',
        'clusters:',
        "- name: shared\n  cluster: { server: 'https://second.example' }",
        "- name: own\n  cluster: { server: 'https://own.example' }",
        'users:',
        '- name: u\n  user: { token: second-token }',
        '- name: v\n  user: { token: v-token }',
        'contexts:',
        '- name: mixed\n  context: { cluster: shared, user: u, namespace: team }',
        '- name: alone\n  context: { cluster: own, user: v }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const missing = path.join(dir, 'missing.yaml');
    const { config, home } = setup({}, { KUBECONFIG: [missing, first, second, first].join(path.delimiter) });
    const target = resolveTarget(config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: home });
    // current-context from the first file that sets one; the cluster and user of the first file that names them.
    assert.equal(target.context, 'mixed');
    assert.equal(target.server, 'https://first.example');
    assert.match(
      target.kubeconfigSource,
      /^KUBECONFIG: .*first\.yaml:.*second\.yaml, merged as kubectl does; context "mixed" from .*second\.yaml$/,
    );
    assert.ok(target.kubeconfig !== first && target.kubeconfig !== second, 'entries from two files: a merged file');
    assert.equal(statSync(target.kubeconfig).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(target.kubeconfig)).mode & 0o777, 0o700);
    const written = parseYaml(readFileSync(target.kubeconfig, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written.contexts, [
      { name: 'mixed', context: { cluster: 'shared', user: 'u', namespace: 'team' } },
    ]);
    // Relative paths are relative to the file that held them; absolute ones stay.
    assert.deepEqual(written.clusters, [
      {
        name: 'shared',
        cluster: { server: 'https://first.example', 'certificate-authority': path.join(dir, 'ca/first.crt') },
      },
    ]);
    assert.deepEqual(written.users, [
      { name: 'u', user: { 'client-certificate': path.join(dir, 'certs/u.crt'), 'client-key': '/abs/u.key' } },
    ]);
    assert.deepEqual(kubectlTargetArgs(target), ['--kubeconfig', target.kubeconfig, '--context', 'mixed']);

    // A context whose entries all come from one file: that file itself, no copy.
    const alone = setup({ context: 'alone' }, { KUBECONFIG: `${first}${path.delimiter}${second}` });
    const direct = resolveTarget(alone.config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: alone.home });
    assert.equal(direct.kubeconfig, second);
    assert.equal(direct.server, 'https://own.example');

    // Loose permissions on a source file are reported for the merged file.
    chmodSync(first, 0o644);
    assert.match(kubeconfigPermissionProblem(target.kubeconfig)!, /first\.yaml is readable by other users/);
  });

  it('refuses a list given to --kubeconfig, and a KUBECONFIG whose files all are missing', () => {
    const { config, home } = setup({ kubeconfig: 'a.yaml:b.yaml' });
    assert.throws(
      () =>
        resolveTarget(config, {
          defaultNamespace: 'ns',
          explicitFlags: { kubeconfig: 'a.yaml:b.yaml' },
          homeDir: home,
        }),
      (error: unknown) => error instanceof UsageError && /--kubeconfig takes one file/.test(error.message),
    );
    const none = setup({}, { KUBECONFIG: `${home}/a.yaml:${home}/b.yaml` });
    assert.throws(
      () => resolveTarget(none.config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: none.home }),
      /None of the files KUBECONFIG lists exists/,
    );
  });

  it('warns when a kubeconfig can be read by other users', () => {
    const { file } = setup();
    assert.equal(kubeconfigPermissionProblem(file), undefined);
    chmodSync(file, 0o644);
    assert.match(kubeconfigPermissionProblem(file)!, /readable by other users \(mode 644\).*chmod 600/);
  });
});

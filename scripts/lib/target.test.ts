import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
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

  it('explains a missing kubeconfig, an unknown context and a multi-file KUBECONFIG', () => {
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
    const multi = setup({}, { KUBECONFIG: `${wrong.file}:${home}/other` });
    assert.throws(
      () => resolveTarget(multi.config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: multi.home }),
      /lists several files/,
    );
  });

  it('warns when a kubeconfig can be read by other users', () => {
    const { file } = setup();
    assert.equal(kubeconfigPermissionProblem(file), undefined);
    chmodSync(file, 0o644);
    assert.match(kubeconfigPermissionProblem(file)!, /readable by other users \(mode 644\).*chmod 600/);
  });
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { GlobalFlags } from './config.ts';
import { assertManagedTarget, sameServer } from './cluster-guard.ts';
import { writeManagedCluster, type ManagedCluster } from './cluster-state.ts';
import { createCommandContext } from '../cli/context.ts';
import { UsageError } from './errors.ts';
import type { KubeTarget } from './target.ts';
import { tempDirs } from '../../test/support/temp.ts';

const tempDir = tempDirs('guard');

function kubeconfig(dir: string, name: string, server: string): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${name}-ctx`,
      `clusters: [{ name: ${name}, cluster: { server: "${server}" } }]`,
      `users: [{ name: ${name}-admin, user: { token: t } }]`,
      `contexts: [{ name: ${name}-ctx, context: { cluster: ${name}, user: ${name}-admin } }]`,
    ].join('\n'),
    { mode: 0o600 },
  );
  return file;
}

const MANAGED_SERVER = 'https://0b9a3c11.us-east-2-gw.linodelke.net:443';
const OTHER_SERVER = 'https://10.0.0.7:6443';

function target(overrides: Partial<KubeTarget>): KubeTarget {
  return {
    kubeconfig: '/k.yaml',
    context: 'other-ctx',
    cluster: 'other',
    server: OTHER_SERVER,
    namespace: 'apps',
    explicit: false,
    kubeconfigSource: 'KUBECONFIG',
    ...overrides,
  };
}

const managed: ManagedCluster = {
  label: 'deckhand',
  server: MANAGED_SERVER,
  kubeconfig: '/home/me/.kube/deckhand-kubeconfig.yaml',
  context: 'lke424242-ctx',
  clusterId: 424242,
  recordedAt: '2026-01-01T00:00:00Z',
};

describe('the cluster guard', () => {
  it('refuses a write to another API server, saying which cluster is managed, which was targeted and what to do', () => {
    assert.throws(
      () => assertManagedTarget(target({}), managed),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /managed: {2}"deckhand" at https:\/\/0b9a3c11\.us-east-2-gw\.linodelke\.net:443/);
        assert.match(
          error.message,
          /targeted: context "other-ctx" at https:\/\/10\.0\.0\.7:6443 \(kubeconfig \/k\.yaml, from KUBECONFIG\)/,
        );
        assert.match(error.fix!, /--context other-ctx or --kubeconfig \/k\.yaml/);
        assert.match(error.fix!, /npx tsx tasks\.ts kubeconfig/);
        return true;
      },
    );
  });

  it('lets through the managed server however it is spelled, a target named on the command line, and anything when no cluster is recorded', () => {
    assert.doesNotThrow(() =>
      assertManagedTarget(target({ server: 'https://0B9A3C11.us-east-2-gw.linodelke.net/' }), managed),
    );
    assert.doesNotThrow(() => assertManagedTarget(target({ explicit: true }), managed));
    assert.doesNotThrow(() => assertManagedTarget(target({}), undefined));
    assert.equal(sameServer('https://a.example:443', 'https://a.example'), true);
    assert.equal(sameServer('https://a.example:6443', 'https://a.example:443'), false);
  });
});

describe('CommandContext.resolveTarget with the guard', () => {
  const flags = (extra: Partial<GlobalFlags> = {}): GlobalFlags => ({
    dryRun: false,
    verbose: false,
    yes: false,
    ...extra,
  });

  function setUp() {
    const repoRoot = tempDir();
    const home = tempDir();
    const managedFile = kubeconfig(home, 'lke424242', MANAGED_SERVER);
    const otherFile = kubeconfig(home, 'other', OTHER_SERVER);
    return { repoRoot, home, managedFile, otherFile };
  }

  async function resolve(
    repoRoot: string,
    env: NodeJS.ProcessEnv,
    extra: Partial<GlobalFlags>,
    forWrite: boolean,
  ): Promise<KubeTarget> {
    const ctx = createCommandContext(
      { command: 'deploy', args: {}, options: {}, flags: flags(extra) },
      { repoRoot, env },
    );
    try {
      return ctx.resolveTarget('apps', forWrite ? { forWrite: true } : undefined);
    } finally {
      await ctx.close();
    }
  }

  it('refuses a foreign cluster that KUBECONFIG points at for writes, but still allows reads', async () => {
    const { repoRoot, home, managedFile, otherFile } = setUp();
    writeManagedCluster(repoRoot, { ...managed, kubeconfig: managedFile, context: 'lke424242-ctx' });
    const env = { HOME: home, KUBECONFIG: otherFile };
    await assert.rejects(
      resolve(repoRoot, env, {}, true),
      (error: unknown) =>
        error instanceof UsageError && /Refusing to change a cluster this project does not manage/.test(error.message),
    );
    assert.equal((await resolve(repoRoot, env, {}, false)).server, OTHER_SERVER);
  });

  it('allows the foreign cluster when --kubeconfig or --context names it explicitly', async () => {
    const { repoRoot, home, managedFile, otherFile } = setUp();
    writeManagedCluster(repoRoot, { ...managed, kubeconfig: managedFile });
    assert.equal((await resolve(repoRoot, { HOME: home }, { kubeconfig: otherFile }, true)).server, OTHER_SERVER);
    assert.equal(
      (await resolve(repoRoot, { HOME: home, KUBECONFIG: otherFile }, { context: 'other-ctx' }, true)).server,
      OTHER_SERVER,
    );
  });

  it('targets the managed cluster by default and lets writes through to it', async () => {
    const { repoRoot, home, managedFile } = setUp();
    writeManagedCluster(repoRoot, { ...managed, kubeconfig: managedFile });
    const resolved = await resolve(repoRoot, { HOME: home }, {}, true);
    assert.equal(resolved.kubeconfig, managedFile);
    assert.equal(resolved.server, MANAGED_SERVER);
  });

  it('does not guard anything when no managed cluster is recorded', async () => {
    const { repoRoot, home, otherFile } = setUp();
    assert.equal((await resolve(repoRoot, { HOME: home, KUBECONFIG: otherFile }, {}, true)).server, OTHER_SERVER);
  });

  it('reads the record from DECKHAND_STATE_ROOT when it is set', async () => {
    const { repoRoot, home, managedFile, otherFile } = setUp();
    const stateRoot = tempDir();
    writeManagedCluster(stateRoot, { ...managed, kubeconfig: managedFile });
    await assert.rejects(
      resolve(repoRoot, { HOME: home, KUBECONFIG: otherFile, DECKHAND_STATE_ROOT: stateRoot }, {}, true),
      UsageError,
    );
    assert.equal(
      (await resolve(repoRoot, { HOME: home, DECKHAND_STATE_ROOT: stateRoot }, {}, false)).kubeconfig,
      managedFile,
    );
  });
});

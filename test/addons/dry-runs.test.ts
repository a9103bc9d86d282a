/**
 * Every add-on and access command with --dry-run on a machine without any cluster: no kubeconfig at all. Each says
 * so, shows the commands it would run against a placeholder target, changes nothing, and exits 0; the token command
 * prints nothing on stdout (there is no token). The Traefik chart reference points at a closed loopback port, so the
 * chart read a dry run attempts fails at once instead of reaching the internet.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { freePort } from '../support/postgres.ts';

const home = mkdtempSync(path.join(os.tmpdir(), 'deckhand-nocluster-'));

async function dryRun(args: string[]) {
  const closed = await freePort();
  const { binDir } = await ensureKubeBinaries();
  return runCli([...args, '--dry-run'], {
    env: {
      PATH: `${binDir}${path.delimiter}${process.env['PATH']}`,
      HOME: home,
      CI: 'true',
      DECKHAND_ENV_DIR: home,
      DECKHAND_STATE_ROOT: home,
      DECKHAND_BACKUP_DIR: path.join(home, 'backups'),
      DECKHAND_TRAEFIK_CHART: `oci://127.0.0.1:${closed}/traefik/helm/traefik`,
      DECKHAND_HEADLAMP_CHART_REPO: `http://127.0.0.1:${closed}/`,
      ACME_EMAIL: 'ops@example.com',
      DOMAIN: 'example.com',
    },
  });
}

const NO_CLUSTER = /Target: no cluster \(dry run: No kubeconfig at .*\.kube\/config/;

describe('dry runs without a cluster', { concurrency: 4 }, () => {
  after(() => rmSync(home, { recursive: true, force: true }));

  it('ingress install shows the namespace, CRD and helm commands and the wait', async () => {
    const result = await dryRun(['ingress', 'install']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, NO_CLUSTER);
    assert.match(result.output, /could not read the chart's CRDs \(.*connection refused\); a real run needs the chart/);
    assert.match(
      result.output,
      /would run: helm upgrade --install traefik oci:\/\/127\.0\.0\.1:\d+\/traefik\/helm\/traefik --version 41\.3\.0 --plain-http --skip-crds --kubeconfig '<kubeconfig>'/,
    );
    assert.match(result.output, /--set-string certificatesResolvers\.letsencrypt\.acme\.email=ops@example\.com/);
    assert.match(result.output, /would wait: kubectl wait service\/traefik/);
    assert.match(result.output, /DNS records to create once the NodeBalancer has an address:\n.*api\.example\.com/);
    assert.match(result.output, /Dry run done: nothing was changed/);
  });

  it('ingress status says there is nothing to show', async () => {
    const result = await dryRun(['ingress', 'status']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stderr, /Nothing to show without a cluster/);
  });

  it('db connect, psql -c and dump show the kubectl commands, and write no file', async () => {
    for (const [action, ...rest] of [['connect'], ['psql', '-c', 'select 1'], ['dump']]) {
      const result = await dryRun(['db', action!, 'wpp-bot', ...rest]);
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.stderr,
        /would run: kubectl (port-forward|exec) '(pod\/)?<database pod>' --kubeconfig '<kubeconfig>'/,
      );
    }
    assert.equal(existsSync(path.join(home, 'backups')), false);
  });

  it('dashboard install and token show what they would do; token prints nothing on stdout', async () => {
    const install = await dryRun(['dashboard', 'install']);
    assert.equal(install.code, 0, install.output);
    assert.match(
      install.output,
      /would run: helm upgrade --install headlamp headlamp --version 0\.45\.0 --repo http:\/\/127\.0\.0\.1:\d+\//,
    );
    const token = await dryRun(['dashboard', 'token', 'wpp-bot']);
    assert.equal(token.code, 0, token.output);
    assert.equal(token.stdout, '');
    assert.match(
      token.stderr,
      /would run: kubectl create token headlamp-viewer --kubeconfig '<kubeconfig>' .*--duration 3600s/,
    );
    assert.match(token.stderr, /Dry run done: no token was issued/);
  });

  it('usage errors come before anything else (exit 2)', async () => {
    const [noApp, jobApp, shortToken] = await Promise.all([
      dryRun(['dashboard', 'token']),
      dryRun(['db', 'dump', 'caelundas']),
      dryRun(['dashboard', 'token', 'wpp-bot', '--duration', '1m']),
    ]);
    assert.deepEqual([noApp.code, jobApp.code, shortToken.code], [2, 2, 2]);
    assert.match(noApp.stderr, /Which app\?/);
    assert.match(jobApp.stderr, /caelundas has no database/);
    assert.match(shortToken.stderr, /too short/);
  });
});

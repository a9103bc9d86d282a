/**
 * `tasks.ts kubeconfig` as users run it, off a terminal, with a temporary HOME: against the loopback Linode API
 * stand-in (which also answers `/version` as the cluster), the real kubectl, and the stand-in terraform. Project
 * state goes to a temp folder (DECKHAND_STATE_ROOT); linode-cli and the real terraform are kept off PATH.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { installFakeTerraform, markTerraformApplied } from '../support/fake-terraform.ts';
import { startLinodeApiServer, type LinodeApiServer } from '../support/linode-api-server.ts';

const TOKEN = 'kubeconfig-cli-token-7c1e5a9b3d2f4e6a8b0c';
const CLUSTER_TOKEN = 'lke-cluster-admin-token-0f9e8d7c6b5a';
const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/terraform');

let server: LinodeApiServer;
let kubeBinDir: string;
const dirs: string[] = [];

before(async () => {
  [server, { binDir: kubeBinDir }] = await Promise.all([
    startLinodeApiServer({
      token: TOKEN,
      clusterToken: CLUSTER_TOKEN,
      clusters: [
        { id: 424242, label: 'deckhand' },
        { id: 7, label: 'other' },
      ],
    }),
    ensureKubeBinaries(),
  ]);
});
after(async () => {
  await server.close();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

function setUp() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'deckhand-kubeconfig-cli-'));
  dirs.push(root);
  const home = path.join(root, 'home');
  const bin = path.join(root, 'bin');
  const tfDir = path.join(root, 'terraform');
  mkdirSync(home);
  mkdirSync(tfDir);
  const env = {
    PATH: [bin, kubeBinDir, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: home,
    LINODE_TOKEN: TOKEN,
    LINODE_API_URL: server.apiUrl,
    DECKHAND_TERRAFORM_DIR: tfDir,
    DECKHAND_STATE_ROOT: root,
  };
  return {
    root,
    home,
    bin,
    tfDir,
    run: (args: string[], extra: Record<string, string> = {}) => runCli(args, { env: { ...env, ...extra } }),
  };
}

function assertNoSecrets(result: CliResult): void {
  assert.ok(!result.output.includes(TOKEN), 'the Linode token was printed');
  assert.ok(!result.output.includes(CLUSTER_TOKEN), "the cluster's admin token was printed");
}

describe('tasks.ts kubeconfig', { concurrency: true }, () => {
  it('downloads the kubeconfig through the API, writes it 0600, checks the cluster and records it; a second run changes nothing and --merge backs up ~/.kube/config', async () => {
    const { root, home, run } = setUp();
    const file = path.join(home, '.kube', 'deckhand-kubeconfig.yaml');

    const first = await run(['kubeconfig', '--cluster-id', '424242']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `export KUBECONFIG=${file}\n`);
    assert.equal(readFileSync(file, 'utf8'), server.kubeconfigOf(424242));
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.match(first.stderr, /Kubeconfig of cluster "deckhand" \(id 424242\) from the Linode API/);
    assert.match(first.stderr, /Wrote .*deckhand-kubeconfig\.yaml \(mode 0600\)/);
    assert.match(first.stderr, /The cluster answers: Kubernetes v1\.34\.2/);
    assert.match(first.stderr, /Recorded "deckhand" as the cluster this project manages/);
    const record = JSON.parse(readFileSync(path.join(root, '.deckhand', 'cluster.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    assert.deepEqual(
      { ...record, recordedAt: undefined },
      {
        label: 'deckhand',
        server: server.url,
        kubeconfig: file,
        context: 'lke424242-ctx',
        clusterId: 424242,
        recordedAt: undefined,
      },
    );

    const kubeDir = path.join(home, '.kube');
    writeFileSync(
      path.join(kubeDir, 'config'),
      'apiVersion: v1\nkind: Config\ncurrent-context: mine\nclusters: []\nusers: []\ncontexts: [{name: mine, context: {cluster: x, user: y}}]\n',
      { mode: 0o600 },
    );
    const recordBefore = readFileSync(path.join(root, '.deckhand', 'cluster.json'), 'utf8');
    const fileTime = statSync(file).mtimeMs;

    const second = await run(['kubeconfig', '--cluster-id', '424242', '--merge']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /deckhand-kubeconfig\.yaml is unchanged\./);
    assert.match(second.stderr, /"deckhand" is already the cluster this project manages\./);
    assert.match(
      second.stderr,
      /Updated .*\.kube\/config \(mode 0600\)\. Backup of the previous file: .*config\.backup-/,
    );
    assert.equal(statSync(file).mtimeMs, fileTime);
    assert.equal(readFileSync(path.join(root, '.deckhand', 'cluster.json'), 'utf8'), recordBefore);
    const merged = parseYaml(readFileSync(path.join(kubeDir, 'config'), 'utf8')) as {
      'current-context': string;
      contexts: { name: string }[];
    };
    assert.equal(merged['current-context'], 'mine');
    assert.deepEqual(
      merged.contexts.map((context) => context.name),
      ['mine', 'lke424242-ctx'],
    );
    assert.equal(readdirSync(kubeDir).filter((name) => name.startsWith('config.backup-')).length, 1);
    for (const result of [first, second]) assertNoSecrets(result);
  });

  it('takes the kubeconfig from the terraform outputs after `infra apply`, without asking the Linode API', async () => {
    const { bin, tfDir, home, run } = setUp();
    writeFileSync(path.join(tfDir, 'main.tf'), '# stand-in\n');
    // A cluster only terraform knows about: any call to the API for it would fail with 404.
    const outputs = JSON.parse(readFileSync(path.join(FIXTURES, 'outputs.json'), 'utf8')) as Record<
      string,
      { value: unknown }
    >;
    outputs.kubeconfig!.value = Buffer.from(server.kubeconfigOf(31337)).toString('base64');
    outputs.cluster_id!.value = '31337';
    outputs.cluster_label!.value = 'made-by-terraform';
    installFakeTerraform(bin, { planJson: {}, outputs });
    markTerraformApplied(tfDir);
    const result = await run(['kubeconfig'], { LINODE_TOKEN: '' });
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stderr,
      /Kubeconfig of cluster "made-by-terraform" \(id 31337\) from the terraform outputs in /,
    );
    assert.match(result.stderr, /The cluster answers/);
    assert.equal(
      readFileSync(path.join(home, '.kube', 'made-by-terraform-kubeconfig.yaml'), 'utf8'),
      server.kubeconfigOf(31337),
    );
    assert.ok(!server.requests.some((request) => request.path.includes('/31337')), 'no Linode API call was needed');
    assertNoSecrets(result);
  });

  it('finds a cluster by --label, and explains a rejected token and a missing cluster choice without printing the token', async () => {
    const { home, run } = setUp();
    const [byLabel, rejected, unspecified] = await Promise.all([
      run(['kubeconfig', '--label', 'other']),
      run(['kubeconfig', '--cluster-id', '424242'], { LINODE_TOKEN: `${TOKEN}x` }),
      run(['kubeconfig']),
    ]);
    assert.equal(byLabel.code, 0, byLabel.stderr);
    assert.match(byLabel.stderr, /Kubeconfig of cluster "other" \(id 7\) from the Linode API/);
    assert.equal(readFileSync(path.join(home, '.kube', 'other-kubeconfig.yaml'), 'utf8'), server.kubeconfigOf(7));
    assert.equal(rejected.code, 1, rejected.stderr);
    assert.match(rejected.stderr, /✖ The Linode API rejected the token \(401: Invalid Token\)\.\n→ Check LINODE_TOKEN/);
    assert.ok(!rejected.output.includes(`${TOKEN}x`));
    assert.equal(unspecified.code, 2, unspecified.stderr);
    assert.match(unspecified.stderr, /Which cluster\? There are no terraform outputs with a kubeconfig/);
    assert.match(unspecified.stderr, /--cluster-id ID/);
  });
});

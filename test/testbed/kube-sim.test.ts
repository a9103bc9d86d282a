/**
 * Proof that the real helm 4.1.4 (and kubectl for inspection) work against kube-sim: release lifecycle with
 * server-side apply and with `--server-side=false`, `--wait` / `--wait-for-jobs`, the immutable Job template
 * refusal, and loud gaps for requests the simulator does not implement.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { REPO_ROOT } from '../support/binaries.ts';
import { startKubeSim } from '../../kube-sim/index.ts';
import { withKubeSim } from '../support/kube-sim-harness.ts';
import { createSandbox } from '../support/sandbox.ts';

const CHART = path.join(REPO_ROOT, 'test', 'fixtures', 'charts', 'kube-sim-demo');

interface HelmListEntry {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
}

function conditionStatus(obj: Record<string, unknown> | undefined, type: string): string | undefined {
  const conditions =
    (obj?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conditions.find((c) => c.type === type)?.status;
}

describe('kube-sim with the real helm, and its gaps and CLI', { concurrency: 4 }, () => {
  test('upgrade --install --wait deploys a chart, and list, status, history, get values and uninstall agree', async () => {
    await withKubeSim(async ({ helmOk, helm, kubectlJson, sim }) => {
      const install = await helmOk([
        'upgrade',
        '--install',
        'demo',
        CHART,
        '-n',
        'apps',
        '--create-namespace',
        '--wait',
        '--timeout',
        '30s',
        '--set',
        'message=first',
      ]);
      assert.match(install, /STATUS: deployed/);
      const deployment = sim.get('apps/v1', 'Deployment', 'apps', 'demo-web');
      assert.equal(
        conditionStatus(deployment, 'Available'),
        'True',
        '--wait returned only once the Deployment was available',
      );
      assert.ok(
        sim.requests.some((r) => r.method === 'PATCH' && r.contentType === 'application/apply-patch+yaml'),
        'helm 4 applied server-side by default',
      );
      assert.ok(
        sim.requests.some((r) => r.method === 'POST' && r.contentType === 'application/vnd.kubernetes.protobuf'),
        'the release Secret arrived as protobuf',
      );
      assert.ok(
        sim.requests.some((r) => r.path.includes('sendInitialEvents=true')),
        'helm waited with the WatchList dialect',
      );

      await helmOk(['upgrade', '--install', 'demo', CHART, '-n', 'apps', '--wait', '--set', 'message=second']);
      const inNamespace = JSON.parse(await helmOk(['list', '-n', 'apps', '-o', 'json'])) as HelmListEntry[];
      assert.deepEqual(
        inNamespace.map((r) => [r.name, r.namespace, r.revision, r.status, r.chart]),
        [['demo', 'apps', '2', 'deployed', 'kube-sim-demo-0.1.0']],
      );
      // Helm 4 has no `list --all`; -A and --filter are what remains of that request.
      const everywhere = JSON.parse(
        await helmOk(['list', '-A', '--filter', '^demo$', '-o', 'json']),
      ) as HelmListEntry[];
      assert.deepEqual(
        everywhere.map((r) => r.name),
        ['demo'],
      );

      const status = JSON.parse(await helmOk(['status', 'demo', '-n', 'apps', '-o', 'json'])) as {
        version: number;
        info: { status: string };
      };
      assert.deepEqual([status.version, status.info.status], [2, 'deployed']);
      const history = JSON.parse(await helmOk(['history', 'demo', '-n', 'apps', '-o', 'json'])) as Array<{
        revision: number;
        status: string;
      }>;
      assert.deepEqual(
        history.map((h) => [h.revision, h.status]),
        [
          [1, 'superseded'],
          [2, 'deployed'],
        ],
      );
      const values = JSON.parse(await helmOk(['get', 'values', 'demo', '-n', 'apps', '-o', 'json'])) as Record<
        string,
        unknown
      >;
      assert.deepEqual(values, { message: 'second' });
      const configMap = await kubectlJson<{ data: Record<string, string> }>([
        'get',
        'configmap',
        'demo-config',
        '-n',
        'apps',
      ]);
      assert.equal(configMap.data['message'], 'second');

      const uninstall = await helm(['uninstall', 'demo', '-n', 'apps', '--wait', '--timeout', '30s']);
      assert.equal(uninstall.code, 0, uninstall.stderr);
      assert.deepEqual(JSON.parse(await helmOk(['list', '-A', '-o', 'json'])), []);
      assert.equal(sim.get('apps/v1', 'Deployment', 'apps', 'demo-web'), undefined);
      assert.deepEqual(
        sim.list('v1', 'Secret', 'apps').filter((s) => s.metadata.name?.startsWith('sh.helm.release')),
        [],
      );
    });
  });

  test('--server-side=false installs and upgrades through client-side three-way strategic merge patches', async () => {
    await withKubeSim(async ({ helmOk, sim }) => {
      await helmOk([
        'upgrade',
        '--install',
        'csa',
        CHART,
        '-n',
        'csa',
        '--create-namespace',
        '--server-side=false',
        '--wait',
        '--set',
        'web.replicas=2',
      ]);
      await helmOk([
        'upgrade',
        '--install',
        'csa',
        CHART,
        '-n',
        'csa',
        '--server-side=false',
        '--wait',
        '--set',
        'web.replicas=1',
        '--set',
        'message=bye',
      ]);
      const patches = sim.requests.filter((r) => r.method === 'PATCH' && r.path.includes('/namespaces/csa/'));
      assert.ok(
        patches.length > 0 && patches.every((r) => r.contentType === 'application/strategic-merge-patch+json'),
        'upgrade patches are strategic merge patches',
      );
      assert.equal(
        sim.get('v1', 'ConfigMap', 'csa', 'csa-config')?.['data'] &&
          (sim.get('v1', 'ConfigMap', 'csa', 'csa-config')?.['data'] as Record<string, string>)['message'],
        'bye',
      );
      const deployment = sim.get('apps/v1', 'Deployment', 'csa', 'csa-web');
      assert.equal((deployment?.['spec'] as { replicas: number }).replicas, 1);
      assert.equal((deployment?.['status'] as { availableReplicas: number }).availableReplicas, 1);
    });
  });

  test('--wait-for-jobs waits for the Job, and an upgrade that changes its pod template is refused as immutable', async () => {
    await withKubeSim(async ({ helm, helmOk, sim }) => {
      await helmOk([
        'upgrade',
        '--install',
        'batch',
        CHART,
        '-n',
        'jobs',
        '--create-namespace',
        '--set',
        'web.enabled=false',
        '--set',
        'job.enabled=true',
        '--wait',
        '--wait-for-jobs',
        '--timeout',
        '30s',
      ]);
      assert.equal(
        conditionStatus(sim.get('batch/v1', 'Job', 'jobs', 'batch-batch'), 'Complete'),
        'True',
        '--wait-for-jobs returned after completion',
      );
      assert.ok(sim.pvcFiles('jobs', 'batch-output').has('kube-sim-output.txt'), 'the Job wrote into its PVC');

      const refused = await helm([
        'upgrade',
        '--install',
        'batch',
        CHART,
        '-n',
        'jobs',
        '--set',
        'web.enabled=false',
        '--set',
        'job.enabled=true',
        '--set',
        'job.args={--out,/elsewhere}',
        '--wait',
        '--wait-for-jobs',
      ]);
      assert.notEqual(refused.code, 0);
      assert.match(
        refused.stderr,
        /UPGRADE FAILED: .*Job\.batch "batch-batch" is invalid: spec\.template: Invalid value: .*field is immutable/,
      );
      const history = JSON.parse(await helmOk(['history', 'batch', '-n', 'jobs', '-o', 'json'])) as Array<{
        revision: number;
        status: string;
      }>;
      assert.deepEqual(
        history.map((h) => [h.revision, h.status]),
        [
          [1, 'deployed'],
          [2, 'failed'],
        ],
      );

      await helmOk(['rollback', 'batch', '1', '-n', 'jobs', '--wait']);
      const afterRollback = JSON.parse(await helmOk(['status', 'batch', '-n', 'jobs', '-o', 'json'])) as {
        version: number;
        info: { status: string };
      };
      assert.deepEqual([afterRollback.version, afterRollback.info.status], [3, 'deployed']);
    });
  });

  test('hook Jobs run before the release is applied, and a failing hook fails the upgrade', async () => {
    await withKubeSim(async ({ helm, helmOk, sim }) => {
      await helmOk([
        'upgrade',
        '--install',
        'hooked',
        CHART,
        '-n',
        'hooks',
        '--create-namespace',
        '--set',
        'hook.enabled=true',
        '--wait',
      ]);
      const jobRequests = sim.requests
        .filter((r) => r.path.startsWith('/apis/batch/v1/namespaces/hooks/jobs/hooked-migrate'))
        .map((r) => `${r.method} ${r.status}`);
      assert.deepEqual(
        jobRequests,
        ['DELETE 404', 'PATCH 201', 'DELETE 200'],
        'before-hook-creation delete, create, hook-succeeded delete',
      );
      assert.equal(sim.get('batch/v1', 'Job', 'hooks', 'hooked-migrate'), undefined);

      sim.setJobBehavior({ name: 'hooked-migrate' }, { outcome: 'fail', delayMs: 30 });
      const failed = await helm([
        'upgrade',
        '--install',
        'hooked',
        CHART,
        '-n',
        'hooks',
        '--set',
        'hook.enabled=true',
        '--set',
        'message=v2',
        '--wait',
      ]);
      assert.notEqual(failed.code, 0);
      assert.match(
        failed.stderr,
        /UPGRADE FAILED: pre-upgrade hooks failed: resource Job\/hooks\/hooked-migrate not ready\. status: Failed/,
      );
      assert.equal(
        (sim.get('v1', 'ConfigMap', 'hooks', 'hooked-config')?.['data'] as Record<string, string>)['message'],
        'hello',
        'the release was not applied',
      );
    });
  });

  test('a release seeded as pending-upgrade through put() blocks the next upgrade, as an interrupted one does', async () => {
    await withKubeSim(async ({ helm, helmOk, sim }) => {
      await helmOk([
        'upgrade',
        '--install',
        'stuck',
        CHART,
        '-n',
        'apps',
        '--create-namespace',
        '--set',
        'web.enabled=false',
      ]);
      const secret = sim.get('v1', 'Secret', 'apps', 'sh.helm.release.v1.stuck.v1');
      assert.ok(secret, 'helm stored revision 1 as a Secret');
      // data.release is base64 (Kubernetes) of base64 (helm) of gzip of the release JSON.
      const encoded = (secret['data'] as Record<string, string>)['release'] ?? '';
      const release = JSON.parse(
        gunzipSync(Buffer.from(Buffer.from(encoded, 'base64').toString(), 'base64')).toString(),
      ) as { info: { status: string } };
      release.info.status = 'pending-upgrade';
      const reencoded = Buffer.from(gzipSync(Buffer.from(JSON.stringify(release))).toString('base64')).toString(
        'base64',
      );
      sim.put({
        ...secret,
        metadata: { ...secret.metadata, labels: { ...secret.metadata.labels, status: 'pending-upgrade' } },
        data: { release: reencoded },
      });

      const blocked = await helm(['upgrade', '--install', 'stuck', CHART, '-n', 'apps', '--set', 'web.enabled=false']);
      assert.notEqual(blocked.code, 0);
      assert.match(blocked.stderr, /another operation \(install\/upgrade\/rollback\) is in progress/);
      const listed = JSON.parse(await helmOk(['list', '-n', 'apps', '--pending', '-o', 'json'])) as HelmListEntry[];
      assert.deepEqual(
        listed.map((r) => [r.name, r.status]),
        [['stuck', 'pending-upgrade']],
      );
    });
  });

  test('--wait-for-jobs fails the release when its Job fails', async () => {
    await withKubeSim(async ({ helm, helmOk, sim }) => {
      sim.setJobBehavior({ name: 'bad-batch' }, { outcome: 'fail', exitCode: 3, delayMs: 50 });
      const result = await helm([
        'upgrade',
        '--install',
        'bad',
        CHART,
        '-n',
        'jobs',
        '--create-namespace',
        '--set',
        'web.enabled=false',
        '--set',
        'job.enabled=true',
        '--wait',
        '--wait-for-jobs',
        '--timeout',
        '20s',
      ]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /bad-batch/);
      assert.equal(conditionStatus(sim.get('batch/v1', 'Job', 'jobs', 'bad-batch'), 'Failed'), 'True');
      const status = JSON.parse(await helmOk(['status', 'bad', '-n', 'jobs', '-o', 'json'])) as {
        info: { status: string };
      };
      assert.equal(status.info.status, 'failed');
      const failed = JSON.parse(await helmOk(['list', '-A', '--failed', '-o', 'json'])) as HelmListEntry[];
      assert.deepEqual(
        failed.map((r) => [r.name, r.status]),
        [['bad', 'failed']],
      );
    });
  });

  test('unimplemented requests and exec commands are answered loudly and recorded as gaps', async () => {
    const sim = await startKubeSim({ quiet: true });
    const sandbox = await createSandbox(sim);
    try {
      const result = await sandbox.run(sandbox.bin.kubectl, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /NotFound|not found/i);
      const response = await fetch(`${sim.url}/apis/example.com/v1/widgets`);
      assert.equal(response.status, 404);
      assert.match(
        await response.text(),
        /kube-sim does not implement this: no route for GET \/apis\/example\.com\/v1\/widgets/,
      );

      const pod =
        'apiVersion: v1\nkind: Pod\nmetadata: {name: shell}\nspec:\n  containers: [{name: sh, image: busybox:1.36, command: [sleep, infinity]}]\n';
      assert.equal((await sandbox.run(sandbox.bin.kubectl, ['apply', '-f', '-'], { input: pod })).code, 0);
      assert.equal(
        (await sandbox.run(sandbox.bin.kubectl, ['wait', '--for=condition=Ready', 'pod/shell', '--timeout=10s'])).code,
        0,
      );
      const exec = await sandbox.run(sandbox.bin.kubectl, ['exec', 'shell', '--', 'sh', '-c', 'echo hi']);
      assert.equal(exec.code, 127);
      assert.match(exec.stderr, /kube-sim: exec command not implemented: sh -c echo hi/);

      assert.deepEqual(
        sim.gaps.map((g) => g.path),
        [
          '/apis/metrics.k8s.io/v1beta1/nodes',
          '/apis/example.com/v1/widgets',
          '/api/v1/namespaces/default/pods/shell/exec',
        ],
      );
      assert.match(sim.gaps[2]?.reason ?? '', /exec command not implemented: \["sh","-c","echo hi"\]/);
      assert.throws(() => sim.assertNoGaps(), /kube-sim recorded 3 gap\(s\)/);
    } finally {
      await sandbox.cleanup();
      await sim.stop();
    }
  });

  test('the sim CLI serves a cluster kubectl can use, writes a 0600 kubeconfig and exits cleanly on Ctrl-C', async () => {
    const sandbox = await createSandbox();
    try {
      const kubeconfig = path.join(sandbox.dir, 'sim.kubeconfig');
      const cli = sandbox.start(
        process.execPath,
        ['--import', 'tsx', path.join(REPO_ROOT, 'kube-sim', 'cli.ts'), '--kubeconfig', kubeconfig, '--latency', '5'],
        {
          cwd: REPO_ROOT,
          // The test runner marks its children; the CLI deliberately does not serve inside a test file.
          env: { NODE_TEST_CONTEXT: undefined },
        },
      );
      const banner = await cli.waitForOutput('kubectl get ns', 20_000);
      assert.match(banner, new RegExp(`export KUBECONFIG=${kubeconfig.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.equal((await stat(kubeconfig)).mode & 0o777, 0o600);
      const namespaces = await sandbox.run(
        sandbox.bin.kubectl,
        ['get', 'ns', '-o', 'jsonpath={.items[*].metadata.name}'],
        { env: { KUBECONFIG: kubeconfig } },
      );
      assert.equal(namespaces.stdout, 'default kube-node-lease kube-public kube-system', namespaces.stderr);
      const context = await sandbox.run(sandbox.bin.kubectl, ['config', 'current-context'], {
        env: { KUBECONFIG: kubeconfig },
      });
      assert.equal(context.stdout.trim(), 'kube-sim');
      const stopped = await cli.stop('SIGINT');
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /kube-sim stopped\. Requests answered: \d+; gaps: 0\./);
    } finally {
      await sandbox.cleanup();
    }
  });
});

describe('kube-sim latency', () => {
  /** Milliseconds until the response (or the upgrade's answer) to one request on `agent`. */
  function timeRequest(url: string, agent: Agent, headers: Record<string, string> = {}): Promise<number> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now() - started));
      });
      req.on('upgrade', (_res, socket) => {
        socket.destroy();
        resolve(performance.now() - started);
      });
      req.on('error', reject);
      req.end();
    });
  }

  test('delays every answer, upgrades (exec) included, and the first on each connection once more (the handshakes)', async () => {
    const sim = await startKubeSim({ latencyMs: 150, connectLatencyMs: 300, quiet: true });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await timeRequest(`${sim.url}/version`, agent);
      const second = await timeRequest(`${sim.url}/version`, agent);
      assert.ok(first >= 440, `first request on a connection: ${first.toFixed(0)} ms`);
      assert.ok(second >= 140 && second < 400, `a later request on the same connection: ${second.toFixed(0)} ms`);
      const upgrade = await timeRequest(
        `${sim.url}/api/v1/namespaces/default/pods/none/exec?command=true&stdout=true`,
        new Agent(),
        {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      );
      assert.ok(upgrade >= 440, `an exec upgrade on a new connection: ${upgrade.toFixed(0)} ms`);
    } finally {
      agent.destroy();
      await sim.stop();
    }
  });
});

/**
 * Proof that the real kubectl 1.34.5 port-forwards through kube-sim as through a cluster: SPDY tunnelled over
 * WebSocket (its default) and the plain SPDY/3.1 upgrade it falls back to, a Service resolved to a pod by kubectl
 * itself, several connections at once, byte-exact data, and what kubectl says and does when the pod goes away.
 * Behind the pod's port: the real PostgreSQL of the test bed, or a small HTTP server on loopback.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { withKubeSim, type SimCluster } from '../support/kube-sim-harness.ts';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

const POSTGRES = `
apiVersion: v1
kind: Namespace
metadata: {name: wpp-bot}
---
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: wpp-bot, labels: {app: postgres}}
spec:
  containers:
  - name: postgres
    image: postgres:17
    ports: [{name: postgres, containerPort: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: wpp-bot}
spec:
  selector: {app: postgres}
  ports: [{name: postgres, port: 5432, targetPort: postgres}]
`;

const WEB = `
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  containers:
  - {name: web, image: nginx:1.27, ports: [{containerPort: 8080}]}
`;

/** Starts `kubectl port-forward` and returns the local port it listens on (it prints it once it is ready). */
async function portForward(cluster: SimCluster, args: string[], env: NodeJS.ProcessEnv = {}) {
  const running = cluster.sandbox.start(
    cluster.sandbox.bin.kubectl,
    ['port-forward', '--address', '127.0.0.1', ...args],
    { env },
  );
  const ready = await running.waitForOutput(/Forwarding from 127\.0\.0\.1:(\d+) ->/);
  const localPort = Number(/Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(ready)?.[1]);
  return { running, localPort };
}

describe('port-forward through kube-sim with the real kubectl', { concurrency: 3 }, () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  let web: Server;
  const body = randomBytes(3 * 1024 * 1024);
  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) skip = started.skip;
    else pg = started;
    web = createServer((req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
        res.end(body);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`hello from ${req.url}\n`);
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await pg?.stop();
    await new Promise((resolve) => web.close(resolve));
  });

  async function psql(localPort: number, sql: string) {
    const bin = path.join(pg!.binDir, 'psql');
    return execFileAsync(bin, ['-XAt', '-c', sql], {
      env: { ...process.env, ...pg!.clientEnv, PGHOST: '127.0.0.1', PGPORT: String(localPort) },
    });
  }

  for (const [transport, env] of [
    ['websocket', {}],
    ['spdy', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    test(`svc/postgres resolves to the pod and the real psql queries the real PostgreSQL through it (${transport})`, async (t) => {
      if (!pg) return t.skip(skip);
      await withKubeSim(async (cluster) => {
        const { kubectlOk, sim } = cluster;
        sim.setPortBackend({ namespace: 'wpp-bot', labels: { app: 'postgres' } }, 5432, {
          host: '127.0.0.1',
          port: pg!.port,
        });
        await kubectlOk(['apply', '-f', '-'], { input: POSTGRES });
        await kubectlOk(['wait', '-n', 'wpp-bot', '--for=condition=Ready', 'pod/postgres-0', '--timeout=10s']);
        const { running, localPort } = await portForward(cluster, ['-n', 'wpp-bot', 'svc/postgres', ':5432'], env);
        try {
          const first = await psql(localPort, 'select current_user, current_database(), 6 * 7');
          assert.equal(first.stdout.trim(), 'wppbot|wppbot|42');
          // Several connections at once, each its own pair of streams.
          const answers = await Promise.all([1, 2, 3, 4].map((n) => psql(localPort, `select ${n}, pg_sleep(0.05)`)));
          assert.deepEqual(
            answers.map((a) => a.stdout.trim().split('|')[0]),
            ['1', '2', '3', '4'],
          );
          const failed = await psql(localPort, 'select * from no_such_table').then(
            () => undefined,
            (error: { code: number; stderr: string }) => error,
          );
          assert.equal(failed?.code, 1);
          assert.match(failed?.stderr ?? '', /relation "no_such_table" does not exist/);
        } finally {
          await running.stop('SIGINT');
        }
        assert.equal(sim.portForwards.length, 6);
        assert.ok(
          sim.portForwards.every(
            (r) => r.pod === 'postgres-0' && r.port === 5432 && r.transport === transport && r.error === undefined,
          ),
          JSON.stringify(sim.portForwards),
        );
        assert.match(running.stdout(), /Handling connection for \d+/);
        await sim.waitFor(() => sim.openPortForwards() === 0, { description: 'the session ends with kubectl' });
      });
    });
  }

  test('HTTP through a forwarded pod port is byte-exact, also for a large body and in parallel', async () => {
    await withKubeSim(async (cluster) => {
      const { kubectlOk, sim } = cluster;
      sim.setPortBackend({ name: 'web' }, 8080, { host: '127.0.0.1', port: (web.address() as AddressInfo).port });
      await kubectlOk(['apply', '-f', '-'], { input: WEB });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/web', '--timeout=10s']);
      const localPort = await freePort();
      const { running } = await portForward(cluster, ['pod/web', `${localPort}:8080`]);
      try {
        const texts = await Promise.all(
          ['/a', '/b', '/c'].map(async (p) => (await fetch(`http://127.0.0.1:${localPort}${p}`)).text()),
        );
        assert.deepEqual(texts, ['hello from /a\n', 'hello from /b\n', 'hello from /c\n']);
        const big = Buffer.from(await (await fetch(`http://127.0.0.1:${localPort}/big`)).arrayBuffer());
        assert.equal(big.length, body.length);
        assert.equal(createHash('sha256').update(big).digest('hex'), createHash('sha256').update(body).digest('hex'));
      } finally {
        await running.stop('SIGINT');
      }
    });
  });

  test('deleting the pod ends the forward: kubectl reports the lost connection and exits non-zero', async () => {
    await withKubeSim(async (cluster) => {
      const { kubectlOk, sim } = cluster;
      sim.setPortBackend({ name: 'web' }, 8080, { host: '127.0.0.1', port: (web.address() as AddressInfo).port });
      await kubectlOk(['apply', '-f', '-'], { input: WEB });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/web', '--timeout=10s']);
      const { running, localPort } = await portForward(cluster, ['pod/web', ':8080']);
      assert.equal(await (await fetch(`http://127.0.0.1:${localPort}/before`)).text(), 'hello from /before\n');
      await kubectlOk(['delete', 'pod', 'web', '--wait=false']);
      const result = await running.exited;
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /error: lost connection to pod/);
      assert.equal(sim.openPortForwards(), 0);
      await assert.rejects(fetch(`http://127.0.0.1:${localPort}/after`), 'nothing listens on the local port any more');
    });
  });

  test('a refused connection inside the pod is printed by kubectl, which then gives up on the pod', async () => {
    await withKubeSim(async (cluster) => {
      const { kubectlOk, sim } = cluster;
      // A port backend that nothing listens on: the container's server is down.
      sim.setPortBackend({ name: 'web' }, 8080, { host: '127.0.0.1', port: await freePort() });
      await kubectlOk(['apply', '-f', '-'], { input: WEB });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/web', '--timeout=10s']);
      const { running, localPort } = await portForward(cluster, ['pod/web', ':8080']);
      await assert.rejects(fetch(`http://127.0.0.1:${localPort}/`));
      const result = await running.exited;
      assert.equal(result.code, 1, result.stderr);
      assert.match(
        result.stderr,
        /an error occurred forwarding \d+ -> 8080: error forwarding port 8080 to pod [\w-]+, uid : .*connect: connection refused/,
      );
      assert.match(result.stderr, /error: lost connection to pod/);
      assert.match(sim.portForwards[0]?.error ?? '', /connection refused/);
    });
  });

  test('kubectl refuses a pod that is not running before it opens a connection', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk, sim }) => {
      // A claim that does not exist keeps the pod Pending (FailedScheduling).
      await kubectlOk(['apply', '-f', '-'], {
        input:
          'apiVersion: v1\nkind: Pod\nmetadata: {name: waiting}\nspec:\n  containers: [{name: c, image: busybox:1.36}]\n  volumes: [{name: d, persistentVolumeClaim: {claimName: missing}}]\n',
      });
      await sim.waitFor(() => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'FailedScheduling'), {
        description: 'FailedScheduling',
      });
      const result = await kubectl(['port-forward', 'pod/waiting', ':80'], { timeoutMs: 20_000 });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /unable to forward port because pod is not running\. Current status=Pending/);
      assert.equal(sim.portForwards.length, 0);
    });
  });
});

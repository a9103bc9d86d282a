import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { NOT_READY, startLinodeApiServer, type LinodeApiServer } from '../test/support/linode-api-server.ts';
import * as linode from './linode.ts';
import { SecretMasker } from './lib/redact.ts';
import { createShell } from './lib/shell.ts';

const TOKEN = 'f00dfeedcafe0123456789abcdef0123456789abcdef0123456789abcdef0123';
const CLUSTERS = [
  { id: 101, label: 'shared' },
  { id: 102, label: 'deckhand' },
  { id: 103, label: 'shared' },
  { id: 104, label: 'other' },
  { id: 105, label: 'shared' },
];

let server: LinodeApiServer;
const dirs: string[] = [];
before(async () => {
  server = await startLinodeApiServer({ token: TOKEN, clusters: CLUSTERS, defaultPageSize: 2 });
});
after(async () => {
  await server.close();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** A client whose waits are recorded instead of spent. */
function client(options: Partial<linode.LinodeClientOptions> = {}) {
  const sleeps: number[] = [];
  const logs: string[] = [];
  const instance = linode.createLinodeClient({
    token: TOKEN,
    baseUrl: server.apiUrl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    log: (line) => logs.push(line),
    retry: { baseDelayMs: 100, maxDelayMs: 400, notReadyTimeoutMs: 10_000, attempts: 3 },
    ...options,
  });
  return { instance, sleeps, logs };
}

async function rejection(promise: Promise<unknown>): Promise<linode.LinodeApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof linode.LinodeApiError, `expected a LinodeApiError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

function assertNoToken(error: unknown): void {
  const everything = `${inspect(error, { depth: 10 })} ${JSON.stringify(error)} ${(error as Error).message} ${(error as { fix?: string }).fix ?? ''}`;
  assert.ok(!everything.includes(TOKEN), 'the token appears in the error');
}

describe('the Linode API client', () => {
  it('follows every page of a filtered list, sending the token as a bearer header', async () => {
    const before = server.requests.length;
    const clusters = await client().instance.findClustersByLabel('shared');
    assert.deepEqual(
      clusters.map((cluster) => cluster.id),
      [101, 103, 105],
    );
    const requests = server.requests.slice(before);
    assert.deepEqual(
      requests.map((request) => [request.path, request.query.page]),
      [
        ['/v4/lke/clusters', '1'],
        ['/v4/lke/clusters', '2'],
      ],
    );
    assert.ok(requests.every((request) => request.authorized && request.filter === '{"label":"shared"}'));
  });

  it('waits while the kubeconfig is "not yet available" (503), backing off, then decodes it', async () => {
    server.enqueue(
      '/v4/lke/clusters/102/kubeconfig',
      { status: 503, body: NOT_READY },
      { status: 503, body: NOT_READY },
    );
    const { instance, sleeps, logs } = client();
    const yaml = await instance.getKubeconfig(102);
    assert.equal((parseYaml(yaml) as { 'current-context': string })['current-context'], 'lke102-ctx');
    assert.deepEqual(sleeps, [100, 200]);
    assert.match(logs[0]!, /Kubeconfig of LKE cluster 102: Cluster kubeconfig is not yet available/);
  });

  it('gives up on a kubeconfig that stays unavailable, saying the cluster is probably still being created', async () => {
    server.enqueue(
      '/v4/lke/clusters/102/kubeconfig',
      ...Array.from({ length: 3 }, () => ({ status: 503, body: NOT_READY })),
    );
    const { instance, sleeps } = client({ retry: { baseDelayMs: 100, maxDelayMs: 100, notReadyTimeoutMs: 250 } });
    const error = await rejection(instance.getKubeconfig(102));
    assert.equal(error.status, 503);
    assert.deepEqual(sleeps, [100, 100]);
    assert.match(error.message, /still not available after waiting 200 ms/);
    assert.match(error.fix!, /still being created/);
  });

  it('does not wait out a 503 during API maintenance', async () => {
    server.enqueue('/v4/lke/clusters/102', {
      status: 503,
      body: { errors: [{ reason: 'Maintenance' }] },
      headers: { 'X-Maintenance-Mode': 'true' },
    });
    const { instance, sleeps } = client();
    const error = await rejection(instance.getCluster(102));
    assert.equal(error.status, 503);
    assert.deepEqual(sleeps, []);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    server.enqueue('/v4/lke/clusters/102', {
      status: 429,
      body: { errors: [{ reason: 'Too many requests' }] },
      headers: { 'Retry-After': '1' },
    });
    const { instance, sleeps } = client();
    assert.equal((await instance.getCluster(102)).label, 'deckhand');
    assert.deepEqual(sleeps, [1000]);
  });

  it('really waits the Retry-After seconds when no test clock is injected', async () => {
    server.enqueue('/v4/lke/clusters/104', {
      status: 429,
      body: { errors: [{ reason: 'Too many requests' }] },
      headers: { 'Retry-After': '1' },
    });
    const instance = linode.createLinodeClient({ token: TOKEN, baseUrl: server.apiUrl });
    const started = performance.now();
    assert.equal((await instance.getCluster(104)).label, 'other');
    assert.ok(performance.now() - started >= 950, 'waited about a second');
  });

  it('explains a rate limit that outlasts its retries, without retrying a very long Retry-After', async () => {
    const limited = {
      status: 429,
      body: { errors: [{ reason: 'Too many requests' }] },
      headers: { 'Retry-After': '1' },
    };
    server.enqueue('/v4/lke/clusters/102', limited, limited, limited);
    const exhausted = await rejection(client().instance.getCluster(102));
    assert.equal(exhausted.status, 429);
    assert.match(
      exhausted.message,
      /limiting requests from this token \(429: Too many requests\)\. Still limited after 3 tries\./,
    );

    server.enqueue('/v4/lke/clusters/102', { ...limited, headers: { 'Retry-After': '3600' } });
    const { instance, sleeps } = client();
    const long = await rejection(instance.getCluster(102));
    assert.match(long.message, /asks to wait 3600 s/);
    assert.deepEqual(sleeps, []);
  });

  it('says clearly when the token is rejected (401), without ever showing it', async () => {
    const instance = linode.createLinodeClient({ token: `${TOKEN}-wrong`, baseUrl: server.apiUrl });
    const error = await rejection(instance.getKubeconfig(102));
    assert.equal(error.status, 401);
    assert.equal(error.message, 'The Linode API rejected the token (401: Invalid Token).');
    assert.match(error.fix!, /LINODE_TOKEN/);
    assertNoToken(error);
  });

  it('says which cluster does not exist (404)', async () => {
    const error = await rejection(client().instance.getKubeconfig(999));
    assert.equal(error.status, 404);
    assert.equal(error.message, 'No kubeconfig of LKE cluster 999 (404: Not found).');
    assert.match(error.fix!, /clusters-list/);
    assertNoToken(error);
  });

  it('reports an unreachable API after a few tries, without the token', async () => {
    const { instance, sleeps } = client({ baseUrl: 'http://127.0.0.1:9/v4' });
    const error = await instance.getCluster(1).then(
      () => assert.fail('expected a failure'),
      (failure: unknown) => failure,
    );
    assert.match(
      (error as Error).message,
      /Could not reach the Linode API at http:\/\/127\.0\.0\.1:9\/v4 \(.+\) after 3 tries/,
    );
    assert.deepEqual(sleeps, [100, 200]);
    assertNoToken(error);
  });

  it('reads Retry-After as seconds or as a date, and completes a base URL without a version', () => {
    assert.equal(linode.parseRetryAfter('7'), 7000);
    assert.equal(linode.parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z')), 10_000);
    assert.equal(linode.parseRetryAfter(null), undefined);
    assert.equal(linode.normalizeBaseUrl('http://127.0.0.1:8080/'), 'http://127.0.0.1:8080/v4');
    assert.equal(linode.normalizeBaseUrl('https://api.linode.com/v4beta'), 'https://api.linode.com/v4beta');
    assert.equal(linode.normalizeBaseUrl(undefined), 'https://api.linode.com/v4');
  });
});

describe('linode-cli', () => {
  it('is asked for the kubeconfig with --json, the token in LINODE_CLI_TOKEN, and retried while it answers 503', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'deckhand-linode-cli-'));
    dirs.push(bin);
    const calls = path.join(bin, 'calls.txt');
    const encoded = Buffer.from(server.kubeconfigOf(102)).toString('base64');
    // A stand-in linode-cli that answers like the real one: the first time "Request failed: 503" and exit 2, then the
    // one-element array that --json prints. It records its argv and whether the token variable was set.
    writeFileSync(
      path.join(bin, 'linode-cli'),
      [
        '#!/bin/sh',
        `echo "$* token=\${LINODE_CLI_TOKEN:+set}" >> ${calls}`,
        `if [ ! -f ${bin}/ready ]; then touch ${bin}/ready; echo 'Request failed: 503' >&2; exit 2; fi`,
        `echo '[{"kubeconfig": "${encoded}"}]'`,
      ].join('\n'),
    );
    chmodSync(path.join(bin, 'linode-cli'), 0o755);
    const masker = new SecretMasker();
    masker.add(TOKEN);
    const shell = createShell({
      dryRun: false,
      verbose: false,
      masker,
      log: () => undefined,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const sleeps: number[] = [];
    const yaml = await linode.cliKubeconfig(shell, 102, {
      token: TOKEN,
      retry: { baseDelayMs: 50 },
      sleep: async (ms) => void sleeps.push(ms),
    });
    assert.equal(yaml, server.kubeconfigOf(102));
    assert.deepEqual(sleeps, [50]);
    assert.deepEqual(readFileSync(calls, 'utf8').trim().split('\n'), [
      'lke kubeconfig-view 102 --json token=set',
      'lke kubeconfig-view 102 --json token=set',
    ]);
    assert.equal(await linode.isCliInstalled(shell), true);
    assert.equal(
      await linode.isCliInstalled(
        createShell({ dryRun: false, verbose: false, masker, log: () => undefined, env: { PATH: '/usr/bin:/bin' } }),
      ),
      false,
    );
  });

  it('reads its array-wrapped JSON, and a bare object too', () => {
    assert.deepEqual(linode.parseCliJson('[{"id": 1}]'), [{ id: 1 }]);
    assert.deepEqual(linode.parseCliJson('{"id": 1}'), [{ id: 1 }]);
  });
});

describe('the token, regions and plans', () => {
  it("reads the token's owner and scopes from GET /profile, and which required scopes it lacks", async () => {
    const profile = await client().instance.getProfile();
    assert.deepEqual(profile, { username: 'deckhand-tester', email: 'tester@example.test', scopes: ['*'] });
    assert.deepEqual(linode.missingScopes(['*']), []);
    assert.deepEqual(linode.parseScopes('lke:read_write volumes:read_only'), ['lke:read_write', 'volumes:read_only']);
    assert.deepEqual(linode.parseScopes('lke:read_write,volumes:read_write'), ['lke:read_write', 'volumes:read_write']);
    assert.deepEqual(linode.parseScopes(null), []);
    assert.deepEqual(linode.missingScopes(['lke:read_write', 'volumes:read_only']), ['volumes:read_write']);
  });

  it('a rejected token is a 401 with the API reason, and the token is in no message', async () => {
    const error = await rejection(client({ token: 'wrong' }).instance.getProfile());
    assert.equal(error.status, 401);
    assert.deepEqual(error.reasons, ['Invalid Token']);
    assert.ok(!inspect(error).includes(TOKEN));
  });

  it('lists every region and plan across pages (both need no token)', async () => {
    const { instance } = client({ token: 'anything' });
    const [regions, types] = await Promise.all([instance.listRegions(), instance.listTypes()]);
    assert.deepEqual(
      regions.map((region) => region.id),
      ['us-east', 'us-ord', 'br-gru', 'us-rno-1'],
    );
    assert.deepEqual(
      types.map((type) => type.id),
      ['g6-nanode-1', 'g6-standard-1', 'g6-standard-2', 'g6-dedicated-2'],
    );
    const pages = server.requests.filter((request) => request.path === '/v4/regions').map((r) => r.query.page);
    assert.deepEqual(pages, ['1', '2'], 'two pages of two');
  });
});

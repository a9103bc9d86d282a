/**
 * A loopback stand-in for the Linode API v4 (the LKE calls deckhand makes), answering in the API's documented
 * shapes: bearer-token auth (401 `Invalid Token`), `{data, page, pages, results}` pagination, `X-Filter` on
 * label, `{"errors":[{"reason":…}]}` bodies, and the kubeconfig as base64 YAML. Tests queue special answers for a
 * path (503 "not yet available", 429 with Retry-After, …) that are served before the normal one.
 *
 * Also GET /v4/profile (echoing the token's scopes in X-OAuth-Scopes, as the real API does), and the public lists
 * GET /v4/regions and GET /v4/linode/types.
 *
 * It also answers `GET /version` like a Kubernetes API server, so the kubeconfigs it hands out (whose server is this
 * same address) work with the real kubectl.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeLkeCluster {
  id: number;
  label: string;
  region?: string;
  k8s_version?: string;
  /** Kubeconfig YAML (served base64-encoded); defaults to lkeKubeconfig() pointing at this server. */
  kubeconfig?: string;
}

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether the Authorization header carried the right token (the header itself is not kept). */
  authorized: boolean;
  filter?: string;
}

export interface LinodeApiServer {
  /** http://127.0.0.1:PORT — also the Kubernetes API server address in the kubeconfigs. */
  url: string;
  /** `${url}/v4`, for LINODE_API_URL. */
  apiUrl: string;
  requests: RecordedRequest[];
  /** Answers the next requests to `path` (e.g. /v4/lke/clusters/1/kubeconfig) with these, in order. */
  enqueue(path: string, ...responses: ScriptedResponse[]): void;
  kubeconfigOf(clusterId: number): string;
  close(): Promise<void>;
}

export interface LinodeApiServerOptions {
  token: string;
  clusters: FakeLkeCluster[];
  /** Page size when the request gives none (the real default is 100; tests use small pages to see pagination). */
  defaultPageSize?: number;
  /** The bearer token inside the kubeconfigs (what kubectl sends to /version). */
  clusterToken?: string;
  /** What GET /v4/profile echoes in X-OAuth-Scopes for the token (default `*`). */
  scopes?: string;
  /** GET /v4/regions (no auth, as the real one); default: a few real regions, one without Kubernetes. */
  regions?: unknown[];
  /** GET /v4/linode/types (no auth); default: a few real plans with their 2024-07 prices. */
  types?: unknown[];
}

/** Regions as GET /v4/regions answers (fields deckhand reads; ids and labels are Linode's own). */
export const FAKE_REGIONS = [
  {
    id: 'us-east',
    label: 'Newark, NJ',
    country: 'us',
    capabilities: ['Linodes', 'Kubernetes', 'Block Storage', 'NodeBalancers'],
    status: 'ok',
    site_type: 'core',
  },
  {
    id: 'us-ord',
    label: 'Chicago, IL',
    country: 'us',
    capabilities: ['Linodes', 'Kubernetes', 'Block Storage', 'NodeBalancers'],
    status: 'ok',
    site_type: 'core',
  },
  {
    id: 'br-gru',
    label: 'Sao Paulo, BR',
    country: 'br',
    capabilities: ['Linodes', 'Kubernetes', 'Block Storage'],
    status: 'ok',
    site_type: 'core',
  },
  {
    id: 'us-rno-1',
    label: 'Reno, NV',
    country: 'us',
    capabilities: ['Linodes'],
    status: 'ok',
    site_type: 'distributed',
  },
];

const price = (monthly: number) => ({ hourly: Math.round((monthly / 730) * 10_000) / 10_000, monthly });
const regional = (monthly: number) => [
  { id: 'id-cgk', ...price(monthly * 1.2) },
  { id: 'br-gru', ...price(monthly * 1.4) },
];

/** Plans as GET /v4/linode/types answers them (sizes and prices from Linode's list of 2024-07). */
export const FAKE_TYPES = [
  {
    id: 'g6-nanode-1',
    label: 'Nanode 1GB',
    class: 'nanode',
    vcpus: 1,
    memory: 1024,
    disk: 25600,
    price: price(5),
    region_prices: regional(5),
    successor: null,
  },
  {
    id: 'g6-standard-1',
    label: 'Linode 2GB',
    class: 'standard',
    vcpus: 1,
    memory: 2048,
    disk: 51200,
    price: price(12),
    region_prices: regional(12),
    successor: null,
  },
  {
    id: 'g6-standard-2',
    label: 'Linode 4GB',
    class: 'standard',
    vcpus: 2,
    memory: 4096,
    disk: 81920,
    price: price(24),
    region_prices: regional(24),
    successor: null,
  },
  {
    id: 'g6-dedicated-2',
    label: 'Dedicated 4GB',
    class: 'dedicated',
    vcpus: 2,
    memory: 4096,
    disk: 81920,
    price: price(36),
    region_prices: regional(36),
    successor: null,
  },
];

export const NOT_READY = { errors: [{ reason: 'Cluster kubeconfig is not yet available. Please try again later.' }] };

/** A kubeconfig laid out the way LKE returns it: leading blank line, lke<id> names, bearer-token user. */
export function lkeKubeconfig(options: { clusterId: number; server: string; token: string }): string {
  const name = `lke${options.clusterId}`;
  return [
    '',
    'apiVersion: v1',
    'kind: Config',
    'preferences: {}',
    '',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${Buffer.from(`fake CA for ${name}`).toString('base64')}`,
    `    server: ${options.server}`,
    `  name: ${name}`,
    '',
    'users:',
    `- name: ${name}-admin`,
    '  user:',
    '    as-user-extra: {}',
    `    token: ${options.token}`,
    '',
    'contexts:',
    '- context:',
    `    cluster: ${name}`,
    '    namespace: default',
    `    user: ${name}-admin`,
    `  name: ${name}-ctx`,
    '',
    `current-context: ${name}-ctx`,
    '',
  ].join('\n');
}

export async function startLinodeApiServer(options: LinodeApiServerOptions): Promise<LinodeApiServer> {
  const queues = new Map<string, ScriptedResponse[]>();
  const requests: RecordedRequest[] = [];
  let url = '';
  const kubeconfigOf = (clusterId: number): string => {
    const cluster = options.clusters.find((candidate) => candidate.id === clusterId);
    return (
      cluster?.kubeconfig ??
      lkeKubeconfig({
        clusterId,
        server: url,
        token: options.clusterToken ?? `cluster-token-${clusterId}-0123456789abcdef`,
      })
    );
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const parsed = new URL(request.url ?? '/', 'http://localhost');
    const filter = request.headers['x-filter'];
    requests.push({
      method: request.method ?? 'GET',
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      authorized: request.headers.authorization === `Bearer ${options.token}`,
      ...(typeof filter === 'string' ? { filter } : {}),
    });
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };

    if (parsed.pathname === '/version') {
      return send(200, {
        major: '1',
        minor: '34',
        gitVersion: 'v1.34.2',
        gitCommit: 'fake',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.24',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    const queued = queues.get(parsed.pathname)?.shift();
    if (queued) return send(queued.status, queued.body ?? {}, queued.headers);
    const paginate = (items: unknown[]) => {
      const pageSize = Number(parsed.searchParams.get('page_size') ?? options.defaultPageSize ?? 100);
      const page = Number(parsed.searchParams.get('page') ?? 1);
      const pages = Math.max(1, Math.ceil(items.length / pageSize));
      return { data: items.slice((page - 1) * pageSize, page * pageSize), page, pages, results: items.length };
    };
    // Public, like the real ones: no token needed.
    if (parsed.pathname === '/v4/regions') return send(200, paginate(options.regions ?? FAKE_REGIONS));
    if (parsed.pathname === '/v4/linode/types') return send(200, paginate(options.types ?? FAKE_TYPES));
    if (request.headers.authorization !== `Bearer ${options.token}`)
      return send(401, { errors: [{ reason: 'Invalid Token' }] });
    if (request.method !== 'GET') return send(405, { errors: [{ reason: 'Method not allowed' }] });
    if (parsed.pathname === '/v4/profile')
      return send(
        200,
        { username: 'deckhand-tester', email: 'tester@example.test', restricted: false },
        { 'X-OAuth-Scopes': options.scopes ?? '*', 'X-Accepted-OAuth-Scopes': '*' },
      );
    const describe = (cluster: FakeLkeCluster) => ({
      id: cluster.id,
      status: 'ready',
      created: '2026-01-02T03:04:05',
      updated: '2026-01-02T03:04:05',
      label: cluster.label,
      region: cluster.region ?? 'us-east',
      k8s_version: cluster.k8s_version ?? '1.34',
      tier: 'standard',
      control_plane: { high_availability: false },
      apl_enabled: false,
      tags: ['deckhand'],
    });

    if (parsed.pathname === '/v4/lke/clusters') {
      let clusters = options.clusters;
      if (typeof filter === 'string') {
        const wanted = JSON.parse(filter) as { label?: string };
        if (wanted.label !== undefined) clusters = clusters.filter((cluster) => cluster.label === wanted.label);
      }
      return send(200, paginate(clusters.map(describe)));
    }
    const match = /^\/v4\/lke\/clusters\/(\d+)(\/kubeconfig|\/api-endpoints)?$/.exec(parsed.pathname);
    const cluster = match ? options.clusters.find((candidate) => candidate.id === Number(match[1])) : undefined;
    if (!match || !cluster) return send(404, { errors: [{ reason: 'Not found' }] });
    if (match[2] === '/kubeconfig')
      return send(200, { kubeconfig: Buffer.from(kubeconfigOf(cluster.id)).toString('base64') });
    if (match[2] === '/api-endpoints')
      return send(200, paginate([{ endpoint: `${url}:443` }, { endpoint: `${url}:6443` }]));
    return send(200, describe(cluster));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}/v4`,
    requests,
    enqueue: (path, ...responses) => queues.set(path, [...(queues.get(path) ?? []), ...responses]),
    kubeconfigOf,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

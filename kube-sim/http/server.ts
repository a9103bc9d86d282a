/**
 * HTTP routing and error handling. Every request is logged; anything unrouted, and every internal error, is
 * answered with a Status body and recorded as a gap.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Auth } from '../auth.ts';
import { ApiError, GapError } from '../errors.ts';
import type { GapRecorder } from '../gaps.ts';
import type { Registry } from '../registry.ts';
import { findByPlural, type ResourceType } from '../resources.ts';
import type { ObjectStore } from '../store.ts';
import { sendJson } from './body.ts';
import {
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  legacyCoreVersions,
  legacyGroup1,
  legacyGroupList,
  legacyResourceList,
  openApiDocument,
  openApiRoot,
  SERVER_VERSION,
} from './discovery.ts';
import { wantsAggregatedDiscovery } from './negotiate.ts';
import { handleResource, type ResourceRoute } from './resource-handlers.ts';
import type { StreamTracker } from './watch.ts';

export interface PodStreamHandlers {
  logs(
    req: IncomingMessage,
    res: ServerResponse,
    namespace: string,
    pod: string,
    query: URLSearchParams,
  ): Promise<void> | void;
  exec(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    namespace: string,
    pod: string,
    query: URLSearchParams,
  ): void;
  portForward?(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, pod: string): void;
}

export interface ServerDeps {
  store: ObjectStore;
  registry: Registry;
  gaps: GapRecorder;
  streams: StreamTracker;
  pods: PodStreamHandlers;
  latencyMs: number;
  connectLatencyMs: number;
  /** Authentication, impersonation, RBAC and the auth APIs (TokenRequest, access reviews). */
  auth?: Auth;
  /** Resource types defined by CustomResourceDefinitions. */
  customTypes?: {
    all(): ResourceType[];
    lookupPlural(group: string, version: string, plural: string): ResourceType | undefined;
  };
}

type PluralLookup = (group: string, version: string, plural: string) => ResourceType | undefined;

type Route =
  | { kind: 'resource'; route: ResourceRoute }
  | { kind: 'json'; body: () => unknown; contentType?: string }
  | { kind: 'text'; body: string };

function groupVersionFromPath(parts: string[]): { group: string; version: string; rest: string[] } | undefined {
  if (parts[0] === 'api' && parts[1]) return { group: '', version: parts[1], rest: parts.slice(2) };
  if (parts[0] === 'apis' && parts[1] && parts[2]) return { group: parts[1], version: parts[2], rest: parts.slice(3) };
  return undefined;
}

function resourceRoute(
  group: string,
  version: string,
  rest: string[],
  findByPlural: PluralLookup,
): ResourceRoute | undefined {
  const [first, second, third, fourth, fifth] = rest;
  if (first === 'namespaces' && second && third) {
    const namespacedType = findByPlural(group, version, third);
    if (namespacedType?.namespaced) {
      if (rest.length > 5) return undefined;
      return {
        type: namespacedType,
        namespace: second,
        ...(fourth ? { name: fourth } : {}),
        ...(fifth ? { subresource: fifth } : {}),
      };
    }
  }
  if (!first || rest.length > 3) return undefined;
  const type = findByPlural(group, version, first);
  if (!type) return undefined;
  if (type.namespaced && second) return undefined;
  return { type, ...(second ? { name: second } : {}), ...(third ? { subresource: third } : {}) };
}

function route(
  pathname: string,
  accept: string | undefined,
  hostPort: string,
  findByPlural: PluralLookup,
  extra: readonly ResourceType[],
): Route | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const joined = parts.join('/');
  if (joined === 'version') return { kind: 'json', body: () => SERVER_VERSION };
  if (joined === 'healthz' || joined === 'livez' || joined === 'readyz') return { kind: 'text', body: 'ok' };
  if (joined === 'api' || joined === 'apis') {
    const core = joined === 'api';
    if (wantsAggregatedDiscovery(accept))
      return {
        kind: 'json',
        body: () => aggregatedDiscovery(core, extra),
        contentType: AGGREGATED_DISCOVERY_CONTENT_TYPE,
      };
    return { kind: 'json', body: () => (core ? legacyCoreVersions(hostPort) : legacyGroupList(extra)) };
  }
  if (joined === 'openapi/v3') return { kind: 'json', body: () => openApiRoot(extra) };
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const gv = groupVersionFromPath(parts.slice(2));
    const doc = gv && gv.rest.length === 0 ? openApiDocument(gv.group, gv.version, extra) : undefined;
    return doc ? { kind: 'json', body: () => doc } : undefined;
  }
  if (parts[0] === 'apis' && parts.length === 2 && parts[1]) {
    const group = legacyGroup1(parts[1], extra);
    return group ? { kind: 'json', body: () => group } : undefined;
  }
  const gv = groupVersionFromPath(parts);
  if (!gv) return undefined;
  if (gv.rest.length === 0) {
    const list = legacyResourceList(gv.group, gv.version, extra);
    return list ? { kind: 'json', body: () => list } : undefined;
  }
  const resource = resourceRoute(gv.group, gv.version, gv.rest, findByPlural);
  return resource ? { kind: 'resource', route: resource } : undefined;
}

// Paths clients probe and cope with when missing; a 404 there is expected, not a gap.
const EXPECTED_MISSING = new Set(['/openapi/v2', '/swagger.json', '/swaggerapi']);

export function createApiServer(deps: ServerDeps): Server {
  // Connections that have had their first answer: only the first pays the handshake delay.
  const connected = new WeakSet<object>();
  const delay = (socket: object): Promise<void> | undefined => {
    const ms = deps.latencyMs + (connected.has(socket) ? 0 : deps.connectLatencyMs);
    connected.add(socket);
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined;
  };
  const server = createServer((req, res) => {
    void handle(deps, server, req, res, delay(req.socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://kube-sim');
    deps.gaps.requests.push({
      method: `${req.method ?? 'GET'} (upgrade)`,
      path: `${url.pathname}${url.search}`,
      status: 101,
      at: performance.now(),
    });
    const wait = delay(req.socket);
    if (wait) void wait.then(() => upgrade(deps, req, socket, head, url));
    else upgrade(deps, req, socket, head, url);
  });
  return server;
}

function upgrade(deps: ServerDeps, req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const pods = findByPlural('', 'v1', 'pods');
  try {
    if (pods && parts[4] === 'pods')
      deps.auth?.guard(
        req,
        url,
        { type: pods, namespace: parts[3] ?? '', name: parts[5] ?? '', subresource: parts[6] ?? '' },
        true,
      );
  } catch (error) {
    const status =
      error instanceof ApiError ? error.toStatus() : new ApiError(500, 'InternalError', String(error)).toStatus();
    const body = JSON.stringify(status);
    socket.end(
      `HTTP/1.1 ${status.code} ${status.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    return;
  }
  // /api/v1/namespaces/NS/pods/POD/{exec,portforward}
  const podSubresource =
    parts.length === 7 && parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts[4] === 'pods'
      ? parts[6]
      : undefined;
  if (podSubresource === 'exec') {
    deps.pods.exec(req, socket, head, parts[3] ?? '', parts[5] ?? '', url.searchParams);
    return;
  }
  if (podSubresource === 'portforward' && deps.pods.portForward) {
    deps.pods.portForward(req, socket, head, parts[3] ?? '', parts[5] ?? '');
    return;
  }
  deps.gaps.record(
    req.method ?? 'GET',
    url.pathname,
    `connection upgrade (${String(req.headers.upgrade)}) is not implemented for this path`,
  );
  socket.end(
    'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nkube-sim does not implement this upgrade\n',
  );
}

async function handle(
  deps: ServerDeps,
  server: Server,
  req: IncomingMessage,
  res: ServerResponse,
  latency: Promise<void> | undefined,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://kube-sim');
  const record = {
    method,
    path: `${url.pathname}${url.search}`,
    status: 0,
    at: performance.now(),
    ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
  };
  deps.gaps.requests.push(record);
  res.on('finish', () => {
    record.status = res.statusCode;
  });
  try {
    await latency;
    const address = server.address();
    const hostPort = typeof address === 'object' && address ? `${address.address}:${address.port}` : '127.0.0.1';
    const custom = deps.customTypes;
    const found = route(
      url.pathname,
      req.headers.accept,
      hostPort,
      custom ? (g, v, p) => custom.lookupPlural(g, v, p) : findByPlural,
      custom?.all() ?? [],
    );
    if (!found) {
      if (EXPECTED_MISSING.has(url.pathname)) {
        sendJson(
          res,
          404,
          new ApiError(404, 'NotFound', 'the server could not find the requested resource').toStatus(),
        );
        return;
      }
      throw new GapError(404, `no route for ${method} ${url.pathname}`);
    }
    deps.auth?.guard(req, url, found.kind === 'resource' ? found.route : undefined);
    if (found.kind === 'resource' && deps.auth && (await deps.auth.intercept(req, res, found.route))) return;
    if (found.kind === 'text') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(found.body);
      return;
    }
    if (found.kind === 'json') {
      if (method !== 'GET') throw new GapError(405, `${method} on ${url.pathname}`);
      sendJson(res, 200, found.body(), found.contentType);
      return;
    }
    const { route: r } = found;
    if (r.type.kind === 'Pod' && r.name && r.subresource === 'log') {
      if (method !== 'GET') throw new GapError(405, `${method} on pods/log`);
      await deps.pods.logs(req, res, r.namespace ?? '', r.name, url.searchParams);
      return;
    }
    if (r.type.kind === 'Pod' && r.subresource === 'exec') {
      throw new GapError(405, `pods/exec without a WebSocket upgrade (${method}; SPDY is not implemented)`);
    }
    await handleResource(
      {
        store: deps.store,
        registry: deps.registry,
        streams: deps.streams,
        recordGap: (reason) => deps.gaps.record(method, url.pathname, reason),
      },
      req,
      res,
      r,
      url.searchParams,
    );
    // Streams (watches, follows) stay open: log their status as soon as their headers are out.
    if (res.headersSent && record.status === 0) record.status = res.statusCode;
  } catch (error) {
    if (error instanceof GapError) deps.gaps.record(method, `${url.pathname}${url.search}`, error.message);
    else if (!(error instanceof ApiError))
      deps.gaps.record(
        method,
        `${url.pathname}${url.search}`,
        `internal error: ${(error as Error).stack ?? String(error)}`,
      );
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendJson(res, apiError.code, apiError.toStatus());
  }
}

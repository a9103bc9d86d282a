/**
 * The HTTP API. Health endpoints are open (the kubelet calls them); /api/* needs an operator's session token.
 *   GET  /health/live     200 while the process runs: it never asks Postgres, so a database outage cannot make
 *                         the kubelet restart the bot
 *   GET  /health/ready    200 when Postgres answers, else 503 with a short reason
 *   GET  /api/messages    the most recent messages (?limit=1..100, default 20)
 *   POST /api/messages    records {"sender": "...", "text": "..."}
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from './database.ts';
import type { Logger } from './log.ts';
import { verifySessionToken } from './session.ts';

export interface Deps {
  db: Database;
  log: Logger;
  jwtSecret: string;
  corsOrigin: string | undefined;
  isShuttingDown(): boolean;
}

const MAX_BODY_BYTES = 16 * 1024;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function createHandler(deps: Deps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const startedMs = Date.now();
    res.once('finish', () =>
      deps.log.debug('request', {
        method: req.method,
        path: req.url?.split('?')[0],
        status: res.statusCode,
        ms: Date.now() - startedMs,
      }),
    );
    handle(req, deps)
      .catch((error: unknown): Reply => {
        if (error instanceof HttpError) return { status: error.status, body: { error: error.message } };
        deps.log.error('request failed', {
          path: req.url?.split('?')[0],
          error: error instanceof Error ? error.message : String(error),
        });
        return { status: 503, body: { error: 'the database is not available; try again shortly' } };
      })
      .then((reply) => {
        // Asked when the answer is written, not when the request came in: a request that was under way when SIGTERM
        // arrived must close its connection too, or the keep-alive connection would hold the shutdown for seconds.
        const headers = { ...reply.headers, ...(deps.isShuttingDown() ? { Connection: 'close' } : {}) };
        if (reply.body === undefined) {
          res.writeHead(reply.status, headers).end();
          return;
        }
        res
          .writeHead(reply.status, {
            'Content-Type': 'application/json; charset=utf-8',
            'Cache-Control': 'no-store',
            ...headers,
          })
          .end(JSON.stringify(reply.body));
      })
      .catch((error: unknown) => {
        // Writing the answer failed (the client went away): nothing is left to tell it.
        deps.log.warn('could not send a response', { error: error instanceof Error ? error.message : String(error) });
        res.destroy();
      });
  };
}

async function handle(req: IncomingMessage, deps: Deps): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://wpp-bot');

  if (url.pathname === '/health/live') {
    allowMethods(req, 'GET');
    return { status: 200, body: { status: 'live' } };
  }
  if (url.pathname === '/health/ready') {
    allowMethods(req, 'GET');
    if (deps.isShuttingDown()) return { status: 503, body: { status: 'not ready', reason: 'shutting down' } };
    const readiness = await deps.db.readiness();
    return readiness.ready
      ? { status: 200, body: { status: 'ready' } }
      : { status: 503, body: { status: 'not ready', reason: readiness.reason } };
  }
  if (url.pathname === '/api/messages') {
    const cors = corsHeaders(req, deps.corsOrigin);
    if (req.method === 'OPTIONS' && cors['Access-Control-Allow-Origin']) {
      return {
        status: 204,
        headers: {
          ...cors,
          'Access-Control-Allow-Methods': 'GET, POST',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        },
      };
    }
    allowMethods(req, 'GET', 'POST');
    const header = req.headers.authorization ?? '';
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    if (!verifySessionToken(token, deps.jwtSecret)) {
      return {
        status: 401,
        headers: { ...cors, 'WWW-Authenticate': 'Bearer' },
        body: { error: 'a valid session token is required (Authorization: Bearer …)' },
      };
    }
    if (req.method === 'GET')
      return { status: 200, headers: cors, body: { messages: await deps.db.recentMessages(limitFrom(url)) } };
    const { sender, text } = messageFrom(await readJson(req));
    return { status: 201, headers: cors, body: { message: await deps.db.addMessage(sender, text) } };
  }
  throw new HttpError(404, `no such endpoint: ${url.pathname}`);
}

function allowMethods(req: IncomingMessage, ...methods: string[]): void {
  if (!methods.includes(req.method ?? '')) throw new HttpError(405, `use ${methods.join(' or ')}`);
}

/** Lets the dashboard's origin (CORS_ORIGIN) call the API from a browser; other origins get no CORS headers. */
function corsHeaders(req: IncomingMessage, corsOrigin: string | undefined): Record<string, string> {
  if (!corsOrigin || req.headers.origin !== corsOrigin) return { Vary: 'Origin' };
  return { Vary: 'Origin', 'Access-Control-Allow-Origin': corsOrigin };
}

function limitFrom(url: URL): number {
  const value = url.searchParams.get('limit');
  if (value === null) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT)
    throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return Number(value);
}

function messageFrom(body: unknown): { sender: string; text: string } {
  const { sender, text } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof sender !== 'string' || sender.trim() === '' || sender.length > 100)
    throw new HttpError(400, 'sender must be a string of 1 to 100 characters');
  if (typeof text !== 'string' || text.trim() === '' || text.length > 4000)
    throw new HttpError(400, 'text must be a string of 1 to 4000 characters');
  return { sender: sender.trim(), text };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `the body may be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

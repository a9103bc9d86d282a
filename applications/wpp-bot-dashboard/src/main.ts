/**
 * wpp-bot-dashboard sample: one server-rendered page with wpp-bot's status and, for a signed-in operator, its recent
 * messages (k8s/wpp-bot/50-dashboard.yaml). Exit codes: 0 after a clean shutdown, 1 when it cannot start, 2 for bad
 * settings.
 *   GET  /              the page           POST /login   sign in with a session token (form field "token")
 *   GET  /health/live   the process runs   POST /logout  sign out
 *   GET  /health/ready  it can serve the page
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchMessages, fetchStatus } from './bot-api.ts';
import { createLogger } from './log.ts';
import { renderPage } from './page.ts';
import { verifySessionToken } from './session.ts';

const SHUTDOWN_DEADLINE_MS = 20_000;
const MAX_FORM_BYTES = 8 * 1024;
const SESSION_COOKIE = 'session';
/** The page loads nothing but itself: no scripts, no other origins; forms post only back here. */
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};
const log = createLogger('info');

const port = Number(process.env.PORT?.trim() || '3000');
const apiInternalUrl = process.env.API_INTERNAL_URL?.trim() || 'http://wpp-bot:3000';
const apiPublicUrl = process.env.API_PUBLIC_URL?.trim() || undefined;
const jwtSecret = process.env.JWT_SECRET ?? '';
// Browsers send a Secure cookie over HTTPS only; Traefik terminates TLS in production, local runs use plain HTTP.
const secureCookies = process.env.NODE_ENV === 'production';

const errors = [
  ...(Number.isInteger(port) && port >= 0 && port <= 65_535
    ? []
    : [`PORT must be a port number from 0 to 65535 (got "${process.env.PORT}").`]),
  ...(URL.canParse(apiInternalUrl)
    ? []
    : [`API_INTERNAL_URL must be a URL such as http://wpp-bot:3000 (got "${apiInternalUrl}").`]),
  ...(jwtSecret.length >= 32
    ? []
    : ['JWT_SECRET must be at least 32 characters (Secret wpp-bot-secret, key JWT_SECRET).']),
];
if (errors.length > 0) {
  for (const error of errors) log.error(error);
  log.error(
    'wpp-bot-dashboard did not start: fix the settings above (ConfigMap dashboard-config, Secret wpp-bot-secret).',
  );
  process.exit(2);
}

let shuttingDown = false;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? '/', 'http://dashboard');
  const route = `${req.method} ${pathname}`;

  if (route === 'GET /health/live') return sendJson(res, 200, { status: 'live' });
  // Ready does not depend on wpp-bot: the page itself says when the bot is down, and a dashboard that went unready
  // with the bot would vanish exactly when an operator needs to look.
  if (route === 'GET /health/ready')
    return shuttingDown
      ? sendJson(res, 503, { status: 'not ready', reason: 'shutting down' })
      : sendJson(res, 200, { status: 'ready' });

  if (route === 'GET /') {
    const token = readCookie(req, SESSION_COOKIE);
    const session = token ? verifySessionToken(token, jwtSecret) : undefined;
    const [status, messages] = await Promise.all([
      fetchStatus(apiInternalUrl),
      session && token ? fetchMessages(apiInternalUrl, token) : undefined,
    ]);
    const operator = session && messages ? { name: session.subject, messages } : undefined;
    const notice = token && !session ? 'Your session has expired: sign in again.' : undefined;
    return sendPage(res, 200, renderPage({ version, status, operator, apiPublicUrl, notice }));
  }
  if (route === 'POST /login') {
    const token = new URLSearchParams(await readBody(req)).get('token')?.trim() ?? '';
    const session = verifySessionToken(token, jwtSecret);
    if (!session) {
      log.warn('a sign-in with an invalid or expired token');
      return sendPage(
        res,
        401,
        renderPage({
          version,
          status: await fetchStatus(apiInternalUrl),
          operator: undefined,
          apiPublicUrl,
          notice: 'That token is not valid or has expired.',
        }),
      );
    }
    log.info('signed in', { operator: session.subject });
    const maxAge = Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
    return redirectHome(res, sessionCookie(token, maxAge));
  }
  if (route === 'POST /logout') return redirectHome(res, sessionCookie('', 0));
  return sendJson(res, 404, { error: `no such page: ${pathname}` });
}

function sessionCookie(value: string, maxAgeSeconds: number): string {
  // HttpOnly: page scripts cannot read it. SameSite=Strict: other sites cannot make the browser send it.
  return `${SESSION_COOKIE}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secureCookies ? '; Secure' : ''}`;
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = pair.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req as AsyncIterable<Buffer>) {
    body += chunk.toString('utf8');
    if (body.length > MAX_FORM_BYTES) throw new Error('form too large');
  }
  return body;
}

function redirectHome(res: ServerResponse, cookie: string): void {
  res.writeHead(303, { Location: '/', 'Set-Cookie': cookie, 'Cache-Control': 'no-store', ...closing() }).end();
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...PAGE_HEADERS, ...closing() }).end(html);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res
    .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...closing() })
    .end(JSON.stringify(body));
}

/** While shutting down, each connection closes after its answer, so the server can finish and exit. */
function closing(): Record<string, string> {
  return shuttingDown ? { Connection: 'close' } : {};
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    log.error('request failed', {
      path: req.url?.split('?')[0],
      error: error instanceof Error ? error.message : String(error),
    });
    if (res.headersSent) res.destroy();
    else sendJson(res, 400, { error: 'the request could not be handled' });
  });
});
server.once('error', (error) => {
  log.error('the HTTP server failed', { error: error.message });
  process.exit(1);
});
server.listen(port, () =>
  log.info('listening', { port: (server.address() as AddressInfo).port, version, api: apiInternalUrl }),
);

async function shutDown(signal: string): Promise<void> {
  shuttingDown = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  log.info('shutting down: no new connections, finishing the requests under way', { signal });
  const deadline = setTimeout(() => server.closeAllConnections(), SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  log.info('stopped');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void shutDown(signal));

/**
 * The wpp-bot-dashboard sample in front of a running wpp-bot and a real PostgreSQL, both started from their own
 * sources (`node src/main.ts`). wpp-bot finds `pg` in the root node_modules: see wpp-bot.test.ts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { tempDirs } from '../support/temp.ts';
import { inSeconds, runToExit, signToken, startService, waitFor, type Service } from './service.ts';

const BOT_MAIN = path.resolve(import.meta.dirname, '../../applications/wpp-bot/src/main.ts');
const DASHBOARD = path.resolve(import.meta.dirname, '../../applications/wpp-bot-dashboard/src');
const JWT_SECRET = 'dashboard-test-jwt-secret-0123456789abcdef';
const tempDir = tempDirs('dashboard');

function dashboardEnv(apiUrl: string): Record<string, string> {
  return { NODE_ENV: 'production', API_INTERNAL_URL: apiUrl, API_PUBLIC_URL: 'https://api.example.test', JWT_SECRET };
}

async function page(dashboard: Service, cookie?: string): Promise<{ status: number; html: string; headers: Headers }> {
  const response = await fetch(`${dashboard.url}/`, { headers: cookie ? { cookie } : {} });
  return { status: response.status, html: await response.text(), headers: response.headers };
}

async function signIn(dashboard: Service, token: string): Promise<Response> {
  return fetch(`${dashboard.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
}

describe('wpp-bot-dashboard in front of a running wpp-bot', () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  let bot: Service | undefined;
  let dashboard: Service | undefined;

  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    pg = started;
    const data = tempDir();
    const runningBot = await startService(BOT_MAIN, {
      AUTH_INFO_DIR: path.join(data, 'auth_info'),
      CACHE_DIR: path.join(data, 'cache'),
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(pg.port),
      POSTGRES_PASSWORD: pg.password,
      JWT_SECRET,
    });
    bot = runningBot;
    await waitFor(
      async () => ((await fetch(`${runningBot.url}/health/ready`)).status === 200 ? true : undefined),
      'wpp-bot to be ready',
    );
    const token = signToken(JWT_SECRET, { sub: 'seeder', exp: inSeconds(60) });
    for (const message of [
      { sender: '+55 11 90000-0001', text: 'Bom dia!' },
      { sender: 'mallory', text: '<script>alert("hi")</script> & more' },
    ]) {
      const response = await fetch(`${runningBot.url}/api/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      assert.equal(response.status, 201);
    }
    dashboard = await startService(path.join(DASHBOARD, 'main.ts'), dashboardEnv(runningBot.url));
  });
  after(async () => {
    await dashboard?.stop();
    await bot?.stop();
    await pg?.stop();
  });

  it('is live and ready', async (t) => {
    if (!dashboard) return t.skip(skip);
    assert.equal((await fetch(`${dashboard.url}/health/live`)).status, 200);
    assert.equal((await fetch(`${dashboard.url}/health/ready`)).status, 200);
  });

  it("shows the bot's status to anyone, and the messages only after a sign-in", async (t) => {
    if (!dashboard) return t.skip(skip);
    const anonymous = await page(dashboard);
    assert.equal(anonymous.status, 200);
    assert.match(anonymous.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(anonymous.html, /Bot status: ready/);
    assert.match(anonymous.html, /<form method="post" action="\/login">/);
    assert.ok(!anonymous.html.includes('Bom dia'), 'messages shown without a sign-in');
  });

  it('signs an operator in with a token from session-token.ts and lists the newest messages first, escaped', async (t) => {
    if (!dashboard) return t.skip(skip);
    const made = await runToExit(path.join(DASHBOARD, 'session-token.ts'), {
      JWT_SECRET,
      PATH: process.env.PATH ?? '',
    });
    assert.equal(made.code, 0, made.output);
    const token = made.output.trim();

    const login = await signIn(dashboard, token);
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/');
    const cookie = login.headers.get('set-cookie') ?? '';
    const attributes =
      /^session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=(\d+); HttpOnly; SameSite=Strict; Secure$/.exec(cookie);
    assert.ok(attributes, `unexpected cookie: ${cookie}`);
    // The cookie lasts as long as the token: 12 hours from when session-token.ts made it.
    assert.ok(Number(attributes[1]) <= 12 * 3600 && Number(attributes[1]) > 11 * 3600, `Max-Age=${attributes[1]}`);

    const signedIn = await page(dashboard, cookie.split(';')[0]);
    assert.match(signedIn.html, /Signed in as operator/);
    const newest = signedIn.html.indexOf('mallory');
    const older = signedIn.html.indexOf('Bom dia!');
    assert.ok(newest > 0 && older > newest, 'the newest message is not listed first');
    assert.ok(signedIn.html.includes('&#60;script&#62;alert(&#34;hi&#34;)&#60;/script&#62; &#38; more'));
    assert.ok(!signedIn.html.includes('<script>'), 'a message was written into the page unescaped');
    // Nothing secret in the page: neither the signing key nor the operator's token.
    assert.ok(!signedIn.html.includes(JWT_SECRET) && !signedIn.html.includes(token));
    assert.match(signedIn.headers.get('content-security-policy') ?? '', /default-src 'none'/);

    const logout = await fetch(`${dashboard.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookie.split(';')[0]! },
    });
    assert.equal(logout.status, 303);
    assert.match(logout.headers.get('set-cookie') ?? '', /^session=; Path=\/; Max-Age=0;/);
  });

  it('refuses a token signed with another key or already expired, and sets no cookie', async (t) => {
    if (!dashboard) return t.skip(skip);
    for (const token of [
      signToken('another-secret-0123456789abcdef0123456789', { sub: 'x', exp: inSeconds(60) }),
      signToken(JWT_SECRET, { sub: 'x', exp: inSeconds(-5) }),
    ]) {
      const response = await signIn(dashboard, token);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('set-cookie'), null);
      assert.match(await response.text(), /That token is not valid or has expired/);
    }
    const stale = await page(dashboard, `session=${signToken(JWT_SECRET, { sub: 'x', exp: inSeconds(-5) })}`);
    assert.match(stale.html, /Your session has expired/);
    assert.ok(!stale.html.includes('Bom dia'));
  });

  it('never logs the JWT secret or a token', (t) => {
    if (!dashboard || !bot) return t.skip(skip);
    for (const output of [dashboard.output(), bot.output()])
      assert.ok(!output.includes(JWT_SECRET) && !/\w+\.\w+\.[\w-]{43}/.test(output));
  });
});

describe('wpp-bot-dashboard on its own', () => {
  it('says the bot is unreachable, and stays ready itself', async (t) => {
    const dashboard = await startService(
      path.join(DASHBOARD, 'main.ts'),
      dashboardEnv(`http://127.0.0.1:${await freePort()}`),
    );
    t.after(() => dashboard.stop());
    assert.match((await page(dashboard)).html, /Bot status: unreachable — cannot connect \(ECONNREFUSED\)/);
    assert.equal((await fetch(`${dashboard.url}/health/ready`)).status, 200);
  });

  it("passes on the bot's own reason when the bot runs but is not ready", async (t) => {
    const data = tempDir();
    const bot = await startService(BOT_MAIN, {
      AUTH_INFO_DIR: path.join(data, 'a'),
      CACHE_DIR: path.join(data, 'c'),
      POSTGRES_HOST: '127.0.0.1',
      POSTGRES_PORT: String(await freePort()),
      POSTGRES_PASSWORD: 'unused-password-1234',
      JWT_SECRET,
    });
    t.after(() => bot.stop());
    const dashboard = await startService(path.join(DASHBOARD, 'main.ts'), dashboardEnv(bot.url));
    t.after(() => dashboard.stop());
    assert.match((await page(dashboard)).html, /Bot status: not ready — the database is unreachable \(ECONNREFUSED\)/);
  });

  it('exits 0 on SIGTERM', async () => {
    const dashboard = await startService(path.join(DASHBOARD, 'main.ts'), dashboardEnv('http://127.0.0.1:9'));
    dashboard.kill('SIGTERM');
    assert.equal(await dashboard.exited, 0);
    assert.ok(dashboard.lines().some((line) => line.msg === 'stopped'));
  });

  it('refuses to start with exit code 2 without a JWT secret', async () => {
    const run = await runToExit(path.join(DASHBOARD, 'main.ts'), {
      ...dashboardEnv('http://127.0.0.1:9'),
      JWT_SECRET: 'short',
    });
    assert.equal(run.code, 2);
    assert.match(run.output, /JWT_SECRET must be at least 32 characters/);
    assert.ok(!run.output.includes('"short"'));
  });
});

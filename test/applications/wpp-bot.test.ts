/**
 * The wpp-bot sample, run as its container runs it (`node src/main.ts`), against a real PostgreSQL server.
 *
 * `pg` comes from the root node_modules: applications/wpp-bot has its own package.json and lock file (its image
 * installs from them) but no node_modules here, and Node resolves a package by walking up the folders. The root
 * devDependency pins the same version as the app's lock file (dockerfiles.test.ts checks that they agree), so the
 * tests run the code the image will run, without npm workspaces tying the apps to the root.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { tempDirs } from '../support/temp.ts';
import { inSeconds, runToExit, signToken, startService, waitFor, type Service } from './service.ts';

const execFileAsync = promisify(execFile);
const MAIN = path.resolve(import.meta.dirname, '../../applications/wpp-bot/src/main.ts');
const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
const ELEVENLABS_API_KEY = 'sk_test_elevenlabs_do_not_log';
const tempDir = tempDirs('wpp-bot');

function botEnv(
  database: { port: number; database?: string; user?: string; password: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  const data = tempDir();
  return {
    LOG_LEVEL: 'debug',
    AUTH_INFO_DIR: path.join(data, 'auth_info'),
    CACHE_DIR: path.join(data, 'cache'),
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(database.port),
    POSTGRES_DB: database.database ?? 'wppbot',
    POSTGRES_USER: database.user ?? 'wppbot',
    POSTGRES_PASSWORD: database.password,
    JWT_SECRET,
    ELEVENLABS_API_KEY,
    CORS_ORIGIN: 'https://dashboard.example.test',
    ...extra,
  };
}

const operator = (): Record<string, string> => ({
  authorization: `Bearer ${signToken(JWT_SECRET, { sub: 'operator', exp: inSeconds(300) })}`,
});

async function getJson(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function postMessage(
  bot: Service,
  body: unknown,
  headers: Record<string, string> = operator(),
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${bot.url}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function waitForReadiness(bot: Service, status: 200 | 503, reason?: RegExp): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const ready = await getJson(`${bot.url}/health/ready`);
      return ready.status === status && (!reason || reason.test(String(ready.body.reason))) ? ready.body : undefined;
    },
    `/health/ready to answer ${status}${reason ? ` (${reason})` : ''}`,
  );
}

function assertNoSecrets(output: string, ...secrets: string[]): void {
  for (const secret of [JWT_SECRET, ELEVENLABS_API_KEY, ...secrets])
    assert.ok(!output.includes(secret), `the output shows a secret: ${secret.slice(0, 6)}…`);
}

describe('wpp-bot without a database', () => {
  it('is live but not ready, and says why, when nothing listens on the Postgres port', async (t) => {
    const bot = await startService(MAIN, botEnv({ port: await freePort(), password: 'unused-password-1234' }));
    t.after(() => bot.stop());
    assert.deepEqual(await getJson(`${bot.url}/health/live`), { status: 200, body: { status: 'live' } });
    const ready = await getJson(`${bot.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { status: 'not ready', reason: 'the database is unreachable (ECONNREFUSED)' });
    const api = await getJson(`${bot.url}/api/messages`, operator());
    assert.equal(api.status, 503);
    assert.match(String(api.body.error), /database is not available/);
    assert.deepEqual(await getJson(`${bot.url}/health/live`), { status: 200, body: { status: 'live' } });
  });

  it('refuses to start with exit code 2 when a secret is missing or too short, naming it without showing values', async () => {
    const env = botEnv({ port: 5432, password: '' }, { JWT_SECRET: 'too-short-secret' });
    const run = await runToExit(MAIN, env);
    assert.equal(run.code, 2);
    assert.match(run.output, /POSTGRES_PASSWORD is not set/);
    assert.match(run.output, /JWT_SECRET must be at least 32 characters/);
    assert.ok(!run.output.includes('too-short-secret'));
    assertNoSecrets(run.output);
  });

  it('exits 1 and says why when its data folders cannot be created', async () => {
    const blocker = path.join(tempDir(), 'a-file');
    await writeFile(blocker, '');
    const run = await runToExit(
      MAIN,
      botEnv({ port: 5432, password: 'unused-password-1234' }, { AUTH_INFO_DIR: path.join(blocker, 'auth_info') }),
    );
    assert.equal(run.code, 1);
    assert.match(run.output, /the data folders cannot be created.*ENOTDIR/);
  });
});

describe('wpp-bot with a real PostgreSQL', () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  let bot: Service | undefined;
  const psql = async (sql: string, database = 'wppbot'): Promise<string> =>
    (
      await execFileAsync(path.join(pg!.binDir, 'psql'), ['-XAtc', sql], {
        env: { ...process.env, ...pg!.clientEnv, PGDATABASE: database },
      })
    ).stdout.trim();

  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) skip = started.skip;
    else pg = started;
    if (pg) bot = await startService(MAIN, botEnv(pg));
  });
  after(async () => {
    await bot?.stop();
    await pg?.stop();
  });

  it('is not ready while Postgres refuses its password, and says so without showing it', async (t) => {
    if (!pg) return t.skip(skip);
    const wrong = 'wrong-password-for-the-test';
    const stranger = await startService(MAIN, botEnv({ ...pg, password: wrong }));
    t.after(() => stranger.stop());
    assert.deepEqual(await getJson(`${stranger.url}/health/ready`), {
      status: 503,
      body: { status: 'not ready', reason: 'the database refused the user name or password' },
    });
    assert.equal((await getJson(`${stranger.url}/health/live`)).status, 200);
    await stranger.waitForLog((line) => line.msg === 'database is not usable', 'the warning about the database');
    assertNoSecrets(stranger.output(), wrong);
  });

  it('turns ready once its database exists, and creates the messages table', async (t) => {
    if (!pg) return t.skip(skip);
    const late = await startService(MAIN, botEnv({ ...pg, database: 'wppbot_late' }));
    t.after(() => late.stop());
    assert.deepEqual(await getJson(`${late.url}/health/ready`), {
      status: 503,
      body: { status: 'not ready', reason: 'the database does not exist (yet)' },
    });
    await execFileAsync(path.join(pg.binDir, 'createdb'), ['wppbot_late'], {
      env: { ...process.env, ...pg.clientEnv },
    });
    assert.deepEqual(await waitForReadiness(late, 200), { status: 'ready' });
    assert.equal(await psql(`select to_regclass('public.messages') is not null`, 'wppbot_late'), 't');
  });

  it('records messages in Postgres and lists the newest first', async (t) => {
    if (!bot || !pg) return t.skip(skip);
    await waitForReadiness(bot, 200);
    const first = await postMessage(bot, { sender: '+55 11 90000-0001', text: 'Olá! Is the bot awake?' });
    assert.equal(first.status, 201);
    const second = await postMessage(bot, { sender: 'bot', text: 'Yes; replies are on their way.' });
    assert.equal(second.status, 201);
    const created = second.body.message as { id: number; receivedAt: string };
    assert.ok(Number.isInteger(created.id));
    assert.ok(!Number.isNaN(Date.parse(created.receivedAt)));

    const listed = await getJson(`${bot.url}/api/messages?limit=2`, operator());
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.body.messages as Array<{ sender: string; text: string }>).map(({ sender, text }) => [sender, text]),
      [
        ['bot', 'Yes; replies are on their way.'],
        ['+55 11 90000-0001', 'Olá! Is the bot awake?'],
      ],
    );
    // Read back by psql, not by the bot: the rows really are in the database.
    assert.equal(
      await psql(`select sender || ': ' || text from messages where id = ${created.id}`),
      'bot: Yes; replies are on their way.',
    );
  });

  it('rejects bodies it cannot store with 400, 413 or 415', async (t) => {
    if (!bot) return t.skip(skip);
    assert.equal((await postMessage(bot, { text: 'no sender' })).status, 400);
    assert.equal((await postMessage(bot, { sender: 'x', text: '' })).status, 400);
    assert.equal((await postMessage(bot, { sender: 'x', text: 'y'.repeat(20_000) })).status, 413);
    const form = await fetch(`${bot.url}/api/messages`, {
      method: 'POST',
      headers: { ...operator(), 'content-type': 'text/plain' },
      body: 'hello',
    });
    assert.equal(form.status, 415);
    assert.equal((await getJson(`${bot.url}/api/messages?limit=1000`, operator())).status, 400);
  });

  it('refuses the message API without a valid, unexpired HS256 session token', async (t) => {
    if (!bot) return t.skip(skip);
    const tokens = {
      none: undefined,
      'another secret': signToken('some-other-secret-0123456789abcdef01234', { sub: 'operator', exp: inSeconds(300) }),
      expired: signToken(JWT_SECRET, { sub: 'operator', exp: inSeconds(-1) }),
      'no expiry': signToken(JWT_SECRET, { sub: 'operator' }),
      'alg none': `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"sub":"operator","exp":${inSeconds(300)}}`).toString('base64url')}.`,
      'HS512 header': signToken(JWT_SECRET, { sub: 'operator', exp: inSeconds(300) }, { alg: 'HS512' }),
      garbage: 'not-a-token',
    };
    for (const [name, token] of Object.entries(tokens)) {
      const response = await getJson(`${bot.url}/api/messages`, token ? { authorization: `Bearer ${token}` } : {});
      assert.equal(response.status, 401, `token: ${name}`);
    }
  });

  it('answers the CORS preflight for the dashboard origin only', async (t) => {
    if (!bot) return t.skip(skip);
    const preflight = (origin: string): Promise<Response> =>
      fetch(`${bot!.url}/api/messages`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight('https://dashboard.example.test');
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'https://dashboard.example.test');
    const other = await preflight('https://evil.example');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('on SIGTERM finishes the request under way, refuses new connections, closes its pool and exits 0', async (t) => {
    if (!pg) return t.skip(skip);
    // A database of its own, so its connections can be told apart from the other bots' in pg_stat_activity.
    await execFileAsync(path.join(pg.binDir, 'createdb'), ['wppbot_stopping'], {
      env: { ...process.env, ...pg.clientEnv },
    });
    const connections = `select count(*) from pg_stat_activity where datname = 'wppbot_stopping' and application_name = 'wpp-bot'`;
    const stopping = await startService(MAIN, botEnv({ ...pg, database: 'wppbot_stopping' }));
    t.after(() => stopping.stop());
    await waitForReadiness(stopping, 200);
    assert.notEqual(await psql(connections), '0');

    // "Expect: 100-continue" makes the server answer "100 Continue" once it has read the headers: from then on the
    // request is certainly under way, and its body is still to come.
    const body = JSON.stringify({ sender: 'test', text: 'sent while the bot stops' });
    const socket = connect(stopping.port, '127.0.0.1');
    const received = collect(socket);
    socket.write(
      `POST /api/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${operator().authorization}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    );
    await waitFor(
      async () => (received.text().includes('100 Continue') ? true : undefined),
      'the "100 Continue" answer',
    );

    stopping.kill('SIGTERM');
    await stopping.waitForLog((line) => line.msg.startsWith('shutting down'), 'the "shutting down" log line');
    await assert.rejects(openConnection(stopping.port), { code: 'ECONNREFUSED' });

    // write, not end: an HTTP client that half-closes its side makes Node abort the request (httpAllowHalfOpen).
    socket.write(body);
    await received.ended;
    assert.match(received.text(), /HTTP\/1\.1 201 Created/);
    assert.match(received.text(), /connection: close/i);
    assert.equal(await stopping.exited, 0);
    assert.ok(stopping.lines().some((line) => line.msg === 'stopped'));
    assert.equal(
      await psql(`select count(*) from messages where text = 'sent while the bot stops'`, 'wppbot_stopping'),
      '1',
    );
    // pool.end() closed every connection; the server process of each ends as soon as it reads the goodbye.
    await waitFor(async () => ((await psql(connections)) === '0' ? true : undefined), 'the pool to close');
  });

  it('never logs its secrets, even at LOG_LEVEL=debug', (t) => {
    if (!bot || !pg) return t.skip(skip);
    assertNoSecrets(bot.output(), pg.password);
  });
});

describe('wpp-bot when its database stops', () => {
  it('stays live and turns not ready, then logs why', async (t) => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) return t.skip(started.skip);
    const pg = started;
    t.after(() => pg.stop());
    const bot = await startService(MAIN, botEnv(pg));
    t.after(() => bot.stop());
    await waitForReadiness(bot, 200);
    await fastShutdown(pg);
    const reason = await waitForReadiness(bot, 503, /unreachable|shutting down/);
    assert.equal(reason.status, 'not ready');
    assert.deepEqual(await getJson(`${bot.url}/health/live`), { status: 200, body: { status: 'live' } });
    await bot.waitForLog((line) => line.msg === 'database is not usable', 'the warning about the database');
  });
});

/**
 * Stops Postgres as Kubernetes does: the postgres image's STOPSIGNAL is SIGINT, a fast shutdown that closes client
 * sessions. (The SIGTERM that stop() sends is a smart shutdown, which waits for the bot's idle pooled connections.)
 */
async function fastShutdown(pg: TestPostgres): Promise<void> {
  const env = { ...process.env, ...pg.clientEnv };
  const dataDir = (
    await execFileAsync(path.join(pg.binDir, 'psql'), ['-XAtc', 'show data_directory'], { env })
  ).stdout.trim();
  const postmasterPid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(postmasterPid, 'SIGINT');
}

function collect(socket: Socket): { text(): string; ended: Promise<void> } {
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const ended = new Promise<void>((resolve, reject) => {
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
  return { text: () => text, ended };
}

function openConnection(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

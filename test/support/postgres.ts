/**
 * A real PostgreSQL server for tests, on loopback, in a temp folder of its own (Debian's `postgresql` packages;
 * `.ci/run` installs them).
 *
 * The server refuses to run as root, so as root it runs as the `postgres` user through `setpriv` (which execs, so the
 * lifeline's SIGTERM reaches postgres itself). Password authentication (scram-sha-256) is on for TCP, as in a real
 * deployment, so a test that forgets the password fails as it would there. fsync is off: the data is thrown away.
 *
 * Without the binaries the handle is `{ skip }`; with DECKHAND_REQUIRE_POSTGRES=1 (CI) that is a failure instead.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findExecutable, readLogTail, spawnTiedToThisProcess, waitUntil, type Skip } from './registry.ts';

const execFileAsync = promisify(execFile);

export const REQUIRE_POSTGRES_ENV = 'DECKHAND_REQUIRE_POSTGRES';
const START_TIMEOUT_MS = 60_000;

export interface TestPostgres {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
  database: string;
  /** `postgresql://user:password@127.0.0.1:port/database` */
  url: string;
  /** Folder holding the server's programs (psql, pg_dump, pg_isready …) of the same major version. */
  binDir: string;
  /** Environment for client programs (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE). */
  clientEnv: Record<string, string>;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  user?: string;
  password?: string;
  database?: string;
}

/** Starts a fresh server. Each call is its own server with its own data folder. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres | Skip> {
  const binDir = await findPostgresBinDir();
  if (!binDir) return skipOrThrow('PostgreSQL server programs are not installed (apt-get install postgresql).');
  const asRoot = process.getuid?.() === 0;
  const setpriv = asRoot ? await findExecutable('setpriv') : undefined;
  if (asRoot && !setpriv)
    return skipOrThrow('running as root needs setpriv (util-linux) to start PostgreSQL as the postgres user.');
  const owner = asRoot ? await userIds('postgres') : undefined;
  if (asRoot && !owner)
    return skipOrThrow('running as root needs a "postgres" user (created by the postgresql package).');

  const user = options.user ?? 'deckhand';
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const database = options.database ?? user;
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-pg-'));
  const dataDir = path.join(stateDir, 'data');
  const passwordFile = path.join(stateDir, 'password');
  const logFile = path.join(stateDir, 'postgres.log');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(stateDir, owner.uid, owner.gid);
    await chown(passwordFile, owner.uid, owner.gid);
  }
  const asOwner = (argv: string[]): string[] =>
    owner && setpriv ? [setpriv, `--reuid=${owner.uid}`, `--regid=${owner.gid}`, '--init-groups', '--', ...argv] : argv;

  const [initdb, ...initdbArgs] = asOwner([
    path.join(binDir, 'initdb'),
    '--pgdata',
    dataDir,
    '--username',
    user,
    '--pwfile',
    passwordFile,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--encoding',
    'UTF8',
    '--no-sync',
  ]);
  await execFileAsync(initdb!, initdbArgs, { timeout: START_TIMEOUT_MS });

  const port = await freePort();
  const server = await spawnTiedToThisProcess({
    argv: asOwner([
      path.join(binDir, 'postgres'),
      '-D',
      dataDir,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-k',
      stateDir,
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'synchronous_commit=off',
    ]),
    stateDir,
    logFile,
  });
  try {
    await waitUntil(
      async () => {
        await execFileAsync(
          path.join(binDir, 'pg_isready'),
          ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', database, '-t', '1'],
          { timeout: 5_000 },
        );
        return true;
      },
      server,
      `PostgreSQL on 127.0.0.1:${port}`,
      START_TIMEOUT_MS,
    );
  } catch (error) {
    const log = await readLogTail(logFile).catch(() => '');
    await server.stop();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nPostgreSQL log:\n${log}`);
  }
  // initdb creates only the "postgres" database.
  if (database !== 'postgres') {
    await execFileAsync(path.join(binDir, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, database], {
      env: { ...process.env, PGPASSWORD: password },
    });
  }
  const clientEnv = {
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: user,
    PGPASSWORD: password,
    PGDATABASE: database,
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    binDir,
    clientEnv,
    logFile,
    // SIGINT is PostgreSQL's fast shutdown (what a pod's stop uses): SIGTERM's "smart" shutdown would wait for every
    // client, and a test's idle connection pool can hold it for half a minute.
    stop: async () => {
      try {
        process.kill(server.pid, 'SIGINT');
      } catch {
        // already gone
      }
      await server.stop();
    },
  };
}

/** Debian installs each major version under /usr/lib/postgresql/<major>/bin; the newest wins. */
export async function findPostgresBinDir(): Promise<string | undefined> {
  const root = '/usr/lib/postgresql';
  const majors = await readdir(root).catch(() => [] as string[]);
  for (const major of majors.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const dir = path.join(root, major, 'bin');
    if ((await readdir(dir).catch(() => [] as string[])).includes('postgres')) return dir;
  }
  const onPath = await findExecutable('postgres');
  return onPath ? path.dirname(onPath) : undefined;
}

function skipOrThrow(reason: string): Skip {
  if (process.env[REQUIRE_POSTGRES_ENV] === '1')
    throw new Error(`${reason}\n(${REQUIRE_POSTGRES_ENV}=1, so this is a failure instead of a skip.)`);
  return { skip: reason };
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([execFileAsync('id', ['-u', name]), execFileAsync('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** A port nothing listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

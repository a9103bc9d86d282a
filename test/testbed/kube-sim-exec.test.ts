/**
 * Proof that `kubectl exec` of programs a test maps into a container behaves as in a cluster, with the real kubectl
 * 1.34.5 and the real PostgreSQL client programs against the real PostgreSQL of the test bed: a dump through
 * `exec -i` without a TTY is complete and byte-identical to one taken directly, stdin and stdout carry any bytes,
 * exit codes come back, an interactive `exec -it` psql answers in a real terminal (and follows its size), and a pod
 * that goes away ends the session.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify, stripVTControlCharacters } from 'node:util';
import { spawn as spawnPty } from 'node-pty';
import { withKubeSim, type SimCluster } from '../support/kube-sim-harness.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

const POSTGRES = `
apiVersion: v1
kind: Namespace
metadata: {name: wpp-bot}
---
apiVersion: v1
kind: Secret
metadata: {name: postgres, namespace: wpp-bot}
stringData: {POSTGRES_PASSWORD: from-the-secret}
---
apiVersion: v1
kind: Pod
metadata: {name: postgres-0, namespace: wpp-bot, labels: {app: postgres}}
spec:
  containers:
  - name: postgres
    image: postgres:17
    env:
    - {name: POSTGRES_USER, value: wppbot}
    - name: POSTGRES_PASSWORD
      valueFrom: {secretKeyRef: {name: postgres, key: POSTGRES_PASSWORD}}
`;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('exec of test-provided programs with the real kubectl', { concurrency: 3 }, () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    pg = started;
    // About 6 MB of dump: 3 MB of bytea, so a single changed or added byte (a TTY's \r) shows.
    await execFileAsync(
      path.join(pg.binDir, 'psql'),
      [
        '-Xq',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        "create table blobs (id int primary key, data bytea); insert into blobs select g, decode(repeat(md5(g::text) || md5((g * 7)::text), 32), 'hex') from generate_series(1, 3000) g",
      ],
      {
        env: { ...process.env, ...pg.clientEnv },
      },
    );
  });
  after(async () => pg?.stop());

  async function postgresPod(cluster: SimCluster): Promise<void> {
    const bin = (name: string) => ({ path: path.join(pg!.binDir, name), env: pg!.clientEnv });
    cluster.sim.setExecPrograms(
      { namespace: 'wpp-bot', labels: { app: 'postgres' } },
      { psql: bin('psql'), pg_dump: bin('pg_dump'), pg_isready: bin('pg_isready'), cat: '/bin/cat', sh: '/bin/sh' },
    );
    await cluster.kubectlOk(['apply', '-f', '-'], { input: POSTGRES });
    await cluster.kubectlOk(['wait', '-n', 'wpp-bot', '--for=condition=Ready', 'pod/postgres-0', '--timeout=10s']);
  }

  test('pg_dump through exec -i without a TTY is complete and byte-identical to a direct dump', async (t) => {
    if (!pg) return t.skip(skip);
    await withKubeSim(async (cluster) => {
      await postgresPod(cluster);
      // Plain dumps carry a random `\restrict` key per run (PostgreSQL 15.14+); a fixed one makes two runs comparable.
      const options = ['--no-owner', '--restrict-key=deckhandtest'];
      const direct = await execFileAsync(path.join(pg!.binDir, 'pg_dump'), options, {
        env: { ...process.env, ...pg!.clientEnv },
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      });
      const through = await cluster.kubectl(
        ['exec', '-i', '-n', 'wpp-bot', 'postgres-0', '--', 'pg_dump', ...options],
        { input: '' },
      );
      assert.equal(through.code, 0, through.stderr);
      assert.ok(through.stdoutBytes.length > 5 * 1024 * 1024, `a large dump (${through.stdoutBytes.length} bytes)`);
      assert.equal(sha256(through.stdoutBytes), sha256(direct.stdout), 'byte-identical');
      assert.match(
        through.stdout.slice(-200),
        /-- PostgreSQL database dump complete\n--\n\n(\\unrestrict deckhandtest\n\n)?$/,
        'it ends like a complete dump',
      );
      assert.doesNotMatch(through.stdout, /\r\n/, 'no TTY line endings');
      const custom = await cluster.kubectl(['exec', '-i', '-n', 'wpp-bot', 'postgres-0', '--', 'pg_dump', '-Fc']);
      assert.equal(custom.code, 0, custom.stderr);
      const file = path.join(cluster.sandbox.dir, 'dump.pgc');
      await writeFile(file, custom.stdoutBytes);
      const listed = await execFileAsync(path.join(pg!.binDir, 'pg_restore'), ['--list', file]);
      assert.match(listed.stdout, /TABLE DATA public blobs/, 'the binary custom-format dump reads back');
      assert.deepEqual(
        cluster.sim.execs.map((e) => [e.command[0], e.tty, e.exitCode]),
        [
          ['pg_dump', false, 0],
          ['pg_dump', false, 0],
        ],
      );
    });
  });

  test('stdin and stdout carry arbitrary bytes both ways', async (t) => {
    if (!pg) return t.skip(skip);
    await withKubeSim(async (cluster) => {
      await postgresPod(cluster);
      const bytes = randomBytes(4 * 1024 * 1024);
      const echoed = await cluster.kubectl(['exec', '-i', '-n', 'wpp-bot', 'postgres-0', '--', 'cat'], {
        input: bytes,
      });
      assert.equal(echoed.code, 0, echoed.stderr);
      assert.equal(echoed.stdoutBytes.length, bytes.length);
      assert.equal(sha256(echoed.stdoutBytes), sha256(bytes));
    });
  });

  test('psql -c returns rows, the container environment is there, and a failing statement exits non-zero', async (t) => {
    if (!pg) return t.skip(skip);
    await withKubeSim(async (cluster) => {
      await postgresPod(cluster);
      const rows = await cluster.kubectl([
        'exec',
        '-i',
        '-n',
        'wpp-bot',
        'postgres-0',
        '--',
        'psql',
        '-XAt',
        '-c',
        'select id, length(data) from blobs order by id limit 2',
      ]);
      assert.equal(rows.code, 0, rows.stderr);
      assert.equal(rows.stdout, '1|1024\n2|1024\n');
      const env = await cluster.kubectl([
        'exec',
        '-n',
        'wpp-bot',
        'postgres-0',
        '--',
        'sh',
        '-c',
        'echo "$HOSTNAME $POSTGRES_USER $POSTGRES_PASSWORD"; echo oops >&2; exit 3',
      ]);
      assert.equal(env.stdout, 'postgres-0 wppbot from-the-secret\n');
      assert.equal(env.stderr.split('\n')[0], 'oops');
      assert.equal(env.code, 3);
      const failed = await cluster.kubectl([
        'exec',
        '-i',
        '-n',
        'wpp-bot',
        'postgres-0',
        '--',
        'psql',
        '-X',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        'select * from no_such_table',
      ]);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /ERROR: {2}relation "no_such_table" does not exist/);
      assert.match(failed.stderr, /command terminated with exit code 1/);
      const ready = await cluster.kubectl(['exec', '-n', 'wpp-bot', 'postgres-0', '--', 'pg_isready', '-q']);
      assert.equal(ready.code, 0, ready.stderr);
    });
  });

  test('an interactive psql through exec -it answers a query in a real terminal and follows its size', async (t) => {
    if (!pg) return t.skip(skip);
    await withKubeSim(async (cluster) => {
      await postgresPod(cluster);
      const terminal = spawnPty(
        cluster.sandbox.bin.kubectl,
        ['exec', '-it', '-n', 'wpp-bot', 'postgres-0', '--', 'psql', '-X'],
        {
          name: 'xterm-256color',
          cols: 100,
          rows: 30,
          cwd: cluster.sandbox.dir,
          env: Object.fromEntries(
            Object.entries({ ...cluster.sandbox.env, TERM: 'xterm-256color' }).filter(
              (e): e is [string, string] => e[1] !== undefined,
            ),
          ),
        },
      );
      let raw = '';
      const waiters = new Set<() => void>();
      terminal.onData((data) => {
        raw += data;
        for (const w of [...waiters]) w();
      });
      const exited = new Promise<number>((resolve) => terminal.onExit(({ exitCode }) => resolve(exitCode)));
      const screen = () => stripVTControlCharacters(raw);
      const waitFor = (pattern: RegExp, from: number) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`the terminal did not show ${String(pattern)}:\n${screen()}`)),
            20_000,
          );
          const check = () => {
            if (pattern.test(screen().slice(from))) {
              clearTimeout(timer);
              waiters.delete(check);
              resolve();
            }
          };
          waiters.add(check);
          check();
        });
      try {
        await waitFor(/wppbot=# $/m, 0);
        let from = screen().length;
        terminal.write('select 40 + 2 as answer;\r');
        await waitFor(/answer\s*\r\n-+\r\n\s*42\r\n\(1 row\)/, from);
        from = screen().length;
        terminal.write('\\! stty size\r');
        await waitFor(/^30 100\r?$/m, from);
        from = screen().length;
        terminal.resize(120, 40);
        // kubectl sends the new size on the resize channel when it sees SIGWINCH, beside the typed keys: ask until
        // the size inside has changed (bounded).
        for (let attempt = 0; attempt < 20 && !/^40 120\r?$/m.test(screen().slice(from)); attempt += 1) {
          const asked = screen().length;
          terminal.write('\\! stty size\r');
          await waitFor(/^\d+ \d+\r?\n[\s\S]*wppbot=# $/m, asked);
        }
        assert.match(screen().slice(from), /^40 120\r?$/m);
        terminal.write('\\q\r');
        assert.equal(await exited, 0, screen());
      } finally {
        terminal.kill();
      }
      assert.deepEqual(
        cluster.sim.execs.map((e) => [e.command.join(' '), e.tty, e.stdin, e.exitCode]),
        [['psql -X', true, true, 0]],
      );
    });
  });

  test('a pod that goes away ends the exec session, as its container dies', async (t) => {
    if (!pg) return t.skip(skip);
    await withKubeSim(async (cluster) => {
      await postgresPod(cluster);
      const running = cluster.sandbox.start(cluster.sandbox.bin.kubectl, [
        'exec',
        '-n',
        'wpp-bot',
        'postgres-0',
        '--',
        'sh',
        '-c',
        'echo started; exec sleep 600',
      ]);
      await running.waitForOutput('started\n');
      await cluster.kubectlOk(['delete', 'pod', '-n', 'wpp-bot', 'postgres-0', '--wait=false']);
      const result = await running.exited;
      assert.equal(result.code, 137, result.stderr);
      assert.match(result.stderr, /command terminated with exit code 137/);
      assert.equal(cluster.sim.execs[0]?.exitCode, 137);
    });
  });
});

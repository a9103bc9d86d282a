/**
 * `db connect | psql | dump wpp-bot` against a real PostgreSQL, reached the way a cluster reaches it: the simulator
 * forwards the Postgres pod's port to the test's server (kubectl's real port-forward protocol) and runs the real
 * psql and pg_dump when kubectl execs them in the pod (with stdin and TTYs). tasks.ts runs as a child process, off a
 * terminal, and in a real pseudo-terminal for the interactive psql.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createAddonsBed, type AddonsBed } from '../support/addons-bed.ts';
import { installFakeTerraform, readTerraformCalls } from '../support/fake-terraform.ts';
import { KEYS, startCliInPty } from '../support/pty.ts';
import { freePort, startPostgres, type TestPostgres } from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

const POSTGRES = (password: string) => `
apiVersion: v1
kind: Namespace
metadata: {name: wpp-bot}
---
apiVersion: v1
kind: Secret
metadata: {name: wpp-bot-secret, namespace: wpp-bot}
stringData: {POSTGRES_PASSWORD: ${JSON.stringify(password)}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: postgres, namespace: wpp-bot}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector:
    matchLabels: {app.kubernetes.io/name: postgres, app.kubernetes.io/instance: wpp-bot}
  template:
    metadata:
      labels: {app.kubernetes.io/name: postgres, app.kubernetes.io/instance: wpp-bot}
    spec:
      containers:
      - name: postgres
        image: postgres:17.6-bookworm
        ports: [{name: postgres, containerPort: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: postgres, namespace: wpp-bot}
spec:
  selector: {app.kubernetes.io/name: postgres, app.kubernetes.io/instance: wpp-bot}
  ports: [{name: postgres, port: 5432, targetPort: postgres}]
`;

const POSTGRES_PODS = { namespace: 'wpp-bot', labels: { 'app.kubernetes.io/name': 'postgres' } };

/** Output of a running tasks.ts, and a bounded wait for a pattern in it (no sleeps: it resolves on the data). */
function watchOutput(child: import('node:child_process').ChildProcess) {
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of [...listeners]) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    text: () => text,
    waitFor(pattern: RegExp, from = 0, timeoutMs = 60_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no ${String(pattern)} in:\n${text}`))),
          timeoutMs,
        );
        const check = () => {
          const match = pattern.exec(text.slice(from));
          if (match) finish(() => resolve(match));
        };
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Holds a loopback port (or finds it held already): a local Postgres on 5432 must not be in the way. */
function holdPort(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function withoutRestrictKeys(dump: string): string {
  return dump.replace(/^\\(un)?restrict \S+\n/gm, '');
}

describe('db connect, psql and dump against a real PostgreSQL', { concurrency: 3 }, () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) {
      skip = started.skip;
      return;
    }
    pg = started;
    // Bytes a TTY would mangle: binary data, CR LF inside text, and non-ASCII text.
    await psqlDirect(
      "create table messages (id int primary key, body text, blob bytea); insert into messages select g, 'line ' || g || E'\\r\\n' || 'ünïcødé ✓', decode(md5(g::text) || '0d0a00ff', 'hex') from generate_series(1, 500) g",
    );
  });
  after(async () => pg?.stop());

  async function psqlDirect(sql: string, port = pg!.port) {
    return execFileAsync(path.join(pg!.binDir, 'psql'), ['-XAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: { ...process.env, ...pg!.clientEnv, PGPORT: String(port) },
    });
  }

  const withDatabase = async (fn: (bed: AddonsBed) => Promise<void>) => {
    const bed = await createAddonsBed();
    const bin = (name: string) => ({ path: path.join(pg!.binDir, name), env: pg!.clientEnv });
    bed.sim.setPortBackend(POSTGRES_PODS, 5432, { host: '127.0.0.1', port: pg!.port });
    bed.sim.setExecPrograms(POSTGRES_PODS, { psql: bin('psql'), pg_dump: bin('pg_dump') });
    try {
      await bed.kubectlOk(['apply', '-f', '-'], POSTGRES(pg!.password));
      await bed.kubectlOk([
        'wait',
        '-n',
        'wpp-bot',
        '--for=condition=Available',
        'deployment/postgres',
        '--timeout=20s',
      ]);
      await fn(bed);
    } finally {
      await bed.close();
    }
    bed.sim.assertNoGaps();
  };

  // The tests run three at a time against one database: a test that changes its tables never overlaps one that
  // compares two dumps of it (taken one after the other, they would differ by what the other test did between them).
  let tablesInUse: Promise<void> = Promise.resolve();
  const exclusively = <T>(fn: () => Promise<T>): Promise<T> => {
    const turn = tablesInUse.then(fn);
    tablesInUse = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  };

  const postgresPod = (bed: AddonsBed) =>
    bed.sim.list('v1', 'Pod', 'wpp-bot').find((pod) => !pod.metadata.deletionTimestamp)?.metadata.name;

  test('connect: a free port, a connection string without the password, and a new forward when the pod restarts', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const held = await holdPort(5432);
      try {
        const { child, result } = bed.start(['db', 'connect', 'wpp-bot']);
        const output = watchOutput(child);
        const url = await output.waitFor(/postgresql:\/\/wppbot@127\.0\.0\.1:(\d+)\/wppbot/);
        const port = Number(url[1]);
        assert.notEqual(port, 5432);
        assert.match(output.text(), /The password is POSTGRES_PASSWORD in \.env\.wpp-bot/);
        assert.equal((await psqlDirect('select current_user, 6 * 7', port)).stdout.trim(), 'wppbot|42');

        const first = postgresPod(bed);
        const mark = output.text().length;
        await bed.kubectlOk(['delete', 'pod', '-n', 'wpp-bot', first!, '--wait=false']);
        await output.waitFor(new RegExp(`Lost the connection to pod ${first}`), mark);
        const again = await output.waitFor(/Forwarding 127\.0\.0\.1:(\d+) → (postgres-[\w-]+):5432 again/, mark);
        assert.equal(Number(again[1]), port, 'the same local port');
        assert.notEqual(again[2], first, 'to the new pod');
        assert.equal((await psqlDirect('select count(*) from messages', port)).stdout.trim(), '500');

        child.kill('SIGINT');
        const ended = await result;
        assert.equal(ended.code, 130, ended.output);
        assert.ok(!ended.output.includes(pg!.password), 'the password was never printed');
        await bed.sim.waitFor(() => bed.sim.openPortForwards() === 0, {
          description: 'kubectl port-forward ended with deckhand',
        });
      } finally {
        held?.close();
      }
    });
  });

  test('connect --show-password prints a connection string that works as it is; a taken --port is refused', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const { child, result } = bed.start(['db', 'connect', 'wpp-bot', '--show-password']);
      const output = watchOutput(child);
      const match = await output.waitFor(/(postgresql:\/\/wppbot:[^@\s]+@127\.0\.0\.1:\d+\/wppbot)/);
      assert.ok(match[1]!.includes(encodeURIComponent(pg!.password)));
      const answer = await execFileAsync(path.join(pg!.binDir, 'psql'), ['-XAt', match[1]!, '-c', 'select 1'], {
        env: { PATH: process.env['PATH'] },
      });
      assert.equal(answer.stdout.trim(), '1');
      child.kill('SIGINT');
      assert.equal((await result).code, 130);

      const port = await freePort();
      const busy = await holdPort(port);
      try {
        const taken = await bed.cli(['db', 'connect', 'wpp-bot', '--port', String(port)]);
        assert.equal(taken.code, 2, taken.output);
        assert.match(taken.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is taken by another program`));
      } finally {
        busy?.close();
      }
    });
  });

  test('psql -c runs one statement; a script on stdin stops at its first error', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const answer = await bed.cli(['db', 'psql', 'wpp-bot', '-c', 'select 40 + 2 as answer']);
      assert.equal(answer.code, 0, answer.output);
      assert.match(answer.stdout, /answer\s*\n-+\s*\n\s*42\s*\n\(1 row\)/);
      const failed = await bed.cli(['db', 'psql', 'wpp-bot', '-c', 'select * from nope']);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /relation "nope" does not exist/);

      const script = await exclusively(async () => {
        const ran = await bed.cli(['db', 'psql', 'wpp-bot'], {
          input:
            'create table script_test (x int);\ninsert into script_test values (1);\nselect * from nope;\ninsert into script_test values (2);\n',
        });
        const rows = (await psqlDirect('select count(*) from script_test')).stdout.trim();
        await psqlDirect('drop table script_test');
        return { ...ran, rows };
      });
      assert.equal(script.code, 1, script.output);
      assert.match(script.stderr, /the script stopped at its first error/);
      assert.equal(script.rows, '1');
      assert.deepEqual(
        bed.sim.execs.map((e) => [e.command[0], e.stdin, e.tty]),
        [
          ['psql', false, false],
          ['psql', false, false],
          ['psql', true, false],
        ],
      );
    });
  });

  test('psql on a terminal is interactive, the terminal passed through', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const { CI: _ci, ...env } = bed.env;
      const session = startCliInPty(['db', 'psql', 'wpp-bot'], { env, cols: 100, rows: 30, watchdogMs: 60_000 });
      try {
        await session.waitFor(/wppbot=# $/m);
        let from = session.screen().length;
        session.type(`select 6 * 7 as answer;${KEYS.enter}`);
        await session.waitFor(/answer\s*\r?\n-+\r?\n\s*42\r?\n\(1 row\)/, { fromIndex: from });
        from = session.screen().length;
        session.type(`\\q${KEYS.enter}`);
        const exit = await session.exited;
        assert.equal(exit.exitCode, 0, exit.screen);
      } finally {
        session.kill();
      }
      assert.deepEqual(
        bed.sim.execs.map((e) => [e.command.join(' '), e.stdin, e.tty, e.exitCode]),
        [['psql --username wppbot --dbname wppbot', true, true, 0]],
      );
    });
  });

  test('dump: binary-clean through exec without a TTY, 0600 in a 0700 folder, complete, and the same as a direct pg_dump', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const { result, direct } = await exclusively(async () => ({
        result: await bed.cli(['db', 'dump', 'wpp-bot']),
        direct: await execFileAsync(
          path.join(pg!.binDir, 'pg_dump'),
          ['--username', 'wppbot', '--dbname', 'wppbot', '--no-password'],
          { env: { ...process.env, ...pg!.clientEnv }, maxBuffer: 64 * 1024 * 1024 },
        ),
      }));
      assert.equal(result.code, 0, result.output);
      const files = await readdir(bed.backupDir);
      assert.equal(files.length, 1, files.join(', '));
      assert.match(files[0]!, /^wpp-bot-wppbot-\d{8}-\d{6}\.sql$/);
      const file = path.join(bed.backupDir, files[0]!);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await stat(bed.backupDir)).mode & 0o777, 0o700);
      const dumped = await readFile(file, 'utf8');
      assert.match(dumped, /-- PostgreSQL database dump complete/);
      const sha = (text: string) => createHash('sha256').update(withoutRestrictKeys(text)).digest('hex');
      assert.equal(sha(dumped), sha(direct.stdout), 'byte for byte (apart from the per-run \\restrict key)');
      assert.ok(dumped.includes('\\r\\n'), 'CR LF inside the data kept as the data has it');
      assert.match(
        result.output,
        /Dumped wppbot from pod postgres-[\w-]+: .*wpp-bot-wppbot-\d{8}-\d{6}\.sql \([\d.]+ KiB, complete\)/,
      );
      assert.deepEqual(
        bed.sim.execs.map((e) => [e.command[0], e.tty, e.stdin, e.exitCode]),
        [['pg_dump', false, false, 0]],
      );
    });
  });

  test('a dump that is cut short or fails leaves no file behind', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      // pg_dump stand-ins inside the pod: one that stops half-way (exit 0), one that fails.
      const truncated = path.join(bed.dir, 'pg_dump-truncated');
      await writeFile(
        truncated,
        `#!/bin/sh\nprintf -- '--\\n-- PostgreSQL database dump\\n--\\n\\nCREATE TABLE half (\\n'\n`,
      );
      const failing = path.join(bed.dir, 'pg_dump-failing');
      await writeFile(
        failing,
        `#!/bin/sh\nprintf -- '--\\n-- PostgreSQL database dump\\n'\necho 'pg_dump: error: connection to server failed' >&2\nexit 1\n`,
      );
      await Promise.all([chmod(truncated, 0o755), chmod(failing, 0o755)]);

      bed.sim.setExecPrograms(POSTGRES_PODS, { pg_dump: truncated });
      const cut = await bed.cli(['db', 'dump', 'wpp-bot']);
      assert.equal(cut.code, 1, cut.output);
      assert.match(cut.stderr, /does not end like a complete pg_dump \(\d+ bytes\): it was cut off, so it was removed/);

      bed.sim.setExecPrograms(POSTGRES_PODS, { pg_dump: failing });
      const failed = await bed.cli(['db', 'dump', 'wpp-bot']);
      assert.equal(failed.code, 1, failed.output);
      assert.match(failed.stderr, /pg_dump: error: connection to server failed/);
      assert.deepEqual(await readdir(bed.backupDir), [], 'no dump and no .partial left');
    });
  });

  test('infra destroy dumps the database (off a terminal, without asking) before the cluster goes', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      const fixtures = path.resolve(import.meta.dirname, '../fixtures/terraform');
      const fixture = async (name: string) => JSON.parse(await readFile(path.join(fixtures, name), 'utf8')) as unknown;
      const bin = path.join(bed.dir, 'terraform-bin');
      const terraformDir = path.join(bed.dir, 'terraform');
      await mkdir(terraformDir);
      await writeFile(path.join(terraformDir, 'main.tf'), '# the stand-in terraform does not read this\n');
      const token = 'destroy-test-linode-token-0123456789';
      const calls = installFakeTerraform(bin, {
        expectToken: token,
        planJson: await fixture('plan-create.json'),
        destroyPlanJson: await fixture('plan-destroy.json'),
        outputs: await fixture('outputs.json'),
      });
      const result = await bed.cli(['infra', 'destroy', '--yes'], {
        env: {
          PATH: `${bin}${path.delimiter}${bed.env['PATH']}`,
          LINODE_TOKEN: token,
          DECKHAND_TERRAFORM_DIR: terraformDir,
        },
      });
      assert.equal(result.code, 0, result.output);
      const dumped = result.output.indexOf("Dumped wpp-bot's database");
      assert.ok(
        result.output.includes("Before the cluster is destroyed: dumping wpp-bot's database first."),
        result.output,
      );
      assert.ok(
        dumped !== -1 && dumped < result.output.indexOf('Destroy (this takes a few minutes).'),
        'the dump comes first',
      );
      const files = await readdir(bed.backupDir);
      assert.equal(files.length, 1);
      assert.match(await readFile(path.join(bed.backupDir, files[0]!), 'utf8'), /-- PostgreSQL database dump complete/);
      assert.ok(
        readTerraformCalls(calls).some((call) => call.argv[0] === 'apply'),
        'then terraform destroys',
      );
    });
  });

  test('a dry run shows every command and opens nothing', async (t) => {
    if (!pg) return t.skip(skip);
    await withDatabase(async (bed) => {
      for (const args of [['connect'], ['dump'], ['psql', '-c', 'select 1']]) {
        const result = await bed.cli(['db', args[0]!, 'wpp-bot', ...args.slice(1), '--dry-run']);
        assert.equal(result.code, 0, result.output);
        assert.match(result.stderr, /\[dry run\] would run: kubectl (port-forward pod\/postgres-|exec postgres-)/);
      }
      assert.deepEqual([bed.sim.execs.length, bed.sim.portForwards.length], [0, 0]);
      assert.deepEqual(await readdir(bed.backupDir).catch(() => []), []);
    });
  });
});

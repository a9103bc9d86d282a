/**
 * The pure and runner-level parts of `db` and `dashboard token`: what a complete dump looks like, the psql modes,
 * connection strings, token durations, the RBAC objects and their idempotent convergence (with a fake runner that
 * records argv), the app's database matching its manifests, and the two helpers added for this work: revealLine
 * (the one unmasked write) and runAttached (a command on this terminal).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { findApp } from '../../scripts/apps/index.ts';
import { InterruptedError, UsageError } from '../../scripts/lib/errors.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import { createShell, runAttached } from '../../scripts/lib/shell.ts';
import {
  ADMIN,
  VIEWER,
  checkViewerLimits,
  convergeAccess,
  roleBindingManifest,
  serviceAccountManifest,
} from '../../scripts/steps/cluster/dashboard-access.ts';
import { tokenDuration } from '../../scripts/steps/cluster/dashboard.ts';
import { connectionUrl, parsePort } from '../../scripts/steps/service/db-connect.ts';
import { dumpFileName, endsLikeCompleteDump, pgDumpCommand } from '../../scripts/steps/service/db-dump.ts';
import { findDatabaseApp, isServing, selectorOf } from '../../scripts/steps/service/db-pod.ts';
import { psqlCommand, psqlMode } from '../../scripts/steps/service/db.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { fakeRunner, json } from '../support/fake-runner.ts';
import { TEST_TARGET } from '../support/targets.ts';

const execFileAsync = promisify(execFile);
const app = findDatabaseApp('wpp-bot');

describe('db: dumps, psql and connection strings', () => {
  it('knows a complete plain dump from a cut one', () => {
    const complete = 'SELECT 1;\n\n--\n-- PostgreSQL database dump complete\n--\n\n';
    assert.equal(endsLikeCompleteDump(complete), true);
    assert.equal(
      endsLikeCompleteDump(`${complete}\\unrestrict AbC123xyz\n\n`),
      true,
      'PostgreSQL 17.6+ adds \\unrestrict',
    );
    assert.equal(endsLikeCompleteDump('--\n-- PostgreSQL database dump\n--\n\nCREATE TABLE half (\n'), false);
    assert.equal(endsLikeCompleteDump(`${complete}CREATE TABLE after_the_end ();\n`), false);
    assert.equal(endsLikeCompleteDump(''), false);
  });

  it('names dumps by app, database and UTC time, and runs pg_dump over the pod’s socket without a password', () => {
    assert.equal(dumpFileName(app, new Date('2026-08-21T09:30:05.123Z')), 'wpp-bot-wppbot-20260821-093005.sql');
    assert.deepEqual(pgDumpCommand(app.database), [
      'pg_dump',
      '--username',
      'wppbot',
      '--dbname',
      'wppbot',
      '--no-password',
    ]);
  });

  it('runs psql interactively on a terminal, one statement with -c, a script from anything else', () => {
    assert.equal(psqlMode(undefined, true), 'terminal');
    assert.equal(psqlMode(undefined, false), 'script');
    assert.equal(psqlMode('select 1', true), 'statement');
    assert.deepEqual(psqlCommand(app.database, 'terminal'), ['psql', '--username', 'wppbot', '--dbname', 'wppbot']);
    assert.deepEqual(psqlCommand(app.database, 'statement', 'select 1').slice(-4), [
      '--set',
      'ON_ERROR_STOP=1',
      '--command',
      'select 1',
    ]);
    assert.deepEqual(psqlCommand(app.database, 'script').slice(-2), ['--set', 'ON_ERROR_STOP=1']);
  });

  it('encodes connection strings, and takes only real port numbers', () => {
    assert.equal(connectionUrl(app.database, 5433), 'postgresql://wppbot@127.0.0.1:5433/wppbot');
    assert.equal(
      connectionUrl(app.database, 5433, 'p@ss:w/rd?'),
      'postgresql://wppbot:p%40ss%3Aw%2Frd%3F@127.0.0.1:5433/wppbot',
    );
    assert.equal(parsePort(undefined), undefined);
    assert.equal(parsePort('15432'), 15432);
    for (const bad of ['0', '65536', 'x', '54.3']) assert.throws(() => parsePort(bad), UsageError, bad);
  });

  it('serves from a Running, Ready pod that is not being deleted', () => {
    const pod = (phase: string, ready: string, deleting = false) => ({
      metadata: { name: 'p', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
      status: { phase, conditions: [{ type: 'Ready', status: ready }] },
    });
    assert.equal(isServing(pod('Running', 'True')), true);
    assert.equal(isServing(pod('Running', 'False')), false);
    assert.equal(isServing(pod('Pending', 'False')), false);
    assert.equal(isServing(pod('Running', 'True', true)), false);
  });

  it("only apps with a database; wpp-bot's matches its manifests", () => {
    assert.throws(() => findDatabaseApp('caelundas'), /caelundas has no database for "db" to reach/);
    const read = (file: string) =>
      parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'k8s/wpp-bot', file), 'utf8')).map(
        (doc) => doc.toJS() as Record<string, any>,
      );
    const deployment = read('30-postgres.yaml').find((doc) => doc['kind'] === 'Deployment')!;
    const template = deployment['spec'].template;
    for (const [key, value] of Object.entries(app.database.selector))
      assert.equal(template.metadata.labels[key], value, key);
    const container = template.spec.containers.find((c: { name: string }) => c.name === app.database.container);
    assert.ok(container, 'the container');
    assert.equal(container.ports[0].containerPort, app.database.port);
    const config = read('10-configmaps.yaml').find((doc) => doc['metadata'].name === 'wpp-bot-config')!;
    assert.deepEqual(
      [config['data'].POSTGRES_USER, config['data'].POSTGRES_DB],
      [app.database.user, app.database.name],
    );
    assert.ok(findApp('wpp-bot').secret.inputs.some((input) => input.key === app.database.passwordKey));
    assert.equal(selectorOf(app.database), 'app.kubernetes.io/name=postgres,app.kubernetes.io/instance=wpp-bot');
  });
});

describe('dashboard tokens', () => {
  it('lasts 1h by default, and at least the 10 minutes Kubernetes issues', () => {
    assert.equal(tokenDuration(undefined), 3_600_000);
    assert.equal(tokenDuration('30m'), 1_800_000);
    assert.throws(() => tokenDuration('5m'), /too short: Kubernetes issues tokens for 10m or more/);
    assert.throws(() => tokenDuration('soon'), /--duration expects a duration/);
  });

  it('binds a token-only ServiceAccount with a RoleBinding (namespaced), never a ClusterRoleBinding', () => {
    assert.deepEqual(serviceAccountManifest(VIEWER, 'wpp-bot'), {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'headlamp-viewer',
        namespace: 'wpp-bot',
        labels: (serviceAccountManifest(VIEWER, 'x').metadata as { labels: unknown }).labels,
      },
      automountServiceAccountToken: false,
    });
    const binding = roleBindingManifest(VIEWER, 'wpp-bot') as Record<string, any>;
    assert.equal(binding['kind'], 'RoleBinding');
    assert.equal(binding['metadata'].namespace, 'wpp-bot');
    assert.deepEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });
    assert.deepEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: 'headlamp-viewer', namespace: 'wpp-bot' }]);
    assert.equal((roleBindingManifest(ADMIN, 'wpp-bot') as Record<string, any>)['roleRef'].name, 'admin');
    assert.match(ADMIN.grants, /read every Secret in it/);
  });

  const live = (roleName: string) => (command: string) => {
    if (command.includes('/serviceaccounts/headlamp-viewer')) return json({ metadata: { name: 'headlamp-viewer' } });
    if (command.includes('/rolebindings/headlamp-viewer'))
      return json({
        metadata: { name: 'headlamp-viewer' },
        roleRef: { kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: 'headlamp-viewer', namespace: 'wpp-bot' }],
      });
    return undefined;
  };

  it('writes nothing when the account and binding are as wanted; replaces a binding to another role', async () => {
    const current = fakeRunner(live('view'));
    assert.equal(await convergeAccess(current, TEST_TARGET, 'wpp-bot', VIEWER, true), 'unchanged');
    assert.deepEqual(current.writes, []);
    const other = fakeRunner(live('edit'));
    assert.equal(await convergeAccess(other, TEST_TARGET, 'wpp-bot', VIEWER, true), 'updated');
    assert.deepEqual(other.writes, [
      'kubectl delete rolebinding headlamp-viewer --namespace wpp-bot --ignore-not-found --wait=true',
      'kubectl apply --namespace wpp-bot --server-side --field-manager deckhand --force-conflicts --filename -',
    ]);
    const missing = fakeRunner((command) =>
      command.startsWith('kubectl get --raw')
        ? { exitCode: 1, stderr: 'Error from server (NotFound): x not found' }
        : undefined,
    );
    assert.equal(await convergeAccess(missing, TEST_TARGET, 'wpp-bot', VIEWER, true), 'created');
    assert.equal(missing.writes.length, 1);
  });

  it('refuses a viewer the API server says may do more, and says when it could not ask', async () => {
    const limited = fakeRunner(() => ({ stdout: 'no\n', exitCode: 1 }));
    assert.equal(await checkViewerLimits(limited, TEST_TARGET, 'wpp-bot', VIEWER), undefined);
    assert.equal(limited.calls.filter((call) => call.startsWith('kubectl auth can-i')).length, 3);
    const widened = fakeRunner((command) =>
      command.includes('can-i get secrets') ? { stdout: 'yes\n' } : { stdout: 'no\n', exitCode: 1 },
    );
    await assert.rejects(
      checkViewerLimits(widened, TEST_TARGET, 'wpp-bot', VIEWER),
      /may get secrets in wpp-bot: .*No token was issued/,
    );
    const forbidden = fakeRunner(() => ({ stderr: 'users "me" is forbidden: cannot impersonate', exitCode: 1 }));
    assert.match(
      (await checkViewerLimits(forbidden, TEST_TARGET, 'wpp-bot', VIEWER)) ?? '',
      /could not ask the API server/,
    );
  });
});

describe('revealLine and runAttached', () => {
  it('writes a secret around the output guard, which still masks it everywhere else', async () => {
    const script = `
      import { SecretMasker } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts/lib/redact.ts'))};
      import { guardProcessOutput } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts/lib/process-output.ts'))};
      import { revealLine } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts/lib/reveal.ts'))};
      const masker = new SecretMasker();
      masker.add('s3cret-token-value');
      guardProcessOutput({ masker });
      process.stdout.write('logged: s3cret-token-value\\n');
      revealLine(1, 's3cret-token-value');
      process.stderr.write('error: s3cret-token-value\\n');
    `;
    const { stdout, stderr } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { cwd: REPO_ROOT },
    );
    assert.equal(stdout, 'logged: ***\ns3cret-token-value\n');
    assert.equal(stderr, 'error: ***\n');
  });

  const runner = (dryRun: boolean, verbose = false) => {
    const lines: string[] = [];
    const masker = new SecretMasker();
    masker.add('hidden-value');
    const shell = createShell({ dryRun, verbose, masker, log: (line) => lines.push(line) });
    return { shell, lines };
  };

  it('shows a write in a dry run instead of running it, masked', async () => {
    const { shell, lines } = runner(true);
    const result = await runAttached(shell, ['sh', '-c', 'exit 3', 'hidden-value'], {
      kind: 'write',
      log: (line) => lines.push(line),
    });
    assert.deepEqual(result, { exitCode: 0, skipped: true });
    assert.deepEqual(lines, ["[dry run] would run: sh -c 'exit 3' ***"]);
  });

  it('returns the exit code, echoes with --verbose, and stops the child on an interruption', async () => {
    const { shell, lines } = runner(false, true);
    const log = (line: string) => lines.push(line);
    assert.deepEqual(await runAttached(shell, ['sh', '-c', 'exit 3'], { kind: 'write', log }), {
      exitCode: 3,
      skipped: false,
    });
    assert.equal(lines[0], "$ sh -c 'exit 3'");
    assert.match(lines[1] ?? '', /↳ exit 3 after/);
    const interruption = new AbortController();
    const running = runAttached(shell, ['sleep', '30'], { kind: 'write', log, signal: interruption.signal });
    interruption.abort(new InterruptedError('Interrupted by SIGINT.'));
    await assert.rejects(running, /Interrupted by SIGINT/);
  });
});

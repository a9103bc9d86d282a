/**
 * `db connect | psql | dump <app>`: how a person reaches a service's database, without exposing it outside the
 * cluster. connect (db-connect.ts) forwards a local port; psql runs psql inside the database pod — interactive with
 * your terminal passed through, one statement with -c, or a script read from stdin; dump (db-dump.ts) writes a
 * verified pg_dump into backups/.
 */
import type { CommandContext } from '../../cli/context.ts';
import type { db } from '../../cli/commands/addons.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { runAttached } from '../../lib/shell.ts';
import { resolveAddonTarget } from '../cluster/addon-target.ts';
import { connectDatabase } from './db-connect.ts';
import { dumpCommand } from './db-dump.ts';
import { findDatabaseApp, servingPod, waitForServingPod, type DatabaseApp } from './db-pod.ts';

type DbContext = CommandContext<typeof db>;

const READY_WAIT_MS = 60_000;

export async function runDb(ctx: DbContext): Promise<void> {
  const { action, app: appName } = ctx.invocation.args;
  const app = findDatabaseApp(appName);
  const { options } = ctx.invocation;
  if (action === 'connect')
    return connectDatabase(ctx, app, {
      showPassword: options['show-password'],
      ...(options.port !== undefined ? { port: options.port } : {}),
    });
  if (action === 'dump') return dumpCommand(ctx, app);
  return runPsql(ctx, app, options.command);
}

export type PsqlMode = 'terminal' | 'statement' | 'script';

/** A terminal gets an interactive session; -c one statement; anything else on stdin is a script. */
export function psqlMode(statement: string | undefined, stdinIsTerminal: boolean): PsqlMode {
  if (statement !== undefined) return 'statement';
  return stdinIsTerminal ? 'terminal' : 'script';
}

export function psqlCommand(database: DatabaseApp['database'], mode: PsqlMode, statement?: string): string[] {
  const base = ['psql', '--username', database.user, '--dbname', database.name];
  // A script stops at its first error (and psql exits 3), rather than running on past it.
  if (mode === 'script') return [...base, '--set', 'ON_ERROR_STOP=1'];
  if (mode === 'statement') return [...base, '--set', 'ON_ERROR_STOP=1', '--command', statement!];
  return base;
}

async function runPsql(ctx: DbContext, app: DatabaseApp, statement: string | undefined): Promise<void> {
  const mode = psqlMode(statement, Boolean(process.stdin.isTTY));
  const cluster = await resolveAddonTarget(ctx, app.namespace, { forWrite: false });
  const { target } = cluster;
  const shell = ctx.shell.withLog((line) => ctx.ui.info(line));
  if (mode === 'terminal') ctx.ui.info(cluster.banner);
  const pod = !cluster.reachable
    ? '<database pod>'
    : ctx.config.dryRun
      ? ((await servingPod(shell, target, target.namespace, app.database)) ?? '<database pod>')
      : await waitForServingPod(shell, target, target.namespace, app.database, READY_WAIT_MS);
  const argv = kubectl.execSessionArgs(target, target.namespace, pod, psqlCommand(app.database, mode, statement), {
    container: app.database.container,
    stdin: mode !== 'statement',
    tty: mode === 'terminal',
  });
  const { exitCode, skipped } = await runAttached(ctx.shell, argv, {
    // What the SQL does is the user's; a dry run shows the session instead of opening it.
    kind: 'write',
    log: (line) => ctx.ui.info(line),
    signal: ctx.interruption.signal,
  });
  if (skipped) ctx.ui.success('Dry run done: nothing was run.');
  else if (exitCode !== 0)
    throw new DeckhandError(
      `psql in pod ${pod} ended with exit code ${exitCode}${mode === 'script' ? ' (the script stopped at its first error)' : ''}.`,
    );
}

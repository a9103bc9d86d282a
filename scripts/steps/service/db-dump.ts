/**
 * `db dump <app>`: pg_dump inside the database pod through `kubectl exec` WITHOUT a terminal — a TTY rewrites line
 * endings and is not binary-clean (kubernetes/kubectl #521) — streamed byte for byte into backups/ (folder 0700, file
 * 0600, git-ignored). The file keeps a `.partial` name until pg_dump has exited 0 and the dump is non-empty and ends
 * the way a complete plain dump ends; anything else is removed, so a file without `.partial` is a whole dump.
 *
 * offerDatabaseDump is what commands that could lose database data call first.
 */
import { chmodSync, closeSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../../cli/context.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { commandFailure, type Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { APPS } from '../../apps/index.ts';
import { resolveAddonTarget } from '../cluster/addon-target.ts';
import { servingPod, waitForServingPod, type DatabaseApp } from './db-pod.ts';

const DUMP_TIMEOUT_MS = 60 * 60_000;
const READY_WAIT_MS = 60_000;
/** How much of the file's end is read to check that it is complete. */
const TAIL_BYTES = 4096;

type DumpContext = Pick<CommandContext, 'config' | 'shell' | 'ui' | 'resolveTarget'>;

export function pgDumpCommand(database: DatabaseApp['database']): string[] {
  // Over the pod's local socket, where the official image trusts local connections: no password travels anywhere.
  return ['pg_dump', '--username', database.user, '--dbname', database.name, '--no-password'];
}

/** backups/wpp-bot-wppbot-20260821-093000.sql (UTC). */
export function dumpFileName(app: DatabaseApp, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${app.name}-${app.database.name}-${stamp}.sql`;
}

/**
 * True when `tail` (the end of a plain-format dump) ends as pg_dump ends a complete one: the "dump complete" comment,
 * then only the `\unrestrict` line that PostgreSQL 17.6+, 16.10+, 15.14+ … print after it, and blank lines.
 */
export function endsLikeCompleteDump(tail: string): boolean {
  const marker = tail.lastIndexOf('-- PostgreSQL database dump complete');
  if (marker === -1) return false;
  const after = tail.slice(marker).split('\n').slice(1);
  return after.every((line) => line === '' || line === '--' || /^\\unrestrict \S+$/.test(line));
}

function readTail(file: string): string {
  const size = statSync(file).size;
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

export interface DumpResult {
  file: string;
  bytes: number;
}

/** Dumps the app's database from `pod` into the backup folder; returns the verified file (undefined in a dry run). */
export async function dumpDatabase(
  shell: Runner,
  target: KubeTarget,
  app: DatabaseApp,
  pod: string,
  backupDir: string,
  now: Date = new Date(),
): Promise<DumpResult | undefined> {
  const file = path.join(backupDir, dumpFileName(app, now));
  const argv = kubectl.execSessionArgs(target, target.namespace, pod, pgDumpCommand(app.database), {
    container: app.database.container,
  });
  if (shell.dryRun) {
    await shell.run(argv, { kind: 'write' });
    shell.dryRunNote(`write the dump to ${file} (mode 0600) once it is complete`);
    return undefined;
  }
  mkdirSync(backupDir, { recursive: true, mode: 0o700 });
  chmodSync(backupDir, 0o700);
  const partial = `${file}.partial`;
  const fd = openSync(partial, 'wx', 0o600);
  let bytes = 0;
  let closed = false;
  try {
    const result = await shell.run(argv, {
      // Reads the database, but writes a file here: a dry run shows it instead.
      kind: 'write',
      nothrow: true,
      timeoutMs: DUMP_TIMEOUT_MS,
      onStdoutData: (chunk) => {
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(fd, chunk, offset);
        bytes += chunk.length;
      },
      hint: `Is pg_dump in the ${app.database.container} container? kubectl -n ${target.namespace} exec ${pod} -- pg_dump --version`,
    });
    closeSync(fd);
    closed = true;
    if (result.exitCode !== 0) throw commandFailure(shell, result, 'Nothing was kept: the partial dump is removed.');
    if (bytes === 0) throw new DeckhandError('pg_dump wrote nothing: the dump is empty, so nothing was kept.');
    if (!endsLikeCompleteDump(readTail(partial))) {
      throw new DeckhandError(
        `The dump of ${app.database.name} does not end like a complete pg_dump (${bytes} bytes): it was cut off, so it was removed.`,
        `Run ${deckhand('db', 'dump', app.name)} again; if it happens again, look at the pod: it may have restarted during the dump.`,
      );
    }
    renameSync(partial, file);
    return { file, bytes };
  } catch (error) {
    if (!closed) closeSync(fd);
    rmSync(partial, { force: true });
    throw error;
  }
}

/** `db dump <app>`: the dump, verified, with where it is and how to restore it. */
export async function dumpCommand(ctx: DumpContext, app: DatabaseApp): Promise<void> {
  const cluster = await resolveAddonTarget(ctx, app.namespace, { forWrite: false });
  ctx.ui.info(cluster.banner);
  const shell = ctx.shell.withLog((line) => ctx.ui.info(line));
  const pod = cluster.reachable
    ? ctx.config.dryRun
      ? ((await servingPod(shell, cluster.target, cluster.target.namespace, app.database)) ?? '<database pod>')
      : await waitForServingPod(shell, cluster.target, cluster.target.namespace, app.database, READY_WAIT_MS)
    : '<database pod>';
  const dumped = await dumpDatabase(shell, cluster.target, app, pod, ctx.config.backupDir);
  if (!dumped) {
    ctx.ui.success('Dry run done: nothing was dumped.');
    return;
  }
  const shown = path.relative(process.cwd(), dumped.file);
  ctx.ui.info(`Restore it into an empty database with: psql --single-transaction -v ON_ERROR_STOP=1 -f ${shown}`);
  ctx.ui.success(`Dumped ${app.database.name} from pod ${pod}: ${shown} (${formatBytes(dumped.bytes)}, complete).`);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Called by any command that could lose database data, before it does anything: offers a dump (on a terminal: asks,
 * default yes; off one: takes it, since nobody can be asked and a dump only costs time). Returns the dump, or
 * undefined when declined, impossible (no running database: its data is not reachable anyway), or a dry run. A
 * failed dump stops the caller: nothing is lost that a dump was meant to save.
 */
export async function offerDatabaseDump(
  ctx: Pick<CommandContext, 'config' | 'shell' | 'ui' | 'prompter'>,
  app: DatabaseApp,
  target: KubeTarget,
  before: string,
): Promise<DumpResult | undefined> {
  const shell = ctx.shell.withLog((line) => ctx.ui.info(line));
  const pod = await servingPod(shell, target, target.namespace, app.database).catch(() => undefined);
  if (!pod) {
    ctx.ui.info(
      `No running database pod for ${app.name} in namespace ${target.namespace}: nothing to dump before ${before}.`,
    );
    return undefined;
  }
  if (ctx.prompter.interactive && !ctx.config.yes) {
    const wanted = await ctx.prompter.confirm(
      {
        message: `Before ${before}: dump ${app.name}'s database into ${path.relative(process.cwd(), ctx.config.backupDir) || '.'}/ first?`,
        default: true,
      },
      {
        what: 'whether to dump the database first',
        howToProvide: `run ${deckhand('db', 'dump', app.name)} yourself first`,
      },
    );
    if (!wanted) return undefined;
  } else ctx.ui.info(`Before ${before}: dumping ${app.name}'s database first.`);
  const dumped = await dumpDatabase(shell, target, app, pod, ctx.config.backupDir);
  if (dumped) ctx.ui.success(`Dumped ${app.name}'s database: ${dumped.file}`);
  return dumped;
}

/**
 * offerDatabaseDump for every app with a database, on the cluster this command targets: what `infra destroy` runs
 * before the cluster goes. A cluster that cannot be read is said so and passed over (its data is out of reach anyway).
 */
export async function offerDumpsBefore(
  ctx: Pick<CommandContext, 'config' | 'shell' | 'ui' | 'prompter' | 'resolveTarget'>,
  before: string,
): Promise<void> {
  for (const app of APPS) {
    if (app.kind !== 'service' || !app.database) continue;
    const cluster = await resolveAddonTarget(ctx, app.namespace, { forWrite: false }).catch((error: unknown) => {
      ctx.ui.warn(
        `Cannot read the cluster to offer a dump of ${app.name}'s database: ${(error as Error).message.split('\n')[0]}`,
      );
      return undefined;
    });
    if (cluster?.reachable) await offerDatabaseDump(ctx, app as DatabaseApp, cluster.target, before);
  }
}

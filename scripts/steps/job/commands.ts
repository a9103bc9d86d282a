/** `releases` and `logs`: reading a Job app's runs, no pipeline needed. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { findJobApp, type JobApp } from '../../apps/index.ts';
import { readAppInputs } from '../../apps/inputs.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { logs } from '../../cli/commands/app.ts';
import type { releases } from '../../cli/commands/job.ts';
import { deckhand } from '../../lib/hints.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { plural } from '../../lib/wording.ts';
import { parseTail, streamReleaseLogs } from './logs.ts';
import { jobLogFile } from './job-log.ts';
import { readReleases, type ReleaseRow } from './runs.ts';
import { chooseRelease, formatReleaseTable, pickerWidth, releasesJson } from './runs-view.ts';

/** Every run of a Job app in the target's namespace; `named` releases are looked up even when the cluster has none. */
export function readAppRuns(
  ctx: Pick<CommandContext, 'shell' | 'config'>,
  app: JobApp,
  target: KubeTarget,
  named: readonly string[] = [],
): Promise<ReleaseRow[]> {
  return readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
    sharedSecret: app.secret.name,
    named,
  });
}

/** releases <job app>: every run with its state, Job outcome, commit, age, PVC, and whether its output is here. */
export async function showReleases(ctx: CommandContext<typeof releases>): Promise<void> {
  const app = findJobApp(ctx.invocation.args.app, 'releases');
  const target = ctx.resolveTarget(app.namespace);
  const rows = await readAppRuns(ctx, app, target);
  const now = new Date();
  if (ctx.invocation.options.json) ctx.ui.data(JSON.stringify(releasesJson(rows, now), null, 2));
  else if (rows.length === 0) {
    ctx.ui.info(
      `${app.name} has no releases in namespace ${target.namespace}. Start one with: ${deckhand('deploy', app.name)}`,
    );
  } else ctx.ui.data(formatReleaseTable(rows, now));
}

/**
 * logs <job app>: the newest pod's log of a run, followed while its Job runs — or, once the Job and its pods are gone
 * (a TTL, an uninstall), the whole log deploy saved beside the run's record.
 */
export async function showLogs(ctx: CommandContext<typeof logs>): Promise<void> {
  const app = findJobApp(ctx.invocation.args.app, 'logs');
  const { options } = ctx.invocation;
  const tail = parseTail(options.tail);
  // The pod prints what it was given: the app's sensitive inputs known here are masked, as deploy masks them.
  readAppInputs(app, ctx.config, ctx.masker);
  const target = ctx.resolveTarget(app.namespace);
  const rows = await readAppRuns(ctx, app, target, options.release === undefined ? [] : [options.release]);
  const row = await chooseRelease({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: options.release,
    purpose: 'show the logs of',
    now: new Date(),
    width: pickerWidth(),
    tell: (line) => ctx.ui.info(line),
    unusable: (candidate) =>
      candidate.helm || candidate.job.state !== 'gone' || savedJobLog(candidate)
        ? undefined
        : 'its release and Job are gone, and its logs with them',
  });
  const saved = row.job.state === 'gone' ? savedJobLog(row) : undefined;
  if (saved) {
    const lines = (await readFile(saved, 'utf8')).replace(/\n$/, '').split('\n');
    const shown = tail === undefined ? lines : lines.slice(lines.length - Math.min(tail, lines.length));
    ctx.ui.info(
      `The Job ${row.name} is gone; showing the log deploy saved while it followed it: ${path.relative(ctx.config.repoRoot, saved)}${tail !== undefined ? ` (last ${plural(shown.length, 'line')})` : ''}.`,
    );
    for (const line of shown) ctx.ui.data(line);
    return;
  }
  const result = await streamReleaseLogs({
    shell: ctx.shell,
    target,
    namespace: target.namespace,
    app: app.name,
    release: row.name,
    follow: options.follow,
    tail,
    onLine: (line) => ctx.ui.data(line),
    log: (line) => ctx.ui.info(line),
  });
  if (result.followed) ctx.ui.info(`Job ${row.name}: ${result.job}.`);
}

/**
 * The job.log deploy saved in the run's folder (beside its run.json), when there is one. A run recorded in the layout
 * before per-run folders has none: its folder holds the Job's own files, one of which may be called job.log.
 */
function savedJobLog(row: ReleaseRow): string | undefined {
  if (!row.output.recorded || row.output.legacy) return undefined;
  const file = jobLogFile(path.dirname(row.output.record));
  return existsSync(file) ? file : undefined;
}

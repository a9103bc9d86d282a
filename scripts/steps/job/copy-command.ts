/**
 * `copy <job app>`: a finished run's output, through the same verified helper-pod copy as deploy, into
 * output/<release>/ — and run.json then records the verified copy, so `releases` and `uninstall` know the output is
 * safe here.
 */
import path from 'node:path';
import { findJobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { copy } from '../../cli/commands/job.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { copyOutput, type CopyResult } from './copy.ts';
import { readRunRecord, recordImage, writeRunRecord, type RunOutcome, type RunRecord } from './record.ts';
import { appOfRelease } from './release-name.ts';
import { readReleases, type ReleaseRow } from './runs.ts';
import { chooseRelease } from './runs-view.ts';
import { deckhand } from '../../lib/hints.ts';
import { plural } from '../../lib/wording.ts';

/** Why this run's output cannot be copied now, or undefined when it can. */
export function copyBlocker(row: ReleaseRow): string | undefined {
  if (!row.pvc) return 'it has no PVC left, so there is nothing to copy';
  if (row.job.state === 'running')
    return `its Job is still running, so the output is not complete yet (follow it: ${deckhand('logs', appOfRelease(row.name), '--release', row.name)})`;
  return undefined;
}

export interface CopyReleaseOptions {
  shell: Runner;
  target: KubeTarget;
  app: string;
  row: ReleaseRow;
  helperImage: string;
  log: (line: string) => void;
  now?: () => Date;
}

/**
 * The same helper-pod copy as deploy (read-only mount, listing checked, copy verified file by file), then run.json
 * records the verified copy so `releases` and `uninstall` know the output is safe here.
 */
export async function copyReleaseOutput(options: CopyReleaseOptions): Promise<CopyResult & { recordFile?: string }> {
  const { shell, row } = options;
  const result = await copyOutput({
    shell,
    target: options.target,
    namespace: row.namespace,
    release: row.name,
    pvcName: row.pvc!.name,
    destination: row.output.dir,
    helperImage: options.helperImage,
    log: options.log,
  });
  if (shell.dryRun) return result;
  const existing = await readRunRecord(row.output.dir);
  const record = recordAfterCopy({
    existing,
    app: options.app,
    row,
    target: options.target,
    copy: result,
    now: (options.now ?? (() => new Date()))(),
  });
  return { ...result, recordFile: await writeRunRecord(row.output.dir, record) };
}

// ─── The run record after a copy ─────────────────────────────────────────────────────────────────────────────────

export interface RecordAfterCopyInput {
  existing: RunRecord | undefined;
  app: string;
  row: ReleaseRow;
  target: Pick<KubeTarget, 'context' | 'server'>;
  copy: { files: RunRecord['copy']['files']; totalBytes: number };
  now: Date;
}

/**
 * run.json after `copy`: an existing record keeps everything deploy wrote and gains the verified copy (and the
 * Job's final outcome, when deploy stopped waiting before the Job ended); without one, a minimal record is built from
 * what the cluster still says.
 */
export function recordAfterCopy(input: RecordAfterCopyInput): RunRecord {
  const { existing, row } = input;
  const outcome: RunOutcome =
    row.job.state === 'complete' ? 'complete' : row.job.state === 'failed' ? 'failed' : (existing?.outcome ?? 'error');
  const failure =
    outcome === 'complete'
      ? undefined
      : (existing?.failure ??
        (row.job.state === 'failed'
          ? `the Job failed (${row.job.reason ?? 'Failed'})`
          : row.job.state === 'gone'
            ? 'unknown: the Job was gone when its output was copied'
            : undefined));
  const copy = { verified: true, files: input.copy.files, totalBytes: input.copy.totalBytes };
  if (existing) {
    const { failure: _previous, ...rest } = existing;
    return { ...rest, outcome, ...(failure ? { failure } : {}), copy };
  }
  return {
    app: input.app,
    release: row.name,
    namespace: row.namespace,
    context: input.target.context,
    server: input.target.server,
    image: recordImage(row.image),
    commit: row.commit ?? '',
    valuesFiles: [],
    startedAt: row.startedAt ?? '',
    endedAt: input.now.toISOString(),
    outcome,
    ...(failure ? { failure } : {}),
    copy,
  };
}

// ─── The `copy` command ─────────────────────────────────────────────────────────────────────────────────────────

export interface CopyRun {
  shell: Runner;
  helperImage: string;
  app: string;
  target: KubeTarget;
  row: ReleaseRow;
  /** output/<release>, relative to the project (for messages). */
  destination: string;
}

/**
 * Observe and decide: which run, and whether there is anything to do. Undefined when its output is already here,
 * verified (and --force was not given): that was said, and nothing runs.
 */
export async function prepareCopy(ctx: CommandContext<typeof copy>): Promise<CopyRun | undefined> {
  const app = findJobApp(ctx.invocation.args.app, 'copy');
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  const rows = await readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const row = await chooseRelease({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: ctx.invocation.options.release,
    purpose: 'copy the output of',
    unusable: copyBlocker,
    now: new Date(),
  });
  const destination = path.relative(ctx.config.repoRoot, row.output.dir);
  if (row.output.copied && !ctx.invocation.options.force) {
    ctx.ui.success(
      `The output of ${row.name} is already in ${destination}/ (${plural(row.output.files ?? 0, 'file')}, verified). Pass --force to copy it again.`,
    );
    return undefined;
  }
  // The copy creates (and deletes) a helper pod: name the cluster first.
  ctx.ui.info(targetBanner(target));
  return { shell: ctx.shell, helperImage: ctx.config.helperImage, app: app.name, target, row, destination };
}

/** The one step of `copy`. */
export async function copyRun(run: CopyRun, task: StepTask): Promise<void> {
  const shell = run.shell.withLog((line) => (task.output = line));
  const { row, destination } = run;
  const result = await copyReleaseOutput({
    shell,
    target: run.target,
    app: run.app,
    row,
    helperImage: run.helperImage,
    log: (line) => (task.output = line),
  });
  const files = result.files.length;
  task.title = shell.dryRun
    ? `Copy the output of ${row.name} to ${destination}/ (dry run)`
    : `Copied ${plural(files, 'file')} of ${row.name} to ${destination}/ (verified, recorded in run.json)`;
}

/**
 * `copy <job app>`: a finished run's output, through the same verified helper-pod copy as deploy, into its own
 * folder (output/<cluster>/<namespace>/<release>/files/) — and run.json beside it then records the verified copy, so
 * `releases` and `uninstall` know the output of this very run is safe here.
 */
import { readAppRuns } from './commands.ts';
import path from 'node:path';
import { findJobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { copy } from '../../cli/commands/job.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { copyOutput, type CopyResult } from './copy.ts';
import {
  assertFolderIsFor,
  filesFolder,
  findRunRecord,
  recordImage,
  runFolder,
  writeRunRecord,
  type RunOutcome,
  type RunRecord,
} from './record.ts';
import { appOfRelease, RUN_ID_LABEL } from './release-name.ts';
import type { ReleaseRow } from './runs.ts';
import { chooseRelease, pickerWidth } from './runs-view.ts';
import { deckhand } from '../../lib/hints.ts';
import { lineWidth, plural, wrapIndented } from '../../lib/wording.ts';
import * as kubectl from '../../kubectl.ts';

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
  /** The local output root (config.outputDir). */
  outputDir: string;
  log: (line: string) => void;
  now?: () => Date;
}

/**
 * The same helper-pod copy as deploy (read-only mount, the PVC checked to be the release's, listing checked, copy
 * verified file by file) into the run's own folder, then run.json records the verified copy so `releases` and
 * `uninstall` know the output is safe here.
 */
export async function copyReleaseOutput(options: CopyReleaseOptions): Promise<CopyResult & { recordFile?: string }> {
  const { shell, row, target } = options;
  const place = { cluster: target.cluster, server: target.server, namespace: row.namespace, release: row.name };
  const runDir = runFolder(options.outputDir, place);
  await assertFolderIsFor(runDir, place);
  const result = await copyOutput({
    shell,
    target,
    namespace: row.namespace,
    release: row.name,
    pvcName: row.pvc!.name,
    destination: filesFolder(runDir),
    helperImage: options.helperImage,
    log: options.log,
  });
  if (shell.dryRun) return result;
  const [existing, pvc] = await Promise.all([
    findRunRecord(options.outputDir, place),
    kubectl.get(shell, target, 'persistentvolumeclaim', row.pvc!.name, row.namespace).catch(() => undefined),
  ]);
  const record = recordAfterCopy({
    existing: existing?.record,
    app: options.app,
    row,
    target,
    runId: pvc?.metadata.labels?.[RUN_ID_LABEL],
    copy: result,
    now: (options.now ?? (() => new Date()))(),
  });
  return { ...result, recordFile: await writeRunRecord(runDir, record) };
}

// ─── The run record after a copy ─────────────────────────────────────────────────────────────────────────────────

export interface RecordAfterCopyInput {
  existing: RunRecord | undefined;
  app: string;
  row: ReleaseRow;
  target: Pick<KubeTarget, 'context' | 'server' | 'cluster'>;
  /** The run id on its PVC, when it has one. */
  runId?: string;
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
    return {
      ...rest,
      cluster: existing.cluster ?? input.target.cluster,
      ...(existing.runId || input.runId ? { runId: existing.runId ?? input.runId } : {}),
      outcome,
      ...(failure ? { failure } : {}),
      copy,
    };
  }
  return {
    app: input.app,
    release: row.name,
    namespace: row.namespace,
    cluster: input.target.cluster,
    context: input.target.context,
    server: input.target.server,
    ...(input.runId ? { runId: input.runId } : {}),
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
  outputDir: string;
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
  const rows = await readAppRuns(
    ctx,
    app,
    target,
    ctx.invocation.options.release === undefined ? [] : [ctx.invocation.options.release],
  );
  const row = await chooseRelease({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: ctx.invocation.options.release,
    purpose: 'copy the output of',
    // A run named whose output is already here, verified, is told so below even when its PVC is gone.
    unusable: (candidate) =>
      candidate.name === ctx.invocation.options.release && candidate.output.copied && !ctx.invocation.options.force
        ? undefined
        : copyBlocker(candidate),
    now: new Date(),
    width: pickerWidth(),
    tell: (line) => ctx.ui.info(line),
  });
  if (row.output.copied && !ctx.invocation.options.force) {
    ctx.ui.success(
      `The output of ${row.name} is already in ${path.relative(ctx.config.repoRoot, row.output.dir)}/ (${plural(row.output.files ?? 0, 'file')}, verified). Pass --force to copy it again.`,
    );
    return undefined;
  }
  // A run recorded in the layout before per-run folders is copied into its own folder now.
  const place = { cluster: target.cluster, namespace: row.namespace, release: row.name };
  const destination = path.relative(ctx.config.repoRoot, filesFolder(runFolder(ctx.config.outputDir, place)));
  // The copy creates (and deletes) a helper pod: name the cluster first.
  for (const line of wrapIndented(targetBanner(target), lineWidth())) ctx.ui.info(line);
  return {
    shell: ctx.shell,
    helperImage: ctx.config.helperImage,
    outputDir: ctx.config.outputDir,
    app: app.name,
    target,
    row,
    destination,
  };
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
    outputDir: run.outputDir,
    log: (line) => (task.output = line),
  });
  const files = result.files.length;
  task.title = shell.dryRun
    ? `Copy the output of ${row.name} to ${destination}/ (dry run)`
    : `Copied ${plural(files, 'file')} of ${row.name} to ${destination}/ (verified, recorded in run.json)`;
}

/**
 * The `uninstall` command around the act: read the runs, pick them (or take the named ones), ask every question
 * first (uninstall-plan.ts), then one step per run, the Secret that runs before per-run inputs shared once none of
 * them is left, and the report of what was left and what still costs money. The act itself — the only uninstall path
 * in deckhand — is uninstallRelease (uninstall.ts).
 */
import { readAppRuns } from './commands.ts';
import { findJobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { uninstall } from '../../cli/commands/job.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import type { ReleaseRow } from './runs.ts';
import { pickerWidth } from './runs-view.ts';
import {
  keptVolumeMessage,
  uninstallRelease,
  UNINSTALL_WAIT_MS,
  volumesStillThereError,
  type UninstallResult,
} from './uninstall.ts';
import {
  decideUninstall,
  selectReleasesToUninstall,
  type UninstallDecision,
  type UninstallFlags,
  type UninstallItem,
} from './uninstall-plan.ts';
import { lineWidth, plural, wrapIndented } from '../../lib/wording.ts';

// ─── The `uninstall` command ─────────────────────────────────────────────────────────────────────────────────────

export interface UninstallRun {
  shell: Runner;
  app: string;
  target: KubeTarget;
  flags: UninstallFlags;
  decision: UninstallDecision;
  /** Runs named with --release of which nothing is left. */
  alreadyGone: string[];
  /** Picked or named, before the confirmations. */
  selected: number;
  results: UninstallResult[];
  /**
   * The Secret the app's runs shared before per-run inputs, when it is deckhand's and none of the runs left after
   * this uninstall reads it: it goes after them.
   */
  sharedInputs?: string;
  /** Set once the shared Secret was deleted. */
  sharedInputsDeleted?: boolean;
}

export function uninstallFlags(ctx: CommandContext<typeof uninstall>): UninstallFlags {
  const { options } = ctx.invocation;
  return {
    yes: ctx.config.yes,
    force: options.force,
    recover: options.recover,
    keepPvc: options['keep-pvc'],
    deleteVolume: options['delete-volume'],
    dryRun: ctx.config.dryRun,
  };
}

/** Observe and decide: read the releases, pick them, ask every question. Nothing has changed when this returns. */
export async function prepareUninstall(ctx: CommandContext<typeof uninstall>): Promise<UninstallRun> {
  const app = findJobApp(ctx.invocation.args.app, 'uninstall');
  const flags = uninstallFlags(ctx);
  if (flags.keepPvc && flags.deleteVolume)
    throw new UsageError('--keep-pvc keeps the PVC and so its volume; it cannot be combined with --delete-volume.');
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  for (const line of wrapIndented(targetBanner(target), lineWidth())) ctx.ui.info(line);
  const rows = await readAppRuns(ctx, app, target, ctx.invocation.options.release);
  const selection = await selectReleasesToUninstall({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: ctx.invocation.options.release,
    now: new Date(),
    width: pickerWidth(),
  });
  const [decision, shared] = await Promise.all([
    decideUninstall({
      prompter: ctx.prompter,
      app: app.name,
      namespace: target.namespace,
      rows: selection.selected,
      flags,
      log: (line) => ctx.ui.info(line),
      width: pickerWidth(),
    }),
    kubectl.get(ctx.shell, target, 'secret', app.secret.name, target.namespace),
  ]);
  const sharedInputs =
    shared?.metadata.labels?.['app.kubernetes.io/managed-by'] === 'deckhand' && !stillReadBy(rows, decision).length
      ? app.secret.name
      : undefined;
  return {
    shell: ctx.shell,
    app: app.name,
    target,
    flags,
    decision,
    alreadyGone: selection.alreadyGone,
    selected: selection.selected.length,
    results: [],
    ...(sharedInputs && decision.items.some((item) => item.action === 'uninstall') ? { sharedInputs } : {}),
  };
}

/** Runs made before per-run inputs whose release stays after this uninstall: they still read the shared Secret. */
export function stillReadBy(rows: readonly ReleaseRow[], decision: UninstallDecision): ReleaseRow[] {
  const going = new Set(decision.items.filter((item) => item.action === 'uninstall').map((item) => item.row.name));
  return rows.filter((row) => row.inputs.shared && row.helm !== undefined && !going.has(row.name));
}

/** The last step: the Secret every run shared before per-run inputs, now that no run left reads it. */
export async function deleteSharedInputs(run: UninstallRun, task: StepTask): Promise<void> {
  const name = run.sharedInputs!;
  const shell = run.shell.withLog((line) => (task.output = line));
  await shell.run(kubectl.deleteArgs(run.target, 'secret', name, { namespace: run.target.namespace }), {
    kind: 'write',
  });
  run.sharedInputsDeleted = !shell.dryRun;
  task.title = `Deleted Secret ${name}, which the runs made before per-run inputs shared: none of them is left${shell.dryRun ? ' (dry run)' : ''}`;
}

/** Act and report for one chosen release (a Listr task). */
export async function uninstallItem(run: UninstallRun, item: UninstallItem, task: StepTask): Promise<void> {
  const shell = run.shell.withLog((line) => (task.output = line));
  const name = item.row.name;
  const dry = shell.dryRun ? ' (dry run)' : '';
  if (item.action === 'rollback') {
    task.title = `Roll back ${name} to revision ${item.revision}`;
    await helm.rollback(shell, run.target, run.target.namespace, name, item.revision, { timeoutMs: UNINSTALL_WAIT_MS });
    task.title = `Rolled back ${name} to revision ${item.revision}${dry}`;
    return;
  }
  const result = await uninstallRelease({
    shell,
    target: run.target,
    namespace: run.target.namespace,
    release: name,
    app: run.app,
    keepPvc: run.flags.keepPvc,
    deleteRetainedVolumes: run.decision.deleteRetainedVolumes,
    // A release that was stuck when the person chose to uninstall it; one that got stuck since still stops here.
    recover: run.flags.recover || item.row.stuck !== undefined,
    log: (line) => (task.output = line),
  });
  run.results.push(result);
  task.title = `${resultTitle(result)}${dry}`;
}

export function resultTitle(result: UninstallResult): string {
  if (result.nothingToDo) return `${result.release}: not found, nothing to do`;
  const done = [
    result.helm === 'uninstalled' ? 'uninstalled the Helm release' : undefined,
    ...result.secrets.map((secret) => `deleted Secret ${secret.name}`),
    ...result.pvcs.map((pvc) => `${pvc.action} PVC ${pvc.name}`),
    ...result.volumes.map(({ volume, action }) =>
      action === 'kept'
        ? `kept volume ${volume.name} (still billed)`
        : action === 'still-there'
          ? `volume ${volume.name} is still there`
          : `deleted volume ${volume.name}`,
    ),
  ].filter(Boolean);
  return `${result.release}: ${done.join(', ') || 'nothing left to remove'}`;
}

/**
 * The lines printed after the run: what was left alone and what still costs money — and, when a volume whose
 * deletion was asked for is still there, the failure the command ends with (exit 1).
 */
export function uninstallReport(run: UninstallRun): {
  info: string[];
  warnings: string[];
  success: string;
  failure?: DeckhandError;
} {
  const info = [
    ...run.alreadyGone.map((name) => `${name}: not found, nothing to do.`),
    ...run.decision.left.map((entry) => `${entry.name}: ${entry.why}.`),
  ];
  const warnings = run.results.flatMap((result) =>
    result.volumes
      .filter((entry) => entry.action === 'kept')
      .map((entry) => keptVolumeMessage(run.app, result.release, entry.volume)),
  );
  const stillThere = run.results.flatMap((result) =>
    result.volumes
      .filter((entry) => entry.action === 'still-there')
      .map((entry) => ({ ...entry, release: result.release })),
  );
  const removed = run.results.filter((result) => !result.nothingToDo).length;
  const rolledBack = run.decision.items.filter((item) => item.action === 'rollback').length;
  const parts = [
    removed > 0 ? `uninstalled ${plural(removed, 'release')}` : undefined,
    rolledBack > 0 ? `rolled back ${rolledBack}` : undefined,
  ].filter(Boolean);
  const success = run.flags.dryRun
    ? 'Dry run done: nothing was changed.'
    : parts.length > 0
      ? `${capitalize(parts.join(' and '))}.`
      : 'Nothing to do.';
  if (stillThere.length === 0) return { info, warnings, success };
  return { info, warnings, success, failure: volumesStillThereError(run.app, stillThere) };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

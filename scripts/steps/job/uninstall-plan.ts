/**
 * The `uninstall` command before and around the act: which runs (named, or picked on a terminal), every consent it
 * needs (asked before anything changes), then one step per run, and the report of what was left and what still costs
 * money. The act itself — the only uninstall path in deckhand — is uninstallRelease (uninstall.ts).
 */
import { findJobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { uninstall } from '../../cli/commands/job.ts';
import * as helm from '../../helm.ts';
import { MissingInputError, UsageError, type MissingItem } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Prompter } from '../../lib/prompts.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { isRunReleaseName } from './release-name.ts';
import { readReleases, type ReleaseRow } from './runs.ts';
import { jobText, outputText, releaseChoices, storageText, uninstallOrder, unknownReleaseError } from './runs-view.ts';
import {
  keptVolumeMessage,
  monthlyVolumeCost,
  uninstallRelease,
  UNINSTALL_WAIT_MS,
  type UninstallResult,
} from './uninstall.ts';
import { noun, plural } from '../../lib/wording.ts';

export interface SelectOptions {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  /** --release values (repeatable). */
  given: readonly string[];
  now: Date;
}

export interface Selection {
  selected: ReleaseRow[];
  /** Names of this app's runs that no longer exist at all: uninstalling them is already done. */
  alreadyGone: string[];
}

/**
 * The releases named with --release, or the ones picked on a terminal. A name that is not one of the app's runs is
 * a usage error listing the existing ones; a well-formed run name with nothing left of it is "nothing to do".
 */
export async function selectReleasesToUninstall(options: SelectOptions): Promise<Selection> {
  const { app, namespace, rows } = options;
  if (options.given.length > 0) {
    const names = [...new Set(options.given)];
    const unknown = names.filter((name) => !rows.some((row) => row.name === name) && !isRunReleaseName(app, name));
    if (unknown.length > 0) throw unknownReleaseError(app, namespace, unknown, rows);
    return {
      selected: uninstallOrder(rows.filter((row) => names.includes(row.name))),
      alreadyGone: names.filter((name) => !rows.some((row) => row.name === name)),
    };
  }
  if (rows.length === 0) return { selected: [], alreadyGone: [] };
  const ordered = uninstallOrder(rows);
  const chosen = await options.prompter.checkbox(
    {
      message: `Releases of ${app} to uninstall (space selects, enter confirms; finished and oldest first)`,
      choices: releaseChoices(ordered, options.now),
      required: true,
    },
    {
      what: 'the releases to uninstall',
      howToProvide: `pass --release NAME (repeatable), from: ${ordered.map((row) => row.name).join(', ')}`,
    },
  );
  return { selected: ordered.filter((row) => chosen.includes(row.name)), alreadyGone: [] };
}

export interface UninstallFlags {
  yes: boolean;
  force: boolean;
  recover: boolean;
  keepPvc: boolean;
  deleteVolume: boolean;
  dryRun: boolean;
}

export type UninstallItem =
  { row: ReleaseRow; action: 'uninstall' } | { row: ReleaseRow; action: 'rollback'; revision: number };

export interface UninstallDecision {
  items: UninstallItem[];
  deleteRetainedVolumes: boolean;
  /** Releases the person chose to leave as they are, with why. */
  left: { name: string; why: string }[];
}

/** The output of this run exists only on the cluster: deleting its PVC would destroy it. */
export function outputAtRisk(row: ReleaseRow, flags: Pick<UninstallFlags, 'keepPvc'>): boolean {
  return !flags.keepPvc && row.pvc !== undefined && !row.output.copied;
}

/** Volumes a Retain policy would keep after these releases' PVCs go (those are what cost money). */
export function retainedVolumes(rows: readonly ReleaseRow[], flags: Pick<UninstallFlags, 'keepPvc'>): ReleaseRow[] {
  return flags.keepPvc ? [] : rows.filter((row) => row.volume && row.volume.reclaimPolicy !== 'Delete');
}

/**
 * Every consent the uninstall needs, asked before anything changes. Off a terminal the flags must already say yes
 * to everything (--yes; --force for output never copied; --recover for stuck releases), or the command stops with
 * exit 2 listing what is missing. A volume is deleted only with --delete-volume or a yes to that very question:
 * it holds data and costs money, and --yes alone never answers it.
 */
export async function decideUninstall(options: {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  flags: UninstallFlags;
  log: (line: string) => void;
}): Promise<UninstallDecision> {
  const { prompter, app, flags, log } = options;
  const rows = [...options.rows];
  const left: UninstallDecision['left'] = [];
  if (rows.length === 0) return { items: [], deleteRetainedVolumes: false, left };
  const atRisk = rows.filter((row) => outputAtRisk(row, flags));

  if (flags.dryRun) {
    if (!flags.yes) log('Dry run: a real run asks to confirm (or needs --yes off a terminal).');
    for (const row of atRisk)
      if (!flags.force)
        log(`Dry run: the output of ${row.name} was never copied; a real run asks again (or needs --force).`);
    for (const row of rows)
      if (row.stuck && !flags.recover)
        log(`Dry run: ${row.name} is stuck (${row.stuck.status}); a real run asks what to do (or needs --recover).`);
    return {
      items: rows.map((row) => ({ row, action: 'uninstall' })),
      deleteRetainedVolumes: flags.deleteVolume,
      left,
    };
  }

  if (!prompter.interactive) {
    const missing: MissingItem[] = [];
    if (!flags.yes)
      missing.push({
        name: 'confirmation',
        howToProvide: `pass --yes to uninstall ${rows.map((row) => row.name).join(', ')}`,
      });
    for (const row of rows)
      if (row.stuck && !flags.recover)
        missing.push({ name: `${row.name} is stuck (${row.stuck.status})`, howToProvide: row.stuck.hint });
    for (const row of atRisk) {
      if (!flags.force)
        missing.push({
          name: `the output of ${row.name} was never copied to this machine`,
          howToProvide: `copy it first (${deckhand('copy', app, '--release', row.name)}), or pass --force to delete it anyway`,
        });
    }
    if (missing.length > 0)
      throw new MissingInputError(
        'uninstall needs consent that nobody is at a terminal to give; nothing was changed:',
        missing,
      );
    return {
      items: rows.map((row) => ({ row, action: 'uninstall' })),
      deleteRetainedVolumes: flags.deleteVolume,
      left,
    };
  }

  const items: UninstallItem[] = [];
  for (const row of rows) {
    if (!row.stuck || flags.recover) {
      items.push({ row, action: 'uninstall' });
      continue;
    }
    const choice = await askAboutStuck(prompter, row);
    if (choice === 'leave') left.push({ name: row.name, why: `left stuck (${row.stuck.status})` });
    else
      items.push(
        choice === 'uninstall' ? { row, action: 'uninstall' } : { row, action: 'rollback', revision: choice.revision },
      );
  }

  const toUninstall = () => items.filter((item) => item.action === 'uninstall').map((item) => item.row);
  if (!flags.yes && toUninstall().length > 0) {
    const list = toUninstall().map(
      (row) => `  - ${row.name}: job ${jobText(row)}, PVC ${storageText(row)}, output ${outputText(row)}`,
    );
    const pvcNote = flags.keepPvc ? 'Their PVCs are kept (--keep-pvc).' : 'Their PVCs go too, with the output on them.';
    const yes = await prompter.confirm(
      {
        message: `Uninstall ${toUninstall().length === 1 ? 'this release' : `these ${toUninstall().length} releases`} of ${app} (Helm release, Job, pods)? ${pvcNote}\n${list.join('\n')}\n `,
        default: false,
      },
      { what: 'confirmation', howToProvide: 'pass --yes' },
    );
    if (!yes)
      return {
        items: items.filter((item) => item.action !== 'uninstall'),
        deleteRetainedVolumes: false,
        left: [...left, ...toUninstall().map((row) => ({ name: row.name, why: 'not confirmed' }))],
      };
  }

  if (!flags.force) {
    for (const row of toUninstall().filter((candidate) => outputAtRisk(candidate, flags))) {
      const yes = await prompter.confirm(
        {
          message: `The output of ${row.name} was never copied to this machine (no verified ${row.output.dir}/run.json); deleting its PVC destroys it. Delete ${row.name} anyway?`,
          default: false,
        },
        { what: `the output of ${row.name} was never copied`, howToProvide: 'pass --force' },
      );
      if (!yes) {
        items.splice(
          items.findIndex((item) => item.row === row),
          1,
        );
        left.push({
          name: row.name,
          why: `kept: its output was never copied (copy it: ${deckhand('copy', app, '--release', row.name)})`,
        });
      }
    }
  }

  let deleteRetainedVolumes = flags.deleteVolume;
  const costly = retainedVolumes(toUninstall(), flags);
  if (!deleteRetainedVolumes && !flags.yes && costly.length > 0) {
    const list = costly.map(
      (row) =>
        `  - ${row.volume!.name} (${[row.volume!.size, row.volume!.linodeVolumeId && `Linode volume ${row.volume!.linodeVolumeId}`, monthlyVolumeCost(row.volume!.size)].filter(Boolean).join(', ')})`,
    );
    deleteRetainedVolumes = await prompter.confirm(
      {
        message: `${noun(costly.length, 'Its volume uses', 'Their volumes use')} reclaim policy Retain: ${noun(costly.length, 'it stays', 'they stay')} after the ${noun(costly.length, 'PVC goes', 'PVCs go')}, with the data, and the Linode ${noun(costly.length, 'volume is', 'volumes are')} billed until deleted.\n${list.join('\n')}\n  Delete the ${noun(costly.length, 'volume')} too?`,
        default: false,
      },
      { what: 'whether to delete the volumes', howToProvide: 'pass --delete-volume' },
    );
  }
  return { items, deleteRetainedVolumes, left };
}

async function askAboutStuck(
  prompter: Prompter,
  row: ReleaseRow,
): Promise<'uninstall' | 'leave' | { revision: number }> {
  const stuck = row.stuck!;
  const since = row.helm?.updated ? ` since ${row.helm.updated.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}` : '';
  const choices: { name: string; value: 'uninstall' | 'leave' | number }[] = [
    { name: 'Uninstall it (the interrupted operation is not running any more)', value: 'uninstall' },
    ...(stuck.rollbackRevision !== undefined
      ? [{ name: `Roll it back to revision ${stuck.rollbackRevision} and keep it`, value: stuck.rollbackRevision }]
      : []),
    { name: 'Leave it as it is (someone may still be running helm on it)', value: 'leave' },
  ];
  const answer = await prompter.select(
    {
      message: `${row.name} is stuck in ${stuck.status}${since}: an interrupted helm operation left it locked. What should happen to it?`,
      choices,
    },
    { what: `what to do with the stuck release ${row.name}`, howToProvide: stuck.hint },
  );
  return typeof answer === 'number' ? { revision: answer } : answer;
}

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
  ctx.ui.info(targetBanner(target));
  const rows = await readReleases({
    shell: ctx.shell,
    target,
    app: app.name,
    namespace: target.namespace,
    outputDir: ctx.config.outputDir,
  });
  const selection = await selectReleasesToUninstall({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows,
    given: ctx.invocation.options.release,
    now: new Date(),
  });
  const decision = await decideUninstall({
    prompter: ctx.prompter,
    app: app.name,
    namespace: target.namespace,
    rows: selection.selected,
    flags,
    log: (line) => ctx.ui.info(line),
  });
  return {
    shell: ctx.shell,
    app: app.name,
    target,
    flags,
    decision,
    alreadyGone: selection.alreadyGone,
    selected: selection.selected.length,
    results: [],
  };
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
    ...result.pvcs.map((pvc) => `${pvc.action} PVC ${pvc.name}`),
    ...result.volumes.map(({ volume, action }) =>
      action === 'kept' ? `kept volume ${volume.name} (still billed)` : `deleted volume ${volume.name}`,
    ),
  ].filter(Boolean);
  return `${result.release}: ${done.join(', ') || 'nothing left to remove'}`;
}

/** The lines printed after the run: what was left alone and what still costs money. */
export function uninstallReport(run: UninstallRun): { info: string[]; warnings: string[]; success: string } {
  const info = [
    ...run.alreadyGone.map((name) => `${name}: not found, nothing to do.`),
    ...run.decision.left.map((entry) => `${entry.name}: ${entry.why}.`),
  ];
  const warnings = run.results.flatMap((result) =>
    result.volumes
      .filter((entry) => entry.action === 'kept')
      .map((entry) => keptVolumeMessage(run.app, result.release, entry.volume)),
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
  return { info, warnings, success };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

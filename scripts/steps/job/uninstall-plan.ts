/**
 * What `uninstall` will do, settled before anything changes: which runs (named, or picked on a terminal) and every
 * consent it needs — the confirmation, a second one for output never copied (whether its PVC or its kept volume
 * would go), stuck releases, and whether kept volumes go too. Off a terminal, missing consent is exit 2 with nothing
 * touched. The command around it is uninstall-command.ts.
 */
import { MissingInputError, type MissingItem } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { Prompter } from '../../lib/prompts.ts';
import type { ReleaseRow } from './runs.ts';
import { jobText, outputText, releaseChoices, storageText, uninstallOrder, unknownReleaseError } from './runs-view.ts';
import { monthlyVolumeCost } from './uninstall.ts';
import { hangingLines, noun, wrapWords } from '../../lib/wording.ts';

export interface SelectOptions {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  /** --release values (repeatable). */
  given: readonly string[];
  now: Date;
  /** The picker's width (the terminal's columns). */
  width: number;
}

export interface Selection {
  selected: ReleaseRow[];
  /** Names of this app's runs that no longer exist at all: uninstalling them is already done. */
  alreadyGone: string[];
}

/**
 * The releases named with --release, or the ones picked on a terminal. A name the cluster has nothing of is "already
 * gone" (nothing to do) only when this machine has the run's record (a row marked `gone`); otherwise — a typo, a run
 * of another cluster — it is a usage error listing the runs that are there.
 */
export async function selectReleasesToUninstall(options: SelectOptions): Promise<Selection> {
  const { app, namespace, rows } = options;
  if (options.given.length > 0) {
    const names = [...new Set(options.given)];
    const unknown = names.filter((name) => !rows.some((row) => row.name === name));
    if (unknown.length > 0) throw unknownReleaseError(app, namespace, unknown, rows);
    const named = rows.filter((row) => names.includes(row.name));
    return {
      selected: uninstallOrder(named.filter((row) => !row.gone)),
      alreadyGone: named.filter((row) => row.gone).map((row) => row.name),
    };
  }
  if (rows.length === 0) return { selected: [], alreadyGone: [] };
  const ordered = uninstallOrder(rows);
  const chosen = await options.prompter.checkbox(
    {
      // Short enough for 80 columns: the keys are listed under the picker.
      message: `Releases of ${app} to uninstall (finished and oldest first)`,
      choices: releaseChoices(ordered, options.now, options.width),
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

/**
 * The output of this run exists only on the cluster, and this uninstall would destroy it: by deleting its PVC, or —
 * when the PVC is already gone — by deleting the volume a Retain policy kept (`deleteVolumes`). Nothing of a run
 * whose output is not verified on this machine is deleted without a second yes (or --force).
 */
export function outputAtRisk(row: ReleaseRow, flags: Pick<UninstallFlags, 'keepPvc'>, deleteVolumes: boolean): boolean {
  if (row.output.copied || flags.keepPvc) return false;
  if (row.pvc !== undefined) return true;
  return deleteVolumes && row.volume !== undefined && row.volume.reclaimPolicy !== 'Delete';
}

/** What the second question names: the PVC, or the kept volume when the PVC is gone. */
function whatIsDestroyed(row: ReleaseRow): string {
  return row.pvc ? `its PVC ${row.pvc.name}` : `its kept volume ${row.volume?.name ?? ''}`.trimEnd();
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
  /** The terminal's width: Inquirer cuts longer lines anywhere, so the questions are wrapped to it. */
  width?: number;
}): Promise<UninstallDecision> {
  const { prompter, app, flags, log } = options;
  const fit = (question: string) => fitQuestion(question, options.width ?? 80);
  const rows = [...options.rows];
  const left: UninstallDecision['left'] = [];
  if (rows.length === 0) return { items: [], deleteRetainedVolumes: false, left };
  const atRisk = rows.filter((row) => outputAtRisk(row, flags, flags.deleteVolume));

  if (flags.dryRun) {
    if (!flags.yes) log('Dry run: a real run asks to confirm (or needs --yes off a terminal).');
    for (const row of atRisk)
      if (!flags.force)
        log(
          `Dry run: the output of ${row.name} was never copied and ${whatIsDestroyed(row)} would go; a real run asks again (or needs --force).`,
        );
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
          name: `the output of ${row.name} was never copied to this machine (deleting ${whatIsDestroyed(row)} destroys it)`,
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
        message: fit(
          `Uninstall ${toUninstall().length === 1 ? 'this release' : `these ${toUninstall().length} releases`} of ${app} (Helm release, Job, pods)? ${pvcNote}\n${list.join('\n')}\n `,
        ),
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

  let deleteRetainedVolumes = flags.deleteVolume;
  const costly = retainedVolumes(toUninstall(), flags);
  if (!deleteRetainedVolumes && !flags.yes && costly.length > 0) {
    const list = costly.map(
      (row) =>
        `  - ${row.volume!.name} (${[row.volume!.size, row.volume!.linodeVolumeId && `Linode volume ${row.volume!.linodeVolumeId}`, monthlyVolumeCost(row.volume!.size)].filter(Boolean).join(', ')})`,
    );
    deleteRetainedVolumes = await prompter.confirm(
      {
        message: fit(
          `${noun(costly.length, 'Its volume uses', 'Their volumes use')} reclaim policy Retain: ${noun(costly.length, 'it stays', 'they stay')} after the ${noun(costly.length, 'PVC goes', 'PVCs go')}, with the data, and the Linode ${noun(costly.length, 'volume is', 'volumes are')} billed until deleted.\n${list.join('\n')}\n  Delete the ${noun(costly.length, 'volume')} too?`,
        ),
        default: false,
      },
      { what: 'whether to delete the volumes', howToProvide: 'pass --delete-volume' },
    );
  }

  if (!flags.force) {
    for (const row of toUninstall().filter((candidate) => outputAtRisk(candidate, flags, deleteRetainedVolumes))) {
      const yes = await prompter.confirm(
        {
          message: fit(
            `The output of ${row.name} was never copied to this machine (no verified copy recorded in ${row.output.record}); deleting ${whatIsDestroyed(row)} destroys it. Delete ${row.name} anyway?`,
          ),
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

/**
 * A question wrapped to the terminal: prose at spaces (room left for Inquirer's "? "), list items ("  - …") with
 * their continuation under the text. A path or command wider than a line stays whole.
 */
export function fitQuestion(question: string, width: number): string {
  return question
    .split('\n')
    .flatMap((line) => {
      if (line.trim() === '') return [line];
      const item = /^(\s*- )(.*)$/.exec(line);
      if (item) return hangingLines(item[1]!, item[2]!, width);
      const indent = /^\s*/.exec(line)![0];
      return wrapWords(line.trim(), width - Math.max(indent.length, 2)).map((wrapped) => indent + wrapped);
    })
    .join('\n');
}

/**
 * How runs are shown: the `releases` table and JSON, the lines of the pickers, the notes that say what needs
 * attention — and choosing one run for `logs` and `copy` (named with --release, or picked on a terminal).
 */
import { ageOf } from '../../lib/duration.ts';
import { UsageError } from '../../lib/errors.ts';
import type { Choice, Prompter } from '../../lib/prompts.ts';
import { formatBytes } from './copy.ts';
import { appOfRelease, isRunReleaseName } from './release-name.ts';
import type { ReleaseRow } from './runs.ts';
import { deckhand } from '../../lib/hints.ts';
import { lineWidth, plural, wrapWords } from '../../lib/wording.ts';

/** "deployed", "stuck (pending-upgrade)", "failed", or "no release (PVC left)" for leftovers. */
export function releaseStateText(row: ReleaseRow): string {
  if (row.gone) return 'gone (only its record is here)';
  if (row.stuck) return `stuck (${row.stuck.status})`;
  if (row.helm) return row.helm.status;
  if (row.pvc) return 'no release (PVC left)';
  return row.volume ? 'no release (volume left)' : 'no release (Secret left)';
}

export function jobText(row: ReleaseRow): string {
  if (row.job.state !== 'gone') return row.job.state;
  // A finished Job is deleted by its TTL; the run record still knows how it ended.
  return row.output.outcome ? `gone (was ${row.output.outcome})` : 'gone';
}

export function storageText(row: ReleaseRow): string {
  if (row.pvc) {
    const name = row.pvc.name === row.name ? '' : `${row.pvc.name} `;
    return `${name}${[row.pvc.size, row.pvc.phase].filter(Boolean).join(' ') || 'unknown'}`;
  }
  if (row.volume) return `PV ${row.volume.name} ${[row.volume.size, row.volume.phase].filter(Boolean).join(' ')}`;
  return '—';
}

export function outputText(row: ReleaseRow): string {
  if (row.output.copied)
    return `copied (${plural(row.output.files ?? 0, 'file')}, ${formatBytes(row.output.bytes ?? 0)})`;
  return row.output.recorded ? 'not copied (run.json without a verified copy)' : 'not copied';
}

export function ageText(row: ReleaseRow, now: Date): string {
  return ageOf(row.startedAt, now);
}

function shortCommit(commit: string | undefined): string {
  return commit ? commit.slice(0, 7) : '—';
}

/** The table `releases` prints: one line per run, then what to do about stuck releases and kept volumes. */
export function formatReleaseTable(rows: readonly ReleaseRow[], now: Date): string {
  const header = ['RELEASE', 'STATE', 'JOB', 'COMMIT', 'AGE', 'PVC', 'OUTPUT'];
  const lines = rows.map((row) => [
    row.name,
    releaseStateText(row),
    jobText(row),
    shortCommit(row.commit),
    ageText(row, now),
    storageText(row),
    outputText(row),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const notes = rows.flatMap((row) => releaseNotes(row));
  return [render(header), ...lines.map(render), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
}

/** What needs attention on a row, as sentences with the command to run. */
export function releaseNotes(row: ReleaseRow): string[] {
  const notes: string[] = [];
  if (row.stuck) notes.push(`${row.name} is stuck (${row.stuck.status}). ${row.stuck.hint}`);
  if (!row.helm && !row.pvc && !row.volume && row.inputs.present) {
    notes.push(
      `${row.name}: only its inputs Secret ${row.inputs.secret} is left (a deploy stopped before it could clean up). Delete it: ${deckhand('uninstall', appOfRelease(row.name), '--release', row.name)}`,
    );
  }
  if (row.helm && row.inputs.shared) {
    notes.push(
      `${row.name} was made before per-run inputs: its Job reads the shared Secret ${row.inputs.secret}, which deckhand deletes once the last such run is uninstalled.`,
    );
  }
  if (row.output.legacy && row.output.copied) {
    notes.push(`${row.name}: its output is in ${row.output.dir}/, where runs were copied before per-run folders.`);
  }
  if (!row.helm && row.volume?.phase === 'Released') {
    notes.push(
      `${row.name}: volume ${row.volume.name}${row.volume.linodeVolumeId ? ` (Linode volume ${row.volume.linodeVolumeId})` : ''} is Released and kept by its Retain policy; it is still billed. Delete it: ${deckhand('uninstall', appOfRelease(row.name), '--release', row.name, '--delete-volume')}`,
    );
  }
  return notes;
}

/** The `--json` document: stable field names for scripts. */
export function releasesJson(rows: readonly ReleaseRow[], now: Date): object[] {
  return rows.map((row) => ({
    name: row.name,
    namespace: row.namespace,
    state: releaseStateText(row),
    helm: row.helm ?? null,
    startedAt: row.startedAt ?? null,
    ageSeconds: row.startedAt
      ? Math.max(0, Math.floor((now.getTime() - new Date(row.startedAt).getTime()) / 1000))
      : null,
    job: row.job,
    commit: row.commit ?? null,
    pvc: row.pvc ?? null,
    volume: row.volume ?? null,
    output: row.output,
    inputs: row.inputs,
    stuck: row.stuck ?? null,
  }));
}

// ─── The pickers' lines ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * One fact of a run in a picker line: its text, a shorter one for narrow terminals, and what the description says
 * when the line shows the short one or none (undefined: nothing worth saying, such as "commit —").
 */
interface PickerFact {
  full: string;
  short: string;
  /** When the line shows the short form (undefined: the short one says it all). */
  detailOfShort?: string;
  /** When the line leaves the fact out. */
  detail?: string;
}

type PickerColumn = 'state' | 'job' | 'commit' | 'age' | 'storage' | 'output';
type PickerLevel = 'full' | 'short' | 'hidden';
const PICKER_COLUMNS: readonly PickerColumn[] = ['state', 'job', 'commit', 'age', 'storage', 'output'];
/**
 * What gives way first when a line is too wide: the facts needed least to tell runs apart go to the description
 * (shown under the list for the highlighted run), the others get shorter. The release name always stays.
 */
const NARROWING: readonly [PickerColumn, PickerLevel][] = [
  ['storage', 'hidden'],
  ['output', 'short'],
  ['commit', 'hidden'],
  ['state', 'short'],
  ['job', 'short'],
  ['age', 'hidden'],
  ['state', 'hidden'],
  ['output', 'hidden'],
];
/** Inquirer draws a cursor and a checkbox (or a space) and a space before each entry. */
const PICKER_PREFIX = 3;

function pickerFacts(row: ReleaseRow, now: Date): Record<PickerColumn, PickerFact> {
  const state = releaseStateText(row);
  const shortState = state.replace(/ \(.*\)$/, '');
  const job = jobText(row);
  const commit = shortCommit(row.commit);
  const storage = storageText(row);
  const output = outputText(row);
  const shortOutput = row.output.copied ? 'copied' : 'not copied';
  return {
    state: {
      full: state,
      short: shortState,
      ...(shortState !== state ? { detailOfShort: `release ${state}` } : {}),
      detail: `release ${state}`,
    },
    job: {
      full: `job ${job}`,
      short: row.job.state,
      ...(job !== row.job.state ? { detailOfShort: `job ${job}` } : {}),
      detail: `job ${job}`,
    },
    commit: { full: commit, short: commit, ...(row.commit ? { detail: `commit ${commit}` } : {}) },
    age: { full: ageText(row, now), short: ageText(row, now), detail: `started ${ageText(row, now)} ago` },
    storage: {
      full: storage,
      short: storage,
      ...(row.pvc ? { detail: `PVC ${storage}` } : row.volume ? { detail: storage } : {}),
    },
    output: {
      full: output,
      short: shortOutput,
      ...(shortOutput !== output ? { detailOfShort: `output ${output}` } : {}),
      detail: `output ${output}`,
    },
  };
}

/** The terminal's width for a picker (Inquirer draws on stdout), or 80 off a terminal. */
export function pickerWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return lineWidth(stream);
}

/**
 * One line per release for the pickers, the same facts as the table in a fixed-width layout that fits `width`
 * columns (the terminal's): what does not fit on the line — or fits only shortened — is in the entry's description,
 * wrapped to the same width, with the notes that need attention.
 */
export function releaseChoices(rows: readonly ReleaseRow[], now: Date, width: number): Choice<string>[] {
  const facts = rows.map((row) => pickerFacts(row, now));
  const nameWidth = Math.max(0, ...rows.map((row) => row.name.length));
  const level = Object.fromEntries(PICKER_COLUMNS.map((column) => [column, 'full'])) as Record<
    PickerColumn,
    PickerLevel
  >;
  const textOf = (fact: PickerFact, column: PickerColumn) => (level[column] === 'full' ? fact.full : fact.short);
  const columnWidth = (column: PickerColumn) =>
    Math.max(0, ...facts.map((fact) => textOf(fact[column], column).length));
  const fits = () =>
    PICKER_COLUMNS.filter((column) => level[column] !== 'hidden').reduce(
      (sum, column) => sum + 2 + columnWidth(column),
      PICKER_PREFIX + nameWidth,
    ) <= width;
  for (const [column, narrower] of NARROWING) {
    if (fits()) break;
    level[column] = narrower;
  }
  // A fact left out early may fit again once later ones got shorter.
  for (const [column] of [...NARROWING].reverse()) {
    if (level[column] !== 'hidden') continue;
    for (const wider of ['full', 'short'] as const) {
      level[column] = wider;
      if (fits()) break;
      level[column] = 'hidden';
    }
  }
  const shown = PICKER_COLUMNS.filter((column) => level[column] !== 'hidden');
  const widths = new Map(shown.map((column) => [column, columnWidth(column)]));
  return rows.map((row, index) => {
    const fact = facts[index]!;
    const line = [
      row.name.padEnd(nameWidth),
      ...shown.map((column) => textOf(fact[column], column).padEnd(widths.get(column)!)),
    ]
      .join('  ')
      .trimEnd();
    // What the line leaves out, or shows only shortened, in full.
    const elsewhere = PICKER_COLUMNS.map((column) =>
      level[column] === 'hidden'
        ? fact[column].detail
        : level[column] === 'short'
          ? fact[column].detailOfShort
          : undefined,
    ).filter((detail): detail is string => detail !== undefined);
    const notes =
      releaseNotes(row).length > 0
        ? releaseNotes(row)
        : row.pvc && !row.output.copied
          ? [`The output of ${row.name} was never copied to this machine.`]
          : [];
    // Each paragraph wrapped to the width on its own, so a note never runs on from the end of a command.
    const description = [elsewhere.length > 0 ? `${elsewhere.join(' · ')}.` : '', ...notes]
      .filter(Boolean)
      .flatMap((paragraph) => wrapWords(paragraph, width))
      .join('\n');
    // Inquirer echoes `short` as the answer once the prompt is done (the Prompter passes choices through as given):
    // the release name, not the whole line.
    const choice: Choice<string> & { short: string } = {
      name: line,
      value: row.name,
      short: row.name,
      ...(description ? { description } : {}),
    };
    return choice;
  });
}

/** For uninstall: finished runs first (they are what is safe to remove), oldest first within each group. */
export function uninstallOrder(rows: readonly ReleaseRow[]): ReleaseRow[] {
  const rank = (row: ReleaseRow) => (row.stuck ? 2 : row.job.state === 'running' ? 1 : 0);
  return [...rows].sort((a, b) => rank(a) - rank(b) || (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
}

/** For logs and copy: the newest run first (the one people usually mean). */
export function newestFirst(rows: readonly ReleaseRow[]): ReleaseRow[] {
  return [...rows].sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

/** A `--release` value that is not a release of this app: exit 2, listing the ones that exist. */
/**
 * A name given with --release that is neither on the cluster nor recorded on this machine: exit 2 with the runs
 * that are there, so a typo or a run of another cluster is told apart from one that is already gone.
 */
export function unknownReleaseError(
  app: string,
  namespace: string,
  names: readonly string[],
  rows: readonly ReleaseRow[],
): UsageError {
  const there = rows.filter((row) => !row.gone).map((row) => row.name);
  const malformed = names.filter((name) => !isRunReleaseName(app, name));
  return new UsageError(
    `No ${names.length === 1 ? 'run' : 'runs'} ${names.join(', ')} in namespace ${namespace}.${malformed.length > 0 ? ` Runs of ${app} are named ${app}-YYYYMMDD-HHMMSS.` : ''}`,
    there.length > 0
      ? `Runs there: ${there.join(', ')} (${deckhand('releases', app)})`
      : `${app} has no runs in namespace ${namespace} (${deckhand('releases', app)}); start one with: ${deckhand('deploy', app)}`,
  );
}

// ─── Choosing one (logs, copy) ───────────────────────────────────────────────────────────────────────────────────

export interface ChooseReleaseOptions {
  prompter: Prompter;
  app: string;
  namespace: string;
  rows: readonly ReleaseRow[];
  /** The --release value, when given. */
  given: string | undefined;
  /** What the release is chosen for ("show the logs of"), for the prompt and the off-terminal message. */
  purpose: string;
  /** Why a row cannot be used for this command, or undefined when it can. */
  unusable: (row: ReleaseRow) => string | undefined;
  now: Date;
  /** The picker's width (the terminal's columns). */
  width: number;
  /** Says which release was taken when there was only one to take. */
  tell: (line: string) => void;
}

/**
 * The release named by --release, or the one picked on a terminal (newest first). Off a terminal without --release,
 * the only release this command can use is taken (and said so) — a script needs no picker when there is one choice;
 * with several, the prompter refuses with exit 2 and the list to choose from.
 */
export async function chooseRelease(options: ChooseReleaseOptions): Promise<ReleaseRow> {
  const { app, namespace, rows, given } = options;
  if (given !== undefined) {
    const row = rows.find((candidate) => candidate.name === given);
    if (!row) throw unknownReleaseError(app, namespace, [given], rows);
    const reason = options.unusable(row);
    if (reason) throw new UsageError(`Cannot ${options.purpose} ${row.name}: ${reason}.`);
    return row;
  }
  const usable = newestFirst(rows.filter((row) => options.unusable(row) === undefined));
  if (usable.length === 0) {
    throw new UsageError(
      `${app} has no release to ${options.purpose} in namespace ${namespace}.`,
      rows.length > 0
        ? `See them all with: ${deckhand('releases', app)}`
        : `Start a run with: ${deckhand('deploy', app)}`,
    );
  }
  if (usable.length === 1 && !options.prompter.interactive) {
    const only = usable[0]!;
    const others = rows.length - 1;
    const rest = others === 1 ? 'the other run cannot be' : `the ${others} other runs cannot be`;
    options.tell(
      `No --release given: using ${only.name}, the only release of ${app} to ${options.purpose}${others > 0 ? ` (${rest}; see them all: ${deckhand('releases', app)})` : ''}.`,
    );
    return only;
  }
  const name = await options.prompter.select(
    {
      message: `Which release of ${app}? (newest first)`,
      choices: releaseChoices(usable, options.now, options.width),
    },
    {
      what: `the release to ${options.purpose}`,
      howToProvide: `pass --release NAME, one of: ${usable.map((row) => row.name).join(', ')}`,
    },
  );
  return usable.find((row) => row.name === name)!;
}

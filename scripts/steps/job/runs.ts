/**
 * The releases of a Job app, as one list of facts per run: the Helm release and its state, the Job's outcome, the
 * commit it ran, its age, its PVC (and the volume behind it), and whether its output is safely on this machine.
 *
 * Gathering is a handful of calls per namespace however many releases there are — `helm list` once, the Jobs, PVCs
 * and PersistentVolumes once each (by the app's label), and the local run records — and `joinReleases` turns those
 * lists into rows in a pure function, so every state (stuck, TTL-deleted Job, leftover PVC, Released volume) can be
 * tested without a cluster. `releases`, the uninstall picker, `logs` and `copy` all read the same rows.
 */
import path from 'node:path';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { UsageError } from '../../lib/errors.ts';
import type { Choice, Prompter } from '../../lib/prompts.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { copyOutput, formatBytes, type CopyResult } from './copy.ts';
import { jobOutcome, type JobLike } from './diagnose.ts';
import { outputIsCopied, readRunRecord, writeRunRecord, type RunOutcome, type RunRecord } from './record.ts';

export type JobState = 'running' | 'complete' | 'failed' | 'gone';

export interface VolumeFacts {
  name: string;
  /** Bound, Released, Available, Failed. */
  phase?: string;
  reclaimPolicy?: string;
  size?: string;
  /** The Linode Block Storage volume id behind the PV (from the CSI volume handle `<id>-<label>`), when known. */
  linodeVolumeId?: string;
  storageClass?: string;
}

export interface ReleaseRow {
  name: string;
  namespace: string;
  /** Undefined when Helm has no such release: only its PVC or volume is left (a crashed or partial clean-up). */
  helm?: { status: helm.ReleaseStatus; revision: number; updated?: string; chart: string; appVersion: string };
  /** When the run started (from the release name, which is the UTC start time), ISO 8601. */
  startedAt?: string;
  job: { state: JobState; reason?: string };
  /** Full commit, from the Job's annotation or label, the PVC's, or the run record. */
  commit?: string;
  /** The image reference the Job runs (repository:tag[@digest]), when the Job is still there. */
  image?: string;
  pvc?: { name: string; size?: string; phase?: string; volumeName?: string };
  /** The PersistentVolume bound to the PVC, or left Released by a deleted one. */
  volume?: VolumeFacts;
  output: { dir: string; recorded: boolean; copied: boolean; files?: number; bytes?: number; outcome?: RunOutcome };
  /** Set when an interrupted helm operation left the release in a pending-* state. */
  stuck?: StuckFacts;
}

export interface StuckFacts {
  status: helm.ReleaseStatus;
  /** The revision `helm rollback` should return to (pending-upgrade/-rollback only), when one exists. */
  rollbackRevision?: number;
  hint: string;
}

/** One entry of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  status: helm.ReleaseStatus;
  updated?: string;
  description?: string;
}

/** The Go regular expression (for `helm list --filter`) that matches exactly the run releases of an app. */
export function releaseFilter(app: string): string {
  return `^${app}-\\d{8}-\\d{6}$`;
}

export function isRunReleaseName(app: string, name: string): boolean {
  return new RegExp(`^${escapeRegExp(app)}-\\d{8}-\\d{6}$`).test(name);
}

/** `caelundas-20260125-143022` → 2026-01-25T14:30:22.000Z (the name is the UTC time the run started). */
export function releaseStartedAt(app: string, name: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(name.slice(app.length + 1));
  if (!match || !name.startsWith(`${app}-`)) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Helm's `updated` ("2026-01-25 14:30:22.123456789 +0000 UTC") as ISO 8601, or undefined when unreadable. */
export function parseHelmTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[3] ? match[3].slice(0, 4) : '';
  const zone =
    !match[4] || match[4] === 'Z'
      ? 'Z'
      : match[4].includes(':')
        ? match[4]
        : `${match[4].slice(0, 3)}:${match[4].slice(3)}`;
  const date = new Date(`${match[1]}T${match[2]}${fraction}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// ─── Joining the lists ───────────────────────────────────────────────────────────────────────────────────────────

export interface ReleaseSources {
  app: string;
  namespace: string;
  /** The local folder that holds output/<release>/ (config.outputDir). */
  outputDir: string;
  releases: readonly helm.ReleaseListEntry[];
  jobs: readonly kubectl.KubeObject[];
  pvcs: readonly kubectl.KubeObject[];
  /** All PersistentVolumes (cluster-scoped); empty when they could not be listed. */
  volumes: readonly kubectl.KubeObject[];
  /** Run records by release name. */
  records: ReadonlyMap<string, RunRecord | undefined>;
  /** Histories of stuck releases, by name (read only for those). */
  histories?: ReadonlyMap<string, readonly HistoryEntry[]>;
}

const INSTANCE = 'app.kubernetes.io/instance';
const COMMIT = 'deckhand.dev/git-commit';

/**
 * One row per run: every Helm release of the app, plus every PVC or Released volume of a run whose release is gone
 * (so nothing that costs money hides from the list). Oldest first.
 */
export function joinReleases(sources: ReleaseSources): ReleaseRow[] {
  const jobsByRelease = groupByRelease(sources.jobs);
  const pvcsByRelease = groupByRelease(sources.pvcs);
  const names = new Set<string>(sources.releases.map((release) => release.name));
  for (const name of pvcsByRelease.keys()) if (isRunReleaseName(sources.app, name)) names.add(name);
  const claimedVolumes = sources.volumes.filter((volume) => claimRefOf(volume)?.namespace === sources.namespace);
  for (const volume of claimedVolumes) {
    const claim = claimRefOf(volume)?.name;
    if (claim && isRunReleaseName(sources.app, claim)) names.add(claim);
  }

  const rows = [...names].map((name): ReleaseRow => {
    const entry = sources.releases.find((release) => release.name === name);
    const job = newest(jobsByRelease.get(name) ?? []);
    const pvc =
      (pvcsByRelease.get(name) ?? []).find((claim) => claim.metadata.name === name) ?? pvcsByRelease.get(name)?.[0];
    const volumeName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
    const volume =
      (volumeName ? sources.volumes.find((candidate) => candidate.metadata.name === volumeName) : undefined) ??
      claimedVolumes.find((candidate) => claimRefOf(candidate)?.name === (pvc?.metadata.name ?? name));
    const record = sources.records.get(name);
    const outcome = job ? jobOutcome(job as JobLike) : undefined;
    const status = entry?.status;
    return {
      name,
      namespace: sources.namespace,
      helm: entry
        ? {
            status: entry.status,
            revision: Number(entry.revision),
            updated: parseHelmTime(entry.updated),
            chart: entry.chart,
            appVersion: entry.app_version,
          }
        : undefined,
      startedAt: (releaseStartedAt(sources.app, name) ?? dateOrUndefined(parseHelmTime(entry?.updated)))?.toISOString(),
      job: outcome
        ? { state: outcome.state, ...(outcome.state === 'failed' ? { reason: outcome.reason } : {}) }
        : { state: 'gone' },
      commit:
        job?.metadata.annotations?.[COMMIT] ??
        job?.metadata.labels?.[COMMIT] ??
        pvc?.metadata.annotations?.[COMMIT] ??
        pvc?.metadata.labels?.[COMMIT] ??
        (record?.commit || undefined),
      image: (job?.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec
        ?.containers?.[0]?.image,
      pvc: pvc ? pvcFacts(pvc) : undefined,
      volume: volume ? volumeFacts(volume) : undefined,
      output: {
        dir: path.join(sources.outputDir, name),
        recorded: record !== undefined,
        copied: outputIsCopied(record),
        ...(outputIsCopied(record) ? { files: record!.copy.files.length, bytes: record!.copy.totalBytes } : {}),
        ...(record ? { outcome: record.outcome } : {}),
      },
      stuck:
        status && helm.PENDING_STATUSES.includes(status)
          ? stuckFacts(sources.app, sources.namespace, name, status, sources.histories?.get(name))
          : undefined,
    };
  });
  return rows.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.name.localeCompare(b.name));
}

function groupByRelease(objects: readonly kubectl.KubeObject[]): Map<string, kubectl.KubeObject[]> {
  const groups = new Map<string, kubectl.KubeObject[]>();
  for (const object of objects) {
    const release = object.metadata.labels?.[INSTANCE] ?? object.metadata.name;
    groups.set(release, [...(groups.get(release) ?? []), object]);
  }
  return groups;
}

function newest(objects: readonly kubectl.KubeObject[]): kubectl.KubeObject | undefined {
  return [...objects].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0];
}

function claimRefOf(volume: kubectl.KubeObject): { name?: string; namespace?: string } | undefined {
  return (volume.spec as { claimRef?: { name?: string; namespace?: string } } | undefined)?.claimRef;
}

function pvcFacts(pvc: kubectl.KubeObject): NonNullable<ReleaseRow['pvc']> {
  const spec = pvc.spec as { resources?: { requests?: { storage?: string } }; volumeName?: string } | undefined;
  const status = pvc.status as { phase?: string; capacity?: { storage?: string } } | undefined;
  return {
    name: pvc.metadata.name,
    size: status?.capacity?.storage ?? spec?.resources?.requests?.storage,
    phase: pvc.metadata.deletionTimestamp ? 'Terminating' : status?.phase,
    ...(spec?.volumeName ? { volumeName: spec.volumeName } : {}),
  };
}

export function volumeFacts(volume: kubectl.KubeObject): VolumeFacts {
  const spec = volume.spec as
    | {
        persistentVolumeReclaimPolicy?: string;
        capacity?: { storage?: string };
        csi?: { volumeHandle?: string };
        storageClassName?: string;
      }
    | undefined;
  const handle = spec?.csi?.volumeHandle;
  return {
    name: volume.metadata.name,
    phase: (volume.status as { phase?: string } | undefined)?.phase,
    reclaimPolicy: spec?.persistentVolumeReclaimPolicy,
    size: spec?.capacity?.storage,
    // The Linode CSI driver names its volumes `<linode volume id>-<label>`.
    linodeVolumeId: handle && /^\d+-/.test(handle) ? handle.split('-')[0] : undefined,
    storageClass: spec?.storageClassName,
  };
}

/** The revision to roll back to: the newest one that was deployed before the interrupted operation. */
export function lastDeployedRevision(history: readonly HistoryEntry[]): number | undefined {
  const sorted = [...history].sort((a, b) => b.revision - a.revision);
  const current = sorted[0]?.revision;
  const earlier = sorted.filter((entry) => entry.revision !== current);
  return (
    earlier.find((entry) => entry.status === 'deployed') ?? earlier.find((entry) => entry.status === 'superseded')
  )?.revision;
}

export function stuckFacts(
  app: string,
  namespace: string,
  release: string,
  status: helm.ReleaseStatus,
  history?: readonly HistoryEntry[],
): StuckFacts {
  const uninstall = `npx tsx tasks.ts uninstall ${app} --release ${release} --recover --yes`;
  const caution = 'An interrupted helm operation left it locked; if no helm command is still working on it,';
  if (status === 'pending-install') return { status, hint: `${caution} remove it: ${uninstall}` };
  const revision = history ? lastDeployedRevision(history) : undefined;
  const rollback = revision !== undefined ? `helm rollback ${release} ${revision} --namespace ${namespace}` : undefined;
  return {
    status,
    ...(revision !== undefined ? { rollbackRevision: revision } : {}),
    hint: rollback
      ? `${caution} roll it back to revision ${revision} (${rollback}; \`uninstall\` offers it on a terminal) or remove it: ${uninstall}`
      : `${caution} remove it: ${uninstall}`,
  };
}

function dateOrUndefined(iso: string | undefined): Date | undefined {
  return iso ? new Date(iso) : undefined;
}

// ─── Reading them from the cluster ───────────────────────────────────────────────────────────────────────────────

export interface ReadReleasesOptions {
  shell: Runner;
  target: KubeTarget;
  app: string;
  namespace: string;
  outputDir: string;
}

/** Four cluster reads, side by side, however many releases there are (plus `helm history` for stuck ones). */
export async function readReleases(options: ReadReleasesOptions): Promise<ReleaseRow[]> {
  const { shell, target, app, namespace } = options;
  const byApp = { namespace, labelSelector: `app.kubernetes.io/name=${app}` };
  const [releases, jobs, pvcs, listed] = await Promise.all([
    helm.list(shell, target, namespace, releaseFilter(app)),
    kubectl.list(shell, target, 'jobs', byApp),
    kubectl.list(shell, target, 'persistentvolumeclaims', byApp),
    listVolumes(shell, target),
  ]);
  const volumes = listed.ok ? listed.volumes : [];
  const names = new Set<string>([
    ...releases.map((release) => release.name),
    ...pvcs.map((pvc) => pvc.metadata.labels?.[INSTANCE] ?? pvc.metadata.name),
  ]);
  for (const volume of volumes) {
    const claim = claimRefOf(volume);
    if (claim?.namespace === namespace && claim.name && isRunReleaseName(app, claim.name)) names.add(claim.name);
  }
  const stuck = releases.filter(
    (release) => helm.PENDING_STATUSES.includes(release.status) && release.status !== 'pending-install',
  );
  const [records, histories] = await Promise.all([
    Promise.all(
      [...names].map(
        async (name) => [name, await readRunRecord(path.join(options.outputDir, name)).catch(() => undefined)] as const,
      ),
    ),
    Promise.all(
      stuck.map(async (release) => [release.name, await history(shell, target, namespace, release.name)] as const),
    ),
  ]);
  return joinReleases({
    app,
    namespace,
    outputDir: options.outputDir,
    releases,
    jobs,
    pvcs,
    volumes,
    records: new Map(records),
    histories: new Map(histories),
  });
}

/**
 * PersistentVolumes are cluster-scoped: a kubeconfig limited to one namespace cannot list them. The list then
 * simply lacks the volume facts instead of failing.
 */
export async function listVolumes(
  shell: Runner,
  target: KubeTarget,
): Promise<{ ok: true; volumes: kubectl.KubeObject[] } | { ok: false; error: string }> {
  const result = await shell.run(kubectl.listArgs(target, 'persistentvolumes'), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0)
    return { ok: false, error: result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}` };
  return { ok: true, volumes: (JSON.parse(result.stdout) as kubectl.KubeList).items };
}

export async function history(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<HistoryEntry[]> {
  const result = await shell.run(helm.historyArgs(target, namespace, release), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0) return [];
  return (
    JSON.parse(result.stdout || '[]') as {
      revision: number | string;
      status: helm.ReleaseStatus;
      updated?: string;
      description?: string;
    }[]
  ).map((entry) => ({
    ...entry,
    revision: Number(entry.revision),
  }));
}

// ─── Showing them ────────────────────────────────────────────────────────────────────────────────────────────────

/** "deployed", "stuck (pending-upgrade)", "failed", or "no release (PVC left)" for leftovers. */
export function releaseStateText(row: ReleaseRow): string {
  if (row.stuck) return `stuck (${row.stuck.status})`;
  if (row.helm) return row.helm.status;
  return row.pvc ? 'no release (PVC left)' : 'no release (volume left)';
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
    return `copied (${row.output.files} file${row.output.files === 1 ? '' : 's'}, ${formatBytes(row.output.bytes ?? 0)})`;
  return row.output.recorded ? 'not copied (run.json without a verified copy)' : 'not copied';
}

/** Kubernetes-style ages: 45s, 12m, 3h5m, 2d4h. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

export function ageText(row: ReleaseRow, now: Date): string {
  return row.startedAt ? formatAge(now.getTime() - new Date(row.startedAt).getTime()) : '?';
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
  if (!row.helm && row.volume?.phase === 'Released') {
    notes.push(
      `${row.name}: volume ${row.volume.name}${row.volume.linodeVolumeId ? ` (Linode volume ${row.volume.linodeVolumeId})` : ''} is Released and kept by its Retain policy; it is still billed. Delete it: npx tsx tasks.ts uninstall ${appOf(row)} --release ${row.name} --delete-volume`,
    );
  }
  return notes;
}

function appOf(row: ReleaseRow): string {
  return row.name.replace(/-\d{8}-\d{6}$/, '');
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
    stuck: row.stuck ?? null,
  }));
}

/** One line per release for the pickers: the same facts as the table, in a fixed-width layout. */
export function releaseChoices(rows: readonly ReleaseRow[], now: Date): Choice<string>[] {
  const cells = rows.map((row) => [
    row.name,
    releaseStateText(row),
    `job ${jobText(row)}`,
    shortCommit(row.commit),
    ageText(row, now),
    storageText(row),
    outputText(row),
  ]);
  const widths = cells[0]?.map((_, column) => Math.max(...cells.map((line) => line[column]!.length))) ?? [];
  return rows.map((row, index) => {
    // Inquirer echoes `short` as the answer once the prompt is done (the Prompter passes choices through as given):
    // the release name, not the whole line.
    const choice: Choice<string> & { short: string } = {
      name: cells[index]!.map((cell, column) =>
        column === widths.length - 1 ? cell : cell.padEnd(widths[column]!),
      ).join('  '),
      value: row.name,
      short: row.name,
      ...(releaseNotes(row).length > 0
        ? { description: releaseNotes(row).join(' ') }
        : row.pvc && !row.output.copied
          ? { description: `The output of ${row.name} was never copied to this machine.` }
          : {}),
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
export function unknownReleaseError(
  app: string,
  namespace: string,
  names: readonly string[],
  rows: readonly ReleaseRow[],
): UsageError {
  const existing = rows.map((row) => row.name);
  return new UsageError(
    `${names.length === 1 ? 'No release' : 'No releases'} ${names.map((name) => `"${name}"`).join(', ')} of ${app} in namespace ${namespace}.`,
    existing.length > 0
      ? `Existing releases: ${existing.join(', ')}.`
      : `${app} has no releases in namespace ${namespace}. List them with: npx tsx tasks.ts releases ${app}`,
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
}

/**
 * The release named by --release, or the one picked on a terminal (newest first). Off a terminal without
 * --release, the prompter refuses with exit 2 and the list of releases to choose from.
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
        ? `See them all with: npx tsx tasks.ts releases ${app}`
        : `Start a run with: npx tsx tasks.ts deploy ${app}`,
    );
  }
  const name = await options.prompter.select(
    { message: `Which release of ${app}? (newest first)`, choices: releaseChoices(usable, options.now) },
    {
      what: `the release to ${options.purpose}`,
      howToProvide: `pass --release NAME, one of: ${usable.map((row) => row.name).join(', ')}`,
    },
  );
  return usable.find((row) => row.name === name)!;
}

// ─── Copying a run's output ──────────────────────────────────────────────────────────────────────────────────────

/** Why this run's output cannot be copied now, or undefined when it can. */
export function copyBlocker(row: ReleaseRow): string | undefined {
  if (!row.pvc) return 'it has no PVC left, so there is nothing to copy';
  if (row.job.state === 'running')
    return `its Job is still running, so the output is not complete yet (follow it: npx tsx tasks.ts logs ${appOf(row)} --release ${row.name})`;
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
    image: parseImageReference(row.image),
    commit: row.commit ?? '',
    valuesFiles: [],
    startedAt: row.startedAt ?? '',
    endedAt: input.now.toISOString(),
    outcome,
    ...(failure ? { failure } : {}),
    copy,
  };
}

/** `ghcr.io/me/app:sha-1a2b3c4@sha256:…` → its parts; empty parts when the Job (and so the image) is gone. */
export function parseImageReference(reference: string | undefined): RunRecord['image'] {
  if (!reference) return { repository: '', tag: '', reference: '' };
  const [named, digest] = reference.split('@') as [string, string | undefined];
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  return {
    repository: hasTag ? named.slice(0, colon) : named,
    tag: hasTag ? named.slice(colon + 1) : '',
    ...(digest ? { digest } : {}),
    reference,
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

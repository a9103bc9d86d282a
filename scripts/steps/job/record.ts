/**
 * The run record and where a run's output lives on this machine. One folder per run, keyed by everything that makes
 * a run itself — the cluster, the namespace and the release — with deckhand's record beside (never among) the
 * Job's own files:
 *
 *   output/<cluster>/<namespace>/<release>/run.json   deckhand's record: what ran, where, with which inputs, how
 *                                                      it ended, and which files were copied and verified
 *   output/<cluster>/<namespace>/<release>/files/     exactly what the Job wrote, nothing else (even a file of its
 *                                                      own named run.json)
 *
 * `<cluster>` is the kubeconfig's name for the cluster (`lke12345` on LKE); the record also holds the API server's
 * URL, and a record counts for a run only when its release, namespace and server all match (recordBelongsTo). Every
 * guard that trusts "copied" asks outputIsCopied, which checks all three.
 *
 * Before this layout, a run's files and its run.json shared output/<release>/; those records are still read
 * (findRunRecord), and trusted under the same three-way check. They are not moved: the next copy of such a run
 * writes the new layout.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DeckhandError } from '../../lib/errors.ts';
import { formatImageReference, parseImageReference } from '../../lib/image-ref.ts';
import type { ManifestEntry } from '../../lib/tar-manifest.ts';

export const RUN_RECORD = 'run.json';
export const FILES_FOLDER = 'files';

export type RunOutcome = 'complete' | 'failed' | 'timeout' | 'interrupted' | 'error';

/** What identifies one run: the same release name in another namespace or cluster is another run. */
export interface RunPlace {
  /** The kubeconfig's name for the cluster (the folder name); the server is what is compared. */
  cluster: string;
  server: string;
  namespace: string;
  release: string;
}

export interface RecordedImage {
  /** The --image reference exactly as given, when one was. */
  given?: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** What the Job runs. */
  reference: string;
  /** Where the digest came from: the push, the registry (for a tag given with --image), or the reference itself. */
  digestFrom?: 'build' | 'registry' | 'given';
}

export interface RecordedInputs {
  /** The run's own Secret (or, for runs made before per-run inputs, the app's shared one). */
  secret: string;
  /** The values of the inputs that are not sensitive (the dates), so output can be told apart by what made it. */
  values: Record<string, string>;
  /** The names of the sensitive inputs; their values are never written anywhere but the Secret. */
  sensitive: string[];
}

export interface RunRecord {
  /** 2 for the folder layout above; records without it are from before (their files sit beside run.json). */
  layout?: 2;
  app: string;
  release: string;
  namespace: string;
  /** The kubeconfig's cluster name (layout 2). */
  cluster?: string;
  context: string;
  server: string;
  /** The run's id: the deckhand.dev/run-id label on its Job, pods and PVC. */
  runId?: string;
  image: RecordedImage;
  inputs?: RecordedInputs;
  commit: string;
  valuesFiles: string[];
  startedAt: string;
  endedAt: string;
  outcome: RunOutcome;
  /** A sentence on why it failed, when it did. */
  failure?: string;
  copy: { verified: boolean; files: ManifestEntry[]; totalBytes: number };
}

/** A record found for a run, and where its files are. */
export interface FoundRecord {
  record: RunRecord;
  /** The record file. */
  file: string;
  /** Where the run's copied files are (the files/ folder, or the old shared folder). */
  filesDir: string;
  /** Written before the per-run folder layout (output/<release>/run.json among the files). */
  legacy: boolean;
}

/** output/<cluster>/<namespace>/<release>: the run's folder. */
export function runFolder(outputDir: string, place: Omit<RunPlace, 'server'>): string {
  return path.join(outputDir, folderName(place.cluster), folderName(place.namespace), folderName(place.release));
}

/** Where the run's copied files go: files/ inside its folder. */
export function filesFolder(runDir: string): string {
  return path.join(runDir, FILES_FOLDER);
}

/** A record counts for a run only when release, namespace and API server all match. */
export function recordBelongsTo(record: RunRecord | undefined, place: Omit<RunPlace, 'cluster'>): boolean {
  return (
    record !== undefined &&
    record.release === place.release &&
    record.namespace === place.namespace &&
    record.server === place.server
  );
}

/** The output of this very run (cluster, namespace, release) is on this machine, verified. */
export function outputIsCopied(found: FoundRecord | undefined, place: Omit<RunPlace, 'cluster'>): boolean {
  return found !== undefined && recordBelongsTo(found.record, place) && found.record.copy?.verified === true;
}

/**
 * Writes run.json into the run's folder (atomically: a temporary file, then a rename). A record there of another run
 * (a cluster of the same name behind another API server) is never replaced.
 */
export async function writeRunRecord(runDir: string, record: RunRecord): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const file = path.join(runDir, RUN_RECORD);
  const existing = await readRecordFile(file);
  if (existing && !recordBelongsTo(existing, record)) throw foreignFolderError(runDir, existing);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify({ ...record, layout: 2 }, null, 2)}\n`);
  await rename(temp, file);
  return file;
}

/** Refuses a run folder that holds another run's record: its files are not this run's to replace. */
export async function assertFolderIsFor(runDir: string, place: Omit<RunPlace, 'cluster'>): Promise<void> {
  const existing = await readRecordFile(path.join(runDir, RUN_RECORD));
  if (existing && !recordBelongsTo(existing, place)) throw foreignFolderError(runDir, existing);
}

/**
 * The record of this run: its own folder first, then the folder runs shared before (output/<release>/run.json),
 * whose record is used only when it is this run's (release, namespace and server match).
 */
export async function findRunRecord(outputDir: string, place: RunPlace): Promise<FoundRecord | undefined> {
  const runDir = runFolder(outputDir, place);
  const file = path.join(runDir, RUN_RECORD);
  const record = await readRecordFile(file);
  if (record && recordBelongsTo(record, place)) return { record, file, filesDir: filesFolder(runDir), legacy: false };
  const legacyDir = path.join(outputDir, folderName(place.release));
  const legacyFile = path.join(legacyDir, RUN_RECORD);
  const legacy = await readRecordFile(legacyFile);
  if (legacy && legacy.layout === undefined && recordBelongsTo(legacy, place)) {
    return { record: legacy, file: legacyFile, filesDir: legacyDir, legacy: true };
  }
  return undefined;
}

/** A run record, or undefined when there is none — or the file is not one (a Job's own run.json, say). */
async function readRecordFile(file: string): Promise<RunRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<RunRecord> | null;
    const looksLikeRecord =
      typeof parsed?.release === 'string' &&
      typeof parsed.namespace === 'string' &&
      typeof parsed.server === 'string' &&
      typeof parsed.copy === 'object' &&
      parsed.copy !== null;
    return looksLikeRecord ? (parsed as RunRecord) : undefined;
  } catch {
    return undefined;
  }
}

function foreignFolderError(runDir: string, existing: RunRecord): DeckhandError {
  return new DeckhandError(
    `${runDir} holds the output of ${existing.release} in namespace ${existing.namespace} on ${existing.server || 'another cluster'}, not of this run.`,
    'Two clusters with the same kubeconfig name ran a release of the same name. Move that folder elsewhere (nothing was changed there) and run the command again.',
  );
}

/** A folder name from a cluster, namespace or release name: never a path separator, never `.` or `..`. */
function folderName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || /^\.+$/.test(safe) ? `_${safe}` : safe;
}

/** The record's image from the reference the Job runs; empty parts when the Job (and so the image) is gone. */
export function recordImage(reference: string | undefined): RecordedImage {
  const parsed = reference ? parseImageReference(reference) : undefined;
  if (!parsed) return { repository: reference ?? '', reference: reference ?? '' };
  return {
    repository: parsed.repository,
    ...(parsed.tag ? { tag: parsed.tag } : {}),
    ...(parsed.digest ? { digest: parsed.digest } : {}),
    reference: formatImageReference(parsed),
  };
}

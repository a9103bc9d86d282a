/**
 * The run record: output/<release>/run.json, written for every run that reached the cluster — what ran (release,
 * image and digest, commit, values files), when, how it ended, and which files were copied. `releases` reads it to
 * tell whether a run's output is safely on this machine.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatImageReference, parseImageReference } from '../../lib/image-ref.ts';
import type { ManifestEntry } from '../../lib/tar-manifest.ts';

export const RUN_RECORD = 'run.json';

export type RunOutcome = 'complete' | 'failed' | 'timeout' | 'interrupted' | 'error';

export interface RunRecord {
  app: string;
  release: string;
  namespace: string;
  context: string;
  server: string;
  image: { repository: string; tag: string; digest?: string; reference: string };
  commit: string;
  valuesFiles: string[];
  startedAt: string;
  endedAt: string;
  outcome: RunOutcome;
  /** A sentence on why it failed, when it did. */
  failure?: string;
  copy: { verified: boolean; files: ManifestEntry[]; totalBytes: number };
}

export async function writeRunRecord(outputDir: string, record: RunRecord): Promise<string> {
  await mkdir(outputDir, { recursive: true });
  const file = path.join(outputDir, RUN_RECORD);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temp, file);
  return file;
}

export async function readRunRecord(outputDir: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(path.join(outputDir, RUN_RECORD), 'utf8')) as RunRecord;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The output of this release is on this machine, verified. */
export function outputIsCopied(record: RunRecord | undefined): boolean {
  return record?.copy.verified === true;
}

/** The record's image from the reference the Job runs; empty parts when the Job (and so the image) is gone. */
export function recordImage(reference: string | undefined): RunRecord['image'] {
  const parsed = reference ? parseImageReference(reference) : undefined;
  if (!parsed) return { repository: reference ?? '', tag: '', reference: reference ?? '' };
  return {
    repository: parsed.repository,
    tag: parsed.tag ?? '',
    ...(parsed.digest ? { digest: parsed.digest } : {}),
    reference: formatImageReference(parsed),
  };
}

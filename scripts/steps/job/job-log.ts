/**
 * The Job's whole log, kept in the run's folder beside run.json (output/<cluster>/<namespace>/<release>/job.log):
 * the screen keeps only its last lines, and the cluster loses the log with the pod (a TTL, an uninstall).
 *
 * Lines arrive masked (the runner masks every line it hands on), so the app's sensitive inputs never reach the file.
 * The file is created with the first line — a line only ever comes from a pod of this run, so a name this run tried
 * and found taken never gets a file — and each line is written at once, synchronously: a Ctrl-C, a closed pipe or a
 * crash loses none of what was shown. A header names the pod whenever the lines start coming from another one (a
 * retry after a failure, a pod evicted and replaced).
 */
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { recordBelongsTo, RUN_RECORD, type RunPlace, type RunRecord } from './record.ts';

export const JOB_LOG = 'job.log';

export interface JobLog {
  /** One line of the pod's output (without a line break). */
  write(line: string, pod: string): void;
  /**
   * Stops writing (lines after this are ignored) and says what became of the log: the file, when a line was written;
   * why it was not saved, when it could not be; neither when the Job printed nothing.
   */
  close(): { file?: string; problem?: string };
}

/** The job.log of a run folder. */
export function jobLogFile(runDir: string): string {
  return path.join(runDir, JOB_LOG);
}

export function openJobLog(runDir: string, place: Omit<RunPlace, 'cluster'>): JobLog {
  const file = jobLogFile(runDir);
  let fd: number | undefined;
  let written = false;
  let closed = false;
  let problem: string | undefined;
  let lastPod: string | undefined;
  const open = (): number | undefined => {
    if (fd !== undefined || problem !== undefined) return fd;
    // A folder holding another run's record (a cluster of the same name elsewhere) is not this run's to write in.
    if (!folderIsFor(runDir, place)) {
      problem = `${runDir} holds the record of another run`;
      return undefined;
    }
    mkdirSync(runDir, { recursive: true });
    fd = openSync(file, 'w');
    return fd;
  };
  return {
    write(line, pod) {
      if (closed || problem !== undefined) return;
      try {
        const target = open();
        if (target === undefined) return;
        const header = pod === lastPod ? '' : `==> pod ${pod} <==\n`;
        lastPod = pod;
        writeSync(target, `${header}${line}\n`);
        written = true;
      } catch (error) {
        // The log on screen and the run go on; the summary says the file is incomplete, and why.
        problem = (error as Error).message;
      }
    },
    close() {
      closed = true;
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch (error) {
          problem ??= (error as Error).message;
        }
        fd = undefined;
      }
      return { ...(written ? { file } : {}), ...(problem !== undefined ? { problem } : {}) };
    },
  };
}

function folderIsFor(runDir: string, place: Omit<RunPlace, 'cluster'>): boolean {
  let text: string;
  try {
    text = readFileSync(path.join(runDir, RUN_RECORD), 'utf8');
  } catch {
    return true; // no record yet: the run's own folder, about to be made
  }
  try {
    const record = JSON.parse(text) as Partial<RunRecord> | null;
    return typeof record?.release !== 'string' || recordBelongsTo(record as RunRecord, place);
  } catch {
    return true;
  }
}

/** The line under the Job's step: where its whole log is (or why it is not). */
export function jobLogSummary(saved: { file?: string; problem?: string }, repoRoot: string): string | undefined {
  const where = saved.file ? path.relative(repoRoot, saved.file) : undefined;
  if (saved.problem)
    return where ? `Full log (incomplete: ${saved.problem}): ${where}` : `The full log was not saved: ${saved.problem}`;
  return where ? `Full log: ${where}` : undefined;
}

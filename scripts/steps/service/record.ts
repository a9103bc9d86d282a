/**
 * The roll-out record: `.deckhand/rollouts/<app>/<started, UTC>.json` (git-ignored, like all of .deckhand/), one file
 * per `deploy <service>` that reached the cluster — what was rolled out (commit, image digests), by whom, when, how
 * each Deployment's part ended (revisions, the revision a failure went back to) and what each object apply did. The
 * same facts go into each revision's change-cause in the cluster; this copy stays on the machine that deployed, and
 * the deploy workflow's job summary reads it (.github/scripts/job-summary.ts).
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectResult } from './compare.ts';
import type { DeploymentRollout, RolloutOutcome } from './deploy-run.ts';

export const ROLLOUTS_DIR = path.join('.deckhand', 'rollouts');

export interface RolloutRecord {
  app: string;
  namespace: string;
  context: string;
  server: string;
  commit: string;
  who: string;
  startedAt: string;
  endedAt: string;
  outcome: RolloutOutcome;
  /** A sentence on why it failed, when it did. */
  failure?: string;
  images: { name: string; reference: string; digest?: string; built: boolean }[];
  deployments: Pick<
    DeploymentRollout,
    'name' | 'result' | 'revision' | 'previousRevision' | 'rolledBackTo' | 'images'
  >[];
  /** `Kind/name` of what the applies created and configured, and how many objects were already as wanted. */
  objects: { created: string[]; configured: string[]; unchanged: number };
}

export function rolloutsDir(stateRoot: string, app: string): string {
  return path.join(stateRoot, ROLLOUTS_DIR, app);
}

/** Written atomically (temp file + rename); the name sorts by start time. */
export async function writeRolloutRecord(stateRoot: string, record: RolloutRecord): Promise<string> {
  const dir = rolloutsDir(stateRoot, record.app);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${record.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`);
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return file;
}

/** The newest record of the app, or undefined when it has none. */
export async function readLatestRolloutRecord(stateRoot: string, app: string): Promise<RolloutRecord | undefined> {
  const dir = rolloutsDir(stateRoot, app);
  const files = (await readdir(dir).catch(() => [] as string[]))
    .filter((name) => /^\d{8}T\d{6}Z\.json$/.test(name))
    .sort();
  const newest = files.at(-1);
  return newest ? (JSON.parse(await readFile(path.join(dir, newest), 'utf8')) as RolloutRecord) : undefined;
}

/** The objects' results, grouped for the record. */
export function objectSummary(results: ReadonlyMap<string, ObjectResult>): RolloutRecord['objects'] {
  const keys = (wanted: ObjectResult) => [...results].filter(([, result]) => result === wanted).map(([key]) => key);
  return { created: keys('created'), configured: keys('configured'), unchanged: keys('unchanged').length };
}

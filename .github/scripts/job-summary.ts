/**
 * The job summary of a deploy workflow: what ran, how it ended, and where its output is — appended to
 * $GITHUB_STEP_SUMMARY by the workflow's last step, which runs even when the deploy failed.
 *
 *   npx tsx .github/scripts/job-summary.ts caelundas     reads output/<cluster>/<namespace>/<release>/run.json
 *   npx tsx .github/scripts/job-summary.ts wpp-bot       reads the roll-out's record under .deckhand/ (see below)
 *
 * The step's environment carries the outcomes of the other steps (DEPLOY_EXIT_CODE, ARTIFACT_*, CLEANUP_*) and no
 * secret. Only an allowlist of the records' fields is shown: a public repository's run summaries are public, so the
 * cluster's API address and context name stay out (they are in run.json, which is uploaded only as an artifact).
 */
import { realpathSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readLatestRolloutRecord, type RolloutRecord } from '../../scripts/steps/service/record.ts';

/** What `tasks.ts` exit codes mean (its --help: 0 done · 1 failed · 2 bad usage or missing input · 130 interrupted). */
const EXIT_MEANINGS: Readonly<Record<string, string>> = {
  '0': 'done',
  '1': 'failed',
  '2': 'bad input or missing input (nothing was changed; the message is in the deploy step log)',
  '130': 'interrupted',
};

export interface StepOutcomes {
  /** The exit code of `tasks.ts deploy`, empty when the step did not run. */
  deployExitCode?: string;
  artifact?: { name?: string; outcome?: string };
  cleanup?: { requested: boolean; outcome?: string };
}

/** The fields of a run's run.json this summary shows; parsed defensively, since a failed run writes less. */
interface RunRecordView {
  release?: string;
  namespace?: string;
  outcome?: string;
  failure?: string;
  commit?: string;
  startedAt?: string;
  endedAt?: string;
  image?: { reference?: string };
  copy?: { verified?: boolean; files?: unknown[]; totalBytes?: number };
}

/** A markdown table cell: one line, pipes escaped, inline code kept intact. */
function cell(value: unknown): string {
  return String(value).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(value: unknown): string {
  return `\`${String(value).replace(/`/g, "'")}\``;
}

function table(rows: readonly (readonly [string, string | undefined])[]): string[] {
  const shown = rows.filter((row): row is readonly [string, string] => row[1] !== undefined && row[1] !== '');
  return ['| | |', '| --- | --- |', ...shown.map(([name, value]) => `| ${name} | ${cell(value)} |`)];
}

function exitLine(exitCode: string | undefined): string {
  if (exitCode === undefined || exitCode === '') return 'The deploy step did not run (an earlier step failed).';
  return `\`tasks.ts\` exited ${exitCode}: ${EXIT_MEANINGS[exitCode] ?? 'failed'}.`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

// ─── caelundas ────────────────────────────────────────────────────────────────────────────────────────────────

/**
 * The run records under the output folder, newest first: output/<cluster>/<namespace>/<release>/run.json, and
 * output/<release>/run.json as deckhand wrote them before per-run folders. A run.json among a run's files/ is the
 * Job's own file, not a record, and is never read.
 */
export async function readRunRecords(outputDir: string): Promise<RunRecordView[]> {
  const entries = await readdir(outputDir, { recursive: true }).catch(() => []);
  const records: RunRecordView[] = [];
  for (const entry of entries.map(String)) {
    const parts = entry.split(path.sep);
    if (parts.at(-1) !== 'run.json' || (parts.length !== 2 && parts.length !== 4)) continue;
    try {
      records.push(JSON.parse(await readFile(path.join(outputDir, entry), 'utf8')) as RunRecordView);
    } catch {
      // A release folder without a readable record is not a finished run of this job.
    }
  }
  return records.sort((a, b) => String(b.startedAt ?? '').localeCompare(String(a.startedAt ?? '')));
}

export function caelundasSummary(records: readonly RunRecordView[], steps: StepOutcomes): string {
  const lines = ['## caelundas run', '', exitLine(steps.deployExitCode), ''];
  const record = records[0];
  if (!record) {
    lines.push('No run record in `output/`: the deploy stopped before it reached the cluster. Its log says why.');
    return `${lines.join('\n')}\n`;
  }
  const files = Array.isArray(record.copy?.files) ? record.copy.files.length : 0;
  const started = Date.parse(record.startedAt ?? '');
  const ended = Date.parse(record.endedAt ?? '');
  lines.push(
    ...table([
      ['Release', record.release && code(record.release)],
      ['Namespace', record.namespace],
      ['Outcome', record.outcome],
      ['Why it failed', record.failure],
      ['Image', record.image?.reference && code(record.image.reference)],
      ['Commit', record.commit && code(record.commit)],
      ['Started', record.startedAt],
      [
        'Took',
        Number.isFinite(started) && Number.isFinite(ended) ? `${Math.round((ended - started) / 1000)} s` : undefined,
      ],
      [
        'Output',
        record.copy?.verified
          ? `${files} file${files === 1 ? '' : 's'}, ${formatBytes(record.copy.totalBytes ?? 0)} (copied and verified)`
          : 'not copied',
      ],
      [
        'Artifact',
        steps.artifact?.name && `${code(steps.artifact.name)} (upload: ${steps.artifact.outcome || 'skipped'})`,
      ],
      [
        'Clean-up',
        steps.cleanup?.requested
          ? `release and PVC removed after the upload: ${steps.cleanup.outcome || 'skipped'}`
          : 'not asked: the release and its PVC are kept',
      ],
    ]),
  );
  if (records.length > 1) lines.push('', `(${records.length} run records in output/; the newest is shown.)`);
  if (record.release && !steps.cleanup?.requested) {
    lines.push(
      '',
      'Remove the release and its PVC when you no longer need them:',
      '',
      '```sh',
      `npx tsx tasks.ts uninstall caelundas --release ${record.release}`,
      '```',
    );
  }
  return `${lines.join('\n')}\n`;
}

// ─── wpp-bot ──────────────────────────────────────────────────────────────────────────────────────────────────

/** A roll-out's result in a few words, for the table. */
const OUTCOME_WORDS: Readonly<Record<RolloutRecord['outcome'], string>> = {
  'rolled-out': 'rolled out',
  unchanged: 'nothing changed (nothing was rolled out)',
  failed: 'failed (left as it is)',
  'rolled-back': 'failed, rolled back',
  interrupted: 'interrupted',
  error: 'failed before the roll-out',
};

/** The newest roll-out record of wpp-bot (`.deckhand/rollouts/wpp-bot/`), or undefined when there is none. */
export async function findWppBotRecord(stateRoot: string): Promise<RolloutRecord | undefined> {
  return readLatestRolloutRecord(stateRoot, 'wpp-bot').catch(() => undefined);
}

export function wppBotSummary(record: RolloutRecord | undefined, steps: StepOutcomes): string {
  const lines = ['## wpp-bot roll-out', '', exitLine(steps.deployExitCode), ''];
  if (!record) {
    lines.push(
      'No roll-out record under `.deckhand/rollouts/wpp-bot/`: the deploy stopped before it reached the cluster. Its log says what happened.',
    );
    return `${lines.join('\n')}\n`;
  }
  const started = Date.parse(record.startedAt ?? '');
  const ended = Date.parse(record.endedAt ?? '');
  lines.push(
    ...table([
      ['Outcome', OUTCOME_WORDS[record.outcome] ?? record.outcome],
      ['Why it failed', record.failure],
      ['Namespace', record.namespace],
      ['Commit', record.commit && code(record.commit)],
      ['By', record.who],
      ['Started', record.startedAt],
      [
        'Took',
        Number.isFinite(started) && Number.isFinite(ended) ? `${Math.round((ended - started) / 1000)} s` : undefined,
      ],
      ...(record.images ?? []).map(
        (image) =>
          [
            `Image ${image.name}`,
            image.reference && `${code(image.reference)}${image.built ? ' (built)' : ''}`,
          ] as const,
      ),
    ]),
  );
  const deployments = record.deployments ?? [];
  if (deployments.length > 0) {
    lines.push('', '| Deployment | Result | Revision |', '| --- | --- | --- |');
    for (const deployment of deployments) {
      const revision = deployment.rolledBackTo
        ? `back to ${deployment.rolledBackTo.revision} (${deployment.rolledBackTo.images.map(code).join(', ')})`
        : String(deployment.revision ?? deployment.previousRevision ?? '—');
      lines.push(`| ${cell(deployment.name)} | ${cell(deployment.result)} | ${cell(revision)} |`);
    }
  }
  const objects = record.objects;
  if (objects) {
    const changed = [
      ...objects.created.map((key) => `${key} (created)`),
      ...objects.configured.map((key) => `${key} (configured)`),
    ];
    lines.push(
      '',
      `Objects: ${changed.length > 0 ? changed.map(code).join(', ') : 'none changed'}; ${objects.unchanged} unchanged.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// ─── Entry ────────────────────────────────────────────────────────────────────────────────────────────────────

function outcomesFromEnv(env: NodeJS.ProcessEnv): StepOutcomes {
  return {
    deployExitCode: env.DEPLOY_EXIT_CODE,
    artifact: env.ARTIFACT_NAME ? { name: env.ARTIFACT_NAME, outcome: env.ARTIFACT_OUTCOME } : undefined,
    cleanup: { requested: env.CLEANUP_REQUESTED === 'true', outcome: env.CLEANUP_OUTCOME },
  };
}

export async function main(app: string | undefined, root: string, env: NodeJS.ProcessEnv): Promise<string> {
  const steps = outcomesFromEnv(env);
  if (app === 'caelundas')
    return caelundasSummary(await readRunRecords(path.join(root, env.DECKHAND_OUTPUT_DIR || 'output')), steps);
  if (app === 'wpp-bot')
    return wppBotSummary(await findWppBotRecord(path.join(root, env.DECKHAND_STATE_ROOT || '.')), steps);
  throw new Error(`usage: job-summary.ts caelundas|wpp-bot (got ${JSON.stringify(app)})`);
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(import.meta.filename);
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const markdown = await main(process.argv[2], process.cwd(), process.env);
  const target = process.env.GITHUB_STEP_SUMMARY;
  if (target) {
    const { appendFile } = await import('node:fs/promises');
    await appendFile(target, markdown);
  }
  process.stdout.write(markdown);
}

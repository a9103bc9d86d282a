/**
 * .github/scripts/job-summary.ts: the deploy workflows' job summaries, from the toolkit's records — an allowlist of
 * their fields (never the cluster's address or context, never a field it does not know), tolerant of a record that is
 * missing, partial or not written yet (wpp-bot's roll-out record).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  caelundasSummary,
  findWppBotRecord,
  readRunRecords,
  wppBotSummary,
} from '../../.github/scripts/job-summary.ts';
import { writeRolloutRecord, type RolloutRecord } from '../../scripts/steps/service/record.ts';
import { REPO_ROOT } from './workflow-checks.ts';

const execFileAsync = promisify(execFile);
const SERVER = 'https://canary-cluster-4f2e.example.invalid:443';
const CONTEXT = 'canary-context-lke77';

const RECORD = {
  app: 'caelundas',
  release: 'caelundas-20260125-143022',
  namespace: 'caelundas',
  context: CONTEXT,
  server: SERVER,
  image: {
    repository: 'ghcr.io/me/caelundas',
    tag: 'sha-1a2b3c4',
    digest: `sha256:${'a'.repeat(64)}`,
    reference: `ghcr.io/me/caelundas:sha-1a2b3c4@sha256:${'a'.repeat(64)}`,
  },
  commit: '1a2b3c4d5e6f',
  valuesFiles: [],
  startedAt: '2026-01-25T14:30:22.000Z',
  endedAt: '2026-01-25T14:32:02.000Z',
  outcome: 'complete',
  copy: { verified: true, files: [{ path: 'calendar.ics' }, { path: 'moon.ics' }], totalBytes: 3072 },
};

describe('the caelundas job summary', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-summary-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('shows the release, outcome, image, output and artifact, and neither the cluster address nor the context', () => {
    const markdown = caelundasSummary([RECORD], {
      deployExitCode: '0',
      artifact: { name: RECORD.release, outcome: 'success' },
      cleanup: { requested: false },
    });
    assert.match(markdown, /^## caelundas run$/m);
    assert.match(markdown, /`tasks\.ts` exited 0: done\./);
    assert.match(markdown, /\| Release \| `caelundas-20260125-143022` \|/);
    assert.match(markdown, /\| Outcome \| complete \|/);
    assert.match(markdown, /\| Image \| `ghcr\.io\/me\/caelundas:sha-1a2b3c4@sha256:a{64}` \|/);
    assert.match(markdown, /\| Took \| 100 s \|/);
    assert.match(markdown, /\| Output \| 2 files, 3\.0 KiB \(copied and verified\) \|/);
    assert.match(markdown, /\| Artifact \| `caelundas-20260125-143022` \(upload: success\) \|/);
    assert.match(markdown, /npx tsx tasks\.ts uninstall caelundas --release caelundas-20260125-143022/);
    assert.ok(!markdown.includes(SERVER) && !markdown.includes('canary-cluster') && !markdown.includes(CONTEXT));
  });

  it('says why a run failed, in one table cell even when the message has pipes and lines', () => {
    const markdown = caelundasSummary(
      [
        {
          ...RECORD,
          outcome: 'failed',
          failure: 'Job failed | exit 3\nsee logs',
          copy: { verified: false, files: [], totalBytes: 0 },
        },
      ],
      { deployExitCode: '1', cleanup: { requested: true, outcome: 'skipped' } },
    );
    assert.match(markdown, /`tasks\.ts` exited 1: failed\./);
    assert.match(markdown, /\| Why it failed \| Job failed \\\| exit 3 see logs \|/);
    assert.match(markdown, /\| Output \| not copied \|/);
    assert.match(markdown, /\| Clean-up \| release and PVC removed after the upload: skipped \|/);
    assert.doesNotMatch(
      markdown,
      /uninstall caelundas --release/,
      'no advice to remove what clean-up was asked to remove',
    );
  });

  it('explains exit 2 (bad input) and a deploy that never reached the cluster', async () => {
    const markdown = caelundasSummary(await readRunRecords(path.join(dir, 'no-output-here')), { deployExitCode: '2' });
    assert.match(markdown, /exited 2: bad input or missing input \(nothing was changed/);
    assert.match(markdown, /No run record in `output\/`: the deploy stopped before it reached the cluster/);
    assert.match(caelundasSummary([], {}), /The deploy step did not run \(an earlier step failed\)\./);
  });

  it("reads each run's run.json (and the older output/<release>/run.json), newest first, never a Job's own", async () => {
    const output = path.join(dir, 'output');
    // Before per-run folders: output/<release>/run.json.
    await mkdir(path.join(output, 'caelundas-20260101-000000'), { recursive: true });
    await writeFile(
      path.join(output, 'caelundas-20260101-000000', 'run.json'),
      JSON.stringify({ ...RECORD, release: 'caelundas-20260101-000000', startedAt: '2026-01-01T00:00:00Z' }),
    );
    // Now: output/<cluster>/<namespace>/<release>/run.json beside files/, which may hold a run.json of the Job's.
    const runDir = path.join(output, 'lke12345', 'caelundas', 'caelundas-20260201-000000');
    await mkdir(path.join(runDir, 'files'), { recursive: true });
    await writeFile(
      path.join(runDir, 'run.json'),
      JSON.stringify({ ...RECORD, release: 'caelundas-20260201-000000', startedAt: '2026-02-01T00:00:00Z' }),
    );
    await writeFile(path.join(runDir, 'files', 'run.json'), JSON.stringify({ release: 'the job wrote this' }));
    await mkdir(path.join(output, 'caelundas-20260301-000000'));
    await writeFile(path.join(output, 'caelundas-20260301-000000', 'run.json'), '{"release": ');
    const records = await readRunRecords(output);
    assert.deepEqual(
      records.map((record) => record.release),
      ['caelundas-20260201-000000', 'caelundas-20260101-000000'],
    );
    assert.match(caelundasSummary(records, {}), /\(2 run records in output\/; the newest is shown\.\)/);
  });

  it('appends to $GITHUB_STEP_SUMMARY when run as the workflow runs it', async () => {
    const root = await mkdtemp(path.join(dir, 'root-'));
    await mkdir(path.join(root, 'output', RECORD.release), { recursive: true });
    await writeFile(path.join(root, 'output', RECORD.release, 'run.json'), JSON.stringify(RECORD));
    const summary = path.join(root, 'summary.md');
    await writeFile(summary, '# earlier step\n');
    // The workflow runs it from the checkout; here the cwd is elsewhere, so tsx is named by its resolved URL.
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--import',
        import.meta.resolve('tsx'),
        path.join(REPO_ROOT, '.github', 'scripts', 'job-summary.ts'),
        'caelundas',
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          GITHUB_STEP_SUMMARY: summary,
          DEPLOY_EXIT_CODE: '0',
          ARTIFACT_NAME: RECORD.release,
          ARTIFACT_OUTCOME: 'success',
          CLEANUP_REQUESTED: 'true',
          CLEANUP_OUTCOME: 'success',
        },
      },
    );
    const written = await readFile(summary, 'utf8');
    assert.ok(written.startsWith('# earlier step\n## caelundas run\n'), written);
    assert.match(written, /\| Clean-up \| release and PVC removed after the upload: success \|/);
    assert.equal(stdout, written.slice('# earlier step\n'.length));
  });
});

describe('the wpp-bot job summary, from the roll-out record deploy wpp-bot writes', () => {
  let state: string;
  before(async () => {
    state = await mkdtemp(path.join(os.tmpdir(), 'deckhand-summary-state-'));
  });
  after(() => rm(state, { recursive: true, force: true }));

  const record = (overrides: Partial<RolloutRecord> = {}): RolloutRecord => ({
    app: 'wpp-bot',
    namespace: 'wpp-bot',
    context: CONTEXT,
    server: SERVER,
    commit: '1a2b3c4d5e6f',
    who: 'octocat (GitHub Actions)',
    startedAt: '2026-01-25T14:30:22.000Z',
    endedAt: '2026-01-25T14:31:04.000Z',
    outcome: 'rolled-back',
    failure: 'The container wpp-bot of the new pod wpp-bot-7d9f-x keeps crashing | exit 3',
    images: [
      {
        name: 'wpp-bot',
        reference: `ghcr.io/me/wpp-bot:sha-1a2b3c4@sha256:${'b'.repeat(64)}`,
        digest: `sha256:${'b'.repeat(64)}`,
        built: true,
      },
      {
        name: 'wpp-bot-dashboard',
        reference: `ghcr.io/me/wpp-bot-dashboard:sha-1a2b3c4@sha256:${'c'.repeat(64)}`,
        built: false,
      },
    ],
    deployments: [
      { name: 'postgres', result: 'unchanged', revision: 1, previousRevision: 1, images: ['postgres:17.6-bookworm'] },
      {
        name: 'wpp-bot',
        result: 'rolled back',
        revision: 5,
        previousRevision: 4,
        rolledBackTo: { revision: 4, images: ['ghcr.io/me/wpp-bot:sha-0000001'] },
        images: [],
      },
    ],
    objects: { created: [], configured: ['Deployment/wpp-bot', 'Secret/wpp-bot-secret'], unchanged: 21 },
    ...overrides,
  });

  it('says so when there is no record: the deploy stopped before it reached the cluster', async () => {
    assert.equal(await findWppBotRecord(path.join(state, 'missing')), undefined);
    const markdown = wppBotSummary(undefined, { deployExitCode: '2' });
    assert.match(markdown, /`tasks\.ts` exited 2: bad input/);
    assert.match(markdown, /No roll-out record under `\.deckhand\/rollouts\/wpp-bot\/`/);
  });

  it('reads the newest record written by writeRolloutRecord, and shows its allowlisted fields only', async () => {
    await writeRolloutRecord(state, record({ startedAt: '2026-01-24T10:00:00.000Z', outcome: 'rolled-out' }));
    await writeRolloutRecord(state, record());
    const found = await findWppBotRecord(state);
    assert.equal(found?.outcome, 'rolled-back', 'the newest record');
    const markdown = wppBotSummary(found, { deployExitCode: '1' });
    assert.match(markdown, /\| Outcome \| failed, rolled back \|/);
    assert.match(
      markdown,
      /\| Why it failed \| The container wpp-bot of the new pod wpp-bot-7d9f-x keeps crashing \\\| exit 3 \|/,
    );
    assert.match(markdown, /\| Image wpp-bot \| `ghcr\.io\/me\/wpp-bot:sha-1a2b3c4@sha256:b{64}` \(built\) \|/);
    assert.match(markdown, /\| Took \| 42 s \|/);
    assert.match(markdown, /\| wpp-bot \| rolled back \| back to 4 \(`ghcr\.io\/me\/wpp-bot:sha-0000001`\) \|/);
    assert.match(
      markdown,
      /Objects: `Deployment\/wpp-bot \(configured\)`, `Secret\/wpp-bot-secret \(configured\)`; 21 unchanged\./,
    );
    assert.ok(!markdown.includes(SERVER) && !markdown.includes(CONTEXT), markdown);
  });
});

/**
 * What deploy-caelundas.yml uploads and summarises, from a real run: `tasks.ts deploy caelundas --yes --kubeconfig F`
 * as the workflow runs it (with --image, so no docker is needed) against the simulated cluster, with canary values for
 * the sensitive inputs. The uploaded folder is the run's own, output/<cluster>/<namespace>/<release>/ — the folder of
 * the one run.json, as the workflow finds it — and no file in it, nor the job summary, holds an input's value or a
 * credential.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { caelundasSummary, readRunRecords } from '../../.github/scripts/job-summary.ts';
import { runCli } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';

const CANARY_LATITUDE = '48.8583701234';
const CANARY_LONGITUDE = '2.2944813456';
const CANARY_PULL_TOKEN = 'ghp_canaryArtifactPullToken0123456789';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the caelundas artifact and summary of a real run', () => {
  let bed: DeployBed;
  let code: number | null;
  let output: string;
  before(async () => {
    bed = await createDeployBed();
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      {
        outcome: 'succeed',
        // A careless program prints its inputs: the saved log in the artifact must hold them masked.
        logLines: ['computing ephemeris', `for ${CANARY_LATITUDE},${CANARY_LONGITUDE}`],
        files: { 'calendar.ics': 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' },
      },
    );
    const result = await runCli(
      [
        'deploy',
        'caelundas',
        '--yes',
        '--kubeconfig',
        bed.sandbox.env.KUBECONFIG!,
        '--image',
        'registry.example:5000/tests/caelundas:1.0.0',
      ],
      {
        env: {
          ...bed.env,
          ...VALID_INPUTS,
          LATITUDE: CANARY_LATITUDE,
          LONGITUDE: CANARY_LONGITUDE,
          REGISTRY_PULL_TOKEN: CANARY_PULL_TOKEN,
        },
        timeoutMs: 120_000,
      },
    );
    code = result.code;
    output = result.output;
  });
  after(() => bed.close());

  it("uploads the folder of the run's run.json, and that folder holds no input value or token", async () => {
    assert.equal(code, 0, output);
    // What the workflow's output/*/*/*/run.json finds on a fresh checkout: exactly one record.
    const records = (await readdir(bed.outputDir, { recursive: true }))
      .map(String)
      .filter((entry) => entry.split(path.sep).length === 4 && entry.endsWith(`${path.sep}run.json`));
    assert.equal(records.length, 1, 'a fresh checkout has one run folder: the one the workflow uploads');
    const folder = path.join(bed.outputDir, path.dirname(records[0]!));
    const record = JSON.parse(await readFile(path.join(folder, 'run.json'), 'utf8')) as {
      release: string;
      outcome: string;
    };
    assert.equal(path.basename(folder), record.release, "the folder is the run's, named by its release");
    assert.equal(record.outcome, 'complete');
    const files = await filesUnder(folder);
    assert.deepEqual(files.map((file) => path.relative(folder, file)).sort(), [
      'files/calendar.ics',
      'job.log',
      'run.json',
    ]);
    assert.match(await readFile(path.join(folder, 'job.log'), 'utf8'), /\ncomputing ephemeris\nfor \*\*\*,\*\*\*\n$/);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const canary of [CANARY_LATITUDE, CANARY_LONGITUDE, CANARY_PULL_TOKEN]) {
        assert.ok(!bytes.includes(canary), `${path.basename(file)} holds ${canary}`);
        assert.ok(
          !bytes.includes(Buffer.from(canary).toString('base64')),
          `${path.basename(file)} holds the base64 of ${canary}`,
        );
      }
    }
    // The kubeconfig is not in the output (the workflow keeps it in RUNNER_TEMP); run.json names only its server.
    const recordText = await readFile(path.join(folder, 'run.json'), 'utf8');
    assert.doesNotMatch(recordText, /client-key-data|token|password/i);
  });

  it('summarises that run without its inputs or the cluster address', async () => {
    const records = await readRunRecords(bed.outputDir);
    const markdown = caelundasSummary(records, {
      deployExitCode: String(code),
      artifact: { name: records[0]!.release, outcome: 'success' },
      cleanup: { requested: false },
    });
    assert.match(markdown, new RegExp(`\\| Release \\| \`${records[0]!.release}\` \\|`));
    assert.match(markdown, /\| Outcome \| complete \|/);
    assert.match(markdown, /\| Output \| 1 file, .* \(copied and verified\) \|/);
    const server = (await bed.record(records[0]!.release!)).server as string;
    assert.ok(server.length > 0);
    for (const hidden of [CANARY_LATITUDE, CANARY_LONGITUDE, CANARY_PULL_TOKEN, server])
      assert.ok(!markdown.includes(hidden), `the summary shows ${hidden}`);
  });
});

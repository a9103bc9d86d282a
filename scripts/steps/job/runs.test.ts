import { formatAge } from '../../lib/duration.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReleaseListEntry } from '../../helm.ts';
import type { KubeObject } from '../../kubectl.ts';
import { MissingInputError, UsageError } from '../../lib/errors.ts';
import type { Prompter } from '../../lib/prompts.ts';
import { parseHelmTime } from '../../helm.ts';
import { copyBlocker, recordAfterCopy } from './copy-command.ts';
import { releaseFilter, releaseStartedAt } from './release-name.ts';
import { joinReleases, lastDeployedRevision, type ReleaseRow, type ReleaseSources } from './runs.ts';
import { chooseRelease, formatReleaseTable, releaseChoices, releasesJson, uninstallOrder } from './runs-view.ts';
import { recordImage, type FoundRecord, type RunRecord } from './record.ts';

const NS = 'caelundas';
const NOW = new Date('2026-01-27T12:00:00Z');
const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f80912345678';

function entry(name: string, status: ReleaseListEntry['status'], revision = '1'): ReleaseListEntry {
  return {
    name,
    namespace: NS,
    revision,
    updated: '2026-01-25 14:30:25.123456789 +0000 UTC',
    status,
    chart: 'kubernetes-job-0.1.0',
    app_version: '1.0.0',
  };
}

function job(
  name: string,
  condition?: 'Complete' | 'Failed',
  extra: { commitLabel?: string; commitAnnotation?: string } = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace: NS,
      creationTimestamp: '2026-01-25T14:30:25Z',
      labels: {
        'app.kubernetes.io/name': 'caelundas',
        'app.kubernetes.io/instance': name,
        ...(extra.commitLabel ? { 'deckhand.dev/git-commit': extra.commitLabel } : {}),
      },
      annotations: extra.commitAnnotation ? { 'deckhand.dev/git-commit': extra.commitAnnotation } : {},
    },
    spec: {
      template: { spec: { containers: [{ name: 'caelundas', image: 'ghcr.io/me/caelundas:sha-1a2b3c4@sha256:abc' }] } },
    },
    status: condition
      ? {
          conditions: [
            { type: condition, status: 'True', reason: condition === 'Failed' ? 'BackoffLimitExceeded' : undefined },
          ],
        }
      : { active: 1 },
  };
}

function pvc(name: string, phase = 'Bound', volumeName = `pvc-${name}`): KubeObject {
  return {
    metadata: {
      name,
      namespace: NS,
      labels: { 'app.kubernetes.io/name': 'caelundas', 'app.kubernetes.io/instance': name },
    },
    spec: { resources: { requests: { storage: '1Gi' } }, volumeName },
    status: { phase, capacity: { storage: '10Gi' } },
  };
}

function pv(name: string, claim: string, phase = 'Bound', policy = 'Retain'): KubeObject {
  return {
    metadata: { name },
    spec: {
      claimRef: { name: claim, namespace: NS },
      persistentVolumeReclaimPolicy: policy,
      capacity: { storage: '10Gi' },
      csi: { volumeHandle: `4123456-pvc${name}` },
      storageClassName: 'linode-block-storage-retain',
    },
    status: { phase },
  };
}

function record(release: string, verified: boolean, outcome: RunRecord['outcome'] = 'complete'): RunRecord {
  return {
    app: 'caelundas',
    release,
    namespace: NS,
    context: 'lke',
    server: 'https://lke.example:443',
    image: {
      repository: 'ghcr.io/me/caelundas',
      tag: 'sha-1a2b3c4',
      digest: 'sha256:abc',
      reference: 'ghcr.io/me/caelundas:sha-1a2b3c4@sha256:abc',
    },
    commit: COMMIT,
    valuesFiles: ['charts/kubernetes-job/values/base.yaml'],
    startedAt: '2026-01-20T10:00:00.000Z',
    endedAt: '2026-01-20T10:30:00.000Z',
    outcome,
    ...(outcome === 'timeout' ? { failure: 'did not finish within 30 min' } : {}),
    copy: { verified, files: verified ? [{ path: 'calendar.ics', size: 2048 }] : [], totalBytes: verified ? 2048 : 0 },
  };
}

const SERVER = 'https://lke.example:443';

function found(release: string, stored: RunRecord, legacy = false): FoundRecord {
  const dir = legacy ? `/project/output/${release}` : `/project/output/lke12345/${NS}/${release}`;
  return { record: stored, file: `${dir}/run.json`, filesDir: legacy ? dir : `${dir}/files`, legacy };
}

const COPIED = 'caelundas-20260120-100000';
const RUNNING = 'caelundas-20260127-113000';
const FAILED = 'caelundas-20260126-080000';
const TTL_GONE = 'caelundas-20260110-090000';
const STUCK = 'caelundas-20260125-143022';
const LEFT_PVC = 'caelundas-20260105-070000';
const LEFT_PV = 'caelundas-20260101-060000';

function mixedSources(): ReleaseSources {
  return {
    app: 'caelundas',
    namespace: NS,
    cluster: 'lke12345',
    server: SERVER,
    outputDir: '/project/output',
    secrets: [`${RUNNING}-inputs`, `${FAILED}-inputs`, 'caelundas-env-secret', 'sh.helm.release.v1.x.v1'],
    sharedSecret: 'caelundas-env-secret',
    releases: [
      entry(COPIED, 'deployed'),
      entry(RUNNING, 'deployed'),
      entry(FAILED, 'failed'),
      entry(TTL_GONE, 'deployed'),
      entry(STUCK, 'pending-upgrade', '2'),
    ],
    jobs: [
      job(COPIED, 'Complete', { commitAnnotation: COMMIT, commitLabel: 'label-commit' }),
      job(RUNNING),
      job(FAILED, 'Failed', { commitLabel: 'abcdef1234' }),
      job(STUCK, 'Complete'),
    ],
    pvcs: [pvc(COPIED), pvc(RUNNING, 'Bound'), pvc(FAILED), pvc(TTL_GONE), pvc(STUCK), pvc(LEFT_PVC)],
    volumes: [
      pv(`pvc-${COPIED}`, COPIED),
      pv(`pvc-${RUNNING}`, RUNNING),
      pv('pvc-left', LEFT_PV, 'Released'),
      pv('pvc-other-namespace', 'caelundas-20260101-000000', 'Released'),
    ].map((volume, index) =>
      index === 3
        ? {
            ...volume,
            spec: { ...volume.spec, claimRef: { name: 'caelundas-20260101-000000', namespace: 'elsewhere' } },
          }
        : volume,
    ),
    records: new Map([
      [COPIED, found(COPIED, record(COPIED, true))],
      [TTL_GONE, found(TTL_GONE, record(TTL_GONE, false, 'timeout'))],
    ]),
    histories: new Map([
      [
        STUCK,
        [
          { revision: 1, status: 'deployed' as const },
          { revision: 2, status: 'pending-upgrade' as const },
        ],
      ],
    ]),
  };
}

function rowNamed(rows: readonly ReleaseRow[], name: string): ReleaseRow {
  const row = rows.find((candidate) => candidate.name === name);
  assert.ok(row, `no row ${name}`);
  return row;
}

describe('joining releases, Jobs, PVCs, volumes and run records into rows', () => {
  const rows = joinReleases(mixedSources());

  it('lists every release plus the PVCs and Released volumes that outlived theirs, oldest first', () => {
    assert.deepEqual(
      rows.map((row) => row.name),
      [LEFT_PV, LEFT_PVC, TTL_GONE, COPIED, STUCK, FAILED, RUNNING],
    );
  });

  it("reads each Job's outcome, and calls a Job its TTL deleted gone", () => {
    assert.deepEqual(rowNamed(rows, COPIED).job, { state: 'complete' });
    assert.deepEqual(rowNamed(rows, RUNNING).job, { state: 'running' });
    assert.deepEqual(rowNamed(rows, FAILED).job, { state: 'failed', reason: 'BackoffLimitExceeded' });
    assert.deepEqual(rowNamed(rows, TTL_GONE).job, { state: 'gone' });
  });

  it('takes the commit verbatim from the annotation first, then the label, then the run record', () => {
    assert.equal(rowNamed(rows, COPIED).commit, COMMIT);
    assert.equal(rowNamed(rows, FAILED).commit, 'abcdef1234');
    assert.equal(rowNamed(rows, TTL_GONE).commit, COMMIT);
    assert.equal(rowNamed(rows, RUNNING).commit, undefined);
  });

  it('reports the PVC size from its capacity, its phase, and the volume behind it with the Linode volume id', () => {
    const row = rowNamed(rows, COPIED);
    assert.deepEqual(row.pvc, { name: COPIED, size: '10Gi', phase: 'Bound', volumeName: `pvc-${COPIED}` });
    assert.equal(row.volume?.reclaimPolicy, 'Retain');
    assert.equal(row.volume?.linodeVolumeId, '4123456');
  });

  it('counts the output as copied only when run.json records a verified copy', () => {
    assert.equal(rowNamed(rows, COPIED).output.copied, true);
    assert.equal(rowNamed(rows, COPIED).output.files, 1);
    assert.equal(rowNamed(rows, TTL_GONE).output.copied, false);
    assert.equal(rowNamed(rows, TTL_GONE).output.recorded, true);
    assert.equal(rowNamed(rows, RUNNING).output.recorded, false);
    assert.equal(rowNamed(rows, RUNNING).output.dir, `/project/output/lke12345/caelundas/${RUNNING}/files`);
    assert.equal(rowNamed(rows, RUNNING).output.record, `/project/output/lke12345/caelundas/${RUNNING}/run.json`);
  });

  it('trusts a record only for the run it names: another namespace or API server is not this run', () => {
    for (const other of [
      { ...record(COPIED, true), namespace: 'elsewhere' },
      { ...record(COPIED, true), server: 'https://another-cluster.example:443' },
      { ...record(COPIED, true), release: RUNNING },
    ]) {
      const sources = mixedSources();
      const joined = joinReleases({ ...sources, records: new Map([[COPIED, found(COPIED, other)]]) });
      assert.equal(rowNamed(joined, COPIED).output.copied, false, JSON.stringify(other).slice(0, 80));
    }
    const legacy = joinReleases({
      ...mixedSources(),
      records: new Map([[COPIED, found(COPIED, record(COPIED, true), true)]]),
    });
    assert.equal(rowNamed(legacy, COPIED).output.copied, true, 'a record of the old layout, of this very run');
    assert.equal(rowNamed(legacy, COPIED).output.legacy, true);
    assert.equal(rowNamed(legacy, COPIED).output.dir, `/project/output/${COPIED}`);
  });

  it("tells each run's own inputs Secret from the one runs made before per-run inputs shared", () => {
    assert.deepEqual(rowNamed(rows, RUNNING).inputs, {
      secret: `${RUNNING}-inputs`,
      shared: false,
      present: true,
    });
    // No Secret of its own, and the shared one exists: a run from before.
    assert.deepEqual(rowNamed(rows, COPIED).inputs, { secret: 'caelundas-env-secret', shared: true, present: true });
    const referencing = job(STUCK, 'Complete');
    (referencing.spec as any).template.spec.containers[0].env = [
      { name: 'START_DATE', valueFrom: { secretKeyRef: { name: `${STUCK}-inputs`, key: 'START_DATE' } } },
    ];
    const joined = joinReleases({ ...mixedSources(), jobs: [referencing] });
    assert.deepEqual(rowNamed(joined, STUCK).inputs, { secret: `${STUCK}-inputs`, shared: false, present: false });
  });

  it('lists a run of which only the inputs Secret is left (a deploy killed before its clean-up)', () => {
    const left = 'caelundas-20260127-115959-2';
    const joined = joinReleases({ ...mixedSources(), secrets: [`${left}-inputs`] });
    const row = rowNamed(joined, left);
    assert.equal(row.helm, undefined);
    assert.equal(row.inputs.present, true);
    assert.match(formatReleaseTable([row], NOW), /no release \(Secret left\)/);
  });

  it('marks a pending-* release as stuck with the rollback revision from its history and the commands to run', () => {
    const stuck = rowNamed(rows, STUCK).stuck;
    assert.equal(stuck?.status, 'pending-upgrade');
    assert.equal(stuck?.rollbackRevision, 1);
    assert.match(stuck!.hint, /helm rollback caelundas-20260125-143022 1 --namespace caelundas/);
    assert.match(
      stuck!.hint,
      /npx tsx tasks\.ts uninstall caelundas --release caelundas-20260125-143022 --recover --yes/,
    );
    assert.equal(rowNamed(rows, COPIED).stuck, undefined);
  });

  it('keeps leftovers apart: a PVC without its release, and a Released volume of this namespace only', () => {
    assert.equal(rowNamed(rows, LEFT_PVC).helm, undefined);
    assert.equal(rowNamed(rows, LEFT_PVC).pvc?.name, LEFT_PVC);
    assert.equal(rowNamed(rows, LEFT_PV).pvc, undefined);
    assert.equal(rowNamed(rows, LEFT_PV).volume?.phase, 'Released');
    assert.ok(!rows.some((row) => row.name === 'caelundas-20260101-000000'));
  });

  it('dates each run by the UTC time in its name', () => {
    assert.equal(rowNamed(rows, STUCK).startedAt, '2026-01-25T14:30:22.000Z');
  });
});

describe('the releases table', () => {
  const table = formatReleaseTable(joinReleases(mixedSources()), NOW);
  const lines = table.split('\n');

  it('has one aligned line per run under a header', () => {
    assert.match(lines[0]!, /^RELEASE\s+STATE\s+JOB\s+COMMIT\s+AGE\s+PVC\s+OUTPUT$/);
    const stateColumn = lines[0]!.indexOf('STATE');
    for (const line of lines.slice(1, 8)) assert.equal(line.slice(stateColumn - 2, stateColumn), '  ');
  });

  it('shows state, Job, short commit, age, PVC and output in words', () => {
    const copied = lines.find((line) => line.startsWith(COPIED))!;
    assert.match(copied, /deployed\s+complete\s+1a2b3c4\s+7d2h\s+10Gi Bound\s+copied \(1 file, 2\.0 KiB\)/);
    assert.match(
      lines.find((line) => line.startsWith(RUNNING))!,
      /deployed\s+running\s+—\s+30m\s+10Gi Bound\s+not copied$/,
    );
    assert.match(
      lines.find((line) => line.startsWith(TTL_GONE))!,
      /gone \(was timeout\)/,
    );
    assert.match(
      lines.find((line) => line.startsWith(STUCK))!,
      /stuck \(pending-upgrade\)/,
    );
    assert.match(
      lines.find((line) => line.startsWith(LEFT_PVC))!,
      /no release \(PVC left\)/,
    );
    assert.match(
      lines.find((line) => line.startsWith(LEFT_PV))!,
      /no release \(volume left\).*PV pvc-left 10Gi Released/,
    );
  });

  it('ends with what to do about stuck releases and volumes that are still billed', () => {
    assert.match(table, /caelundas-20260125-143022 is stuck \(pending-upgrade\)\. .*helm rollback/);
    assert.match(
      table,
      /pvc-left \(Linode volume 4123456\) is Released .*still billed.*--release caelundas-20260101-060000 --delete-volume/,
    );
  });

  it('gives scripts JSON with the same facts and stable names', () => {
    const [first] = releasesJson(joinReleases(mixedSources()), NOW) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(first!), [
      'name',
      'namespace',
      'state',
      'helm',
      'startedAt',
      'ageSeconds',
      'job',
      'commit',
      'pvc',
      'volume',
      'output',
      'inputs',
      'stuck',
    ]);
    assert.equal(first!.ageSeconds, (NOW.getTime() - Date.parse('2026-01-01T06:00:00Z')) / 1000);
  });
});

describe('picker lines and order', () => {
  const rows = joinReleases(mixedSources());

  it('puts finished runs first and oldest first within them, running and stuck ones last', () => {
    assert.deepEqual(
      uninstallOrder(rows).map((row) => row.name),
      [LEFT_PV, LEFT_PVC, TTL_GONE, COPIED, FAILED, RUNNING, STUCK],
    );
  });

  it('aligns the same facts as the table on each line and explains a never-copied output', () => {
    const choices = releaseChoices(uninstallOrder(rows), NOW, 200);
    const jobColumn = choices[0]!.name.indexOf('job ');
    for (const choice of choices) assert.equal(choice.name.indexOf('job '), jobColumn, choice.name);
    const failed = choices.find((choice) => choice.value === FAILED)!;
    assert.match(failed.name, /failed\s+job failed\s+abcdef1\s+1d4h\s+10Gi Bound\s+not copied/);
    assert.equal(failed.description, `The output of ${FAILED} was never copied to this machine.`);
  });

  for (const width of [80, 60, 40]) {
    it(`fits ${width} columns: each entry one line, the facts left off it in its description, wrapped`, () => {
      const choices = releaseChoices(uninstallOrder(rows), NOW, width);
      for (const choice of choices) {
        // Inquirer puts a cursor, a checkbox and a space before the entry, and cuts longer lines anywhere.
        assert.ok(3 + choice.name.length <= width, `${choice.name.length + 3} columns: ${choice.name}`);
        assert.ok(choice.name.startsWith(`${choice.value} `), choice.name);
        for (const line of (choice.description ?? '').split('\n'))
          assert.ok(line.length <= width || !line.includes(' '), `description line of ${line.length}: ${line}`);
      }
      const failed = choices.find((choice) => choice.value === FAILED)!;
      // Whatever the width, every fact of the table is either on the line or in the description.
      const shown = `${failed.name}\n${failed.description}`.replace(/\n/g, ' ');
      for (const fact of ['failed', 'abcdef1', '1d4h', '10Gi Bound', 'not copied'])
        assert.ok(shown.includes(fact), `${fact} in: ${shown}`);
      // Entries stay aligned: the second column starts at the same place on every line.
      const second = (name: string) => name.search(/(?<=^\S+\s+)\S/);
      assert.equal(new Set(choices.map((choice) => second(choice.name))).size, 1);
    });
  }

  it('keeps the release state, Job, commit, age and whether it was copied on the line at 80 columns', () => {
    const choices = releaseChoices(uninstallOrder(rows), NOW, 80);
    const stuck = choices.find((choice) => choice.value === STUCK)!;
    assert.match(stuck.name, new RegExp(`^${STUCK}\\s+stuck\\s+complete\\s+—\\s+1d21h\\s+not copied$`));
    // The shortened state is given in full below, before the note that says what to do.
    assert.match(stuck.description!, /^release stuck \(pending-upgrade\) · PVC 10Gi Bound\.\n/);
    assert.match(
      stuck.description!,
      new RegExp(`\\n${STUCK} is stuck \\(pending-upgrade\\)\\. An interrupted helm\\n`),
    );
    assert.match(stuck.description!, new RegExp(`--recover --yes\\n${STUCK} was made before per-run inputs`));
    const copied = choices.find((choice) => choice.value === COPIED)!;
    assert.match(copied.name, /deployed\s+complete\s+1a2b3c4\s+7d2h\s+copied$/);
    assert.match(copied.description!, /^PVC 10Gi Bound · output copied \(1 file, 2\.0 KiB\)\.\n/);
  });
});

describe('choosing one release for logs and copy', () => {
  const rows = joinReleases(mixedSources());
  const refusingPrompter = {
    interactive: false,
    select: () => assert.fail('no prompt expected'),
  } as unknown as Prompter;

  it('refuses a name that is not a release of the app, listing the existing ones', async () => {
    await assert.rejects(
      chooseRelease({
        prompter: refusingPrompter,
        app: 'caelundas',
        namespace: NS,
        rows,
        given: 'caelundas-typo',
        purpose: 'copy the output of',
        unusable: copyBlocker,
        now: NOW,
        width: 200,
        tell: () => assert.fail('nothing to tell'),
      }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.match(error.message, /No run caelundas-typo in namespace caelundas\. Runs of caelundas are named/);
        assert.match(error.fix!, new RegExp(`Runs there: .*${COPIED}.* \\(npx tsx tasks\\.ts releases caelundas\\)$`));
        return true;
      },
    );
  });

  it('says why a release cannot be used, such as copying while the Job still runs', async () => {
    await assert.rejects(
      chooseRelease({
        prompter: refusingPrompter,
        app: 'caelundas',
        namespace: NS,
        rows,
        given: RUNNING,
        purpose: 'copy the output of',
        unusable: copyBlocker,
        now: NOW,
        width: 200,
        tell: () => assert.fail('nothing to tell'),
      }),
      /still running.*logs caelundas --release/,
    );
  });

  it('off a terminal takes the only release it can use, saying which and that the others cannot be', async () => {
    const told: string[] = [];
    const row = await chooseRelease({
      prompter: refusingPrompter,
      app: 'caelundas',
      namespace: NS,
      rows: [rowNamed(rows, RUNNING), rowNamed(rows, FAILED)],
      given: undefined,
      purpose: 'copy the output of',
      unusable: copyBlocker,
      now: NOW,
      width: 80,
      tell: (line) => told.push(line),
    });
    assert.equal(row.name, FAILED);
    assert.deepEqual(told, [
      `No --release given: using ${FAILED}, the only release of caelundas to copy the output of (the other run cannot be; see them all: npx tsx tasks.ts releases caelundas).`,
    ]);
  });

  it('off a terminal with several to choose from exits 2, listing them newest first', async () => {
    const { createPrompter } = await import('../../lib/prompts.ts');
    await assert.rejects(
      chooseRelease({
        prompter: createPrompter({ interactive: false }),
        app: 'caelundas',
        namespace: NS,
        rows,
        given: undefined,
        purpose: 'copy the output of',
        unusable: copyBlocker,
        now: NOW,
        width: 80,
        tell: () => assert.fail('nothing is taken when there is a choice'),
      }),
      (error: unknown) => {
        assert.ok(error instanceof MissingInputError);
        assert.equal(error.exitCode, 2);
        assert.match(
          error.message,
          new RegExp(
            `the release to copy the output of: pass --release NAME, one of: ${FAILED}, ${STUCK}, ${COPIED}, `,
          ),
        );
        return true;
      },
    );
  });

  it('offers only usable releases, newest first, and returns the one picked', async () => {
    let offered: string[] = [];
    const prompter = {
      interactive: true,
      select: async (options: { choices: { value: string }[] }) => {
        offered = options.choices.map((choice) => choice.value);
        return FAILED;
      },
    } as unknown as Prompter;
    const row = await chooseRelease({
      prompter,
      app: 'caelundas',
      namespace: NS,
      rows,
      given: undefined,
      purpose: 'copy the output of',
      unusable: copyBlocker,
      now: NOW,
      width: 200,
      tell: () => assert.fail('nothing to tell: the person picked'),
    });
    assert.equal(row.name, FAILED);
    assert.deepEqual(offered, [FAILED, STUCK, COPIED, TTL_GONE, LEFT_PVC]);
  });
});

describe('the run record after a copy', () => {
  const rows = joinReleases(mixedSources());
  const copy = { files: [{ path: 'a.ics', size: 3 }], totalBytes: 3 };

  it('keeps what deploy recorded and adds the verified copy, with the outcome the Job reached after deploy stopped waiting', () => {
    const row = { ...rowNamed(rows, TTL_GONE), job: { state: 'complete' as const } };
    const updated = recordAfterCopy({
      existing: record(TTL_GONE, false, 'timeout'),
      app: 'caelundas',
      row,
      target: { context: 'x', server: 'y', cluster: 'lke12345' },
      copy,
      now: NOW,
    });
    assert.equal(updated.outcome, 'complete');
    assert.equal(updated.failure, undefined);
    assert.equal(updated.context, 'lke');
    assert.deepEqual(updated.valuesFiles, ['charts/kubernetes-job/values/base.yaml']);
    assert.deepEqual(updated.copy, { verified: true, files: copy.files, totalBytes: 3 });
  });

  it('builds a minimal record from the cluster when deploy left none', () => {
    const created = recordAfterCopy({
      existing: undefined,
      app: 'caelundas',
      row: rowNamed(rows, FAILED),
      target: { context: 'lke', server: 'https://x', cluster: 'lke12345' },
      copy,
      now: NOW,
    });
    assert.equal(created.outcome, 'failed');
    assert.equal(created.failure, 'the Job failed (BackoffLimitExceeded)');
    assert.equal(created.commit, 'abcdef1234');
    assert.deepEqual(created.image, {
      repository: 'ghcr.io/me/caelundas',
      tag: 'sha-1a2b3c4',
      digest: 'sha256:abc',
      reference: 'ghcr.io/me/caelundas:sha-1a2b3c4@sha256:abc',
    });
    assert.equal(created.startedAt, '2026-01-26T08:00:00.000Z');
    assert.equal(created.endedAt, NOW.toISOString());
  });

  it('splits image references with a registry port and without a tag', () => {
    assert.deepEqual(recordImage('localhost:5000/x/caelundas:1.0.0'), {
      repository: 'localhost:5000/x/caelundas',
      tag: '1.0.0',
      reference: 'localhost:5000/x/caelundas:1.0.0',
    });
    assert.deepEqual(recordImage('localhost:5000/x/caelundas@sha256:abc'), {
      repository: 'localhost:5000/x/caelundas',
      digest: 'sha256:abc',
      reference: 'localhost:5000/x/caelundas@sha256:abc',
    });
  });
});

describe('names, times and ages', () => {
  it('filters helm releases to exactly the runs of the app', () => {
    const filter = new RegExp(releaseFilter('caelundas').replace(/\\d/g, '[0-9]'));
    assert.ok(filter.test('caelundas-20260125-143022'));
    assert.ok(!filter.test('caelundas-20260125-143022-x'));
    assert.ok(!filter.test('other-caelundas-20260125-143022'));
  });

  it('reads the start time from the release name and refuses names that are not run names', () => {
    assert.equal(releaseStartedAt('caelundas', 'caelundas-20260125-143022')?.toISOString(), '2026-01-25T14:30:22.000Z');
    assert.equal(releaseStartedAt('caelundas', 'caelundas-2026-01'), undefined);
    assert.equal(releaseStartedAt('caelundas', 'wpp-bot-20260125-143022'), undefined);
  });

  it("reads helm's Go timestamps with any offset", () => {
    assert.equal(parseHelmTime('2026-01-25 14:30:22.123456789 +0000 UTC'), '2026-01-25T14:30:22.123Z');
    assert.equal(parseHelmTime('2026-01-25 16:30:22.5 +0200 CEST'), '2026-01-25T14:30:22.500Z');
    assert.equal(parseHelmTime('2026-01-25T14:30:22Z'), '2026-01-25T14:30:22.000Z');
    assert.equal(parseHelmTime('yesterday'), undefined);
  });

  it('prints ages the way kubectl does', () => {
    assert.deepEqual([45_000, 12 * 60_000, 3 * 3_600_000 + 5 * 60_000, 3 * 3_600_000, 50 * 3_600_000].map(formatAge), [
      '45s',
      '12m',
      '3h5m',
      '3h',
      '2d2h',
    ]);
  });

  it('rolls back to the newest revision that was deployed before the interrupted one', () => {
    assert.equal(
      lastDeployedRevision([
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'deployed' },
        { revision: 3, status: 'pending-upgrade' },
      ]),
      2,
    );
    assert.equal(
      lastDeployedRevision([
        { revision: 1, status: 'superseded' },
        { revision: 2, status: 'failed' },
        { revision: 3, status: 'pending-rollback' },
      ]),
      1,
    );
    assert.equal(lastDeployedRevision([{ revision: 1, status: 'pending-install' }]), undefined);
  });
});

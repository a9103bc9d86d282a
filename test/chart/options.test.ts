/**
 * The chart's switches and edge cases, each rendered with the real helm on top of base.yaml + caelundas values.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  BASE_VALUES,
  CAELUNDAS_VALUES,
  DNS_LABEL,
  jobSpec,
  LABEL_VALUE,
  mainContainer,
  objectsOfKind,
  onlyObject,
  podSpec,
  renderChart,
  runHelm,
  templateArgs,
  type PvcSpec,
  type RenderedObject,
} from './helm.ts';

const CAELUNDAS_LAYERS = [BASE_VALUES, CAELUNDAS_VALUES];
const TAG = 'image.tag=1.4.2';

function renderCaelundas(set: string[] = [], release?: string): Promise<RenderedObject[]> {
  return renderChart({ release, valuesFiles: CAELUNDAS_LAYERS, set: [TAG, ...set] });
}

async function withValuesFile<T>(yamlText: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-chart-values-'));
  try {
    const file = path.join(dir, 'values.yaml');
    await writeFile(file, yamlText);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function assertValidNamesAndLabels(objects: readonly RenderedObject[]): void {
  for (const object of objects) {
    assert.match(object.metadata.name, DNS_LABEL, `${object.kind} name`);
    assert.ok(
      object.metadata.name.length <= 63,
      `${object.kind} name ${object.metadata.name} is at most 63 characters`,
    );
    for (const [key, value] of Object.entries(object.metadata.labels ?? {})) {
      assert.match(value, LABEL_VALUE, `${object.kind} label ${key}`);
      assert.ok(value.length <= 63, `${object.kind} label ${key} is at most 63 characters`);
    }
  }
}

describe('kubernetes-job options', () => {
  it('pins the image by digest as repository:tag@digest when image.digest is set', async () => {
    const digest = `sha256:${'a1'.repeat(32)}`;
    const objects = await renderCaelundas([`image.digest=${digest}`]);
    assert.equal(mainContainer(objects).image, `ghcr.io/example/caelundas:1.4.2@${digest}`);
  });

  it('runs an image given by digest alone exactly as given, with no version label made up for it', async () => {
    const digest = `sha256:${'b2'.repeat(32)}`;
    const objects = await renderChart({ valuesFiles: CAELUNDAS_LAYERS, setString: [`image.digest=${digest}`] });
    assert.equal(mainContainer(objects).image, `ghcr.io/example/caelundas@${digest}`);
    for (const object of objects) assert.equal(object.metadata.labels?.['app.kubernetes.io/version'], undefined);
    const neither = await runHelm(templateArgs({ valuesFiles: CAELUNDAS_LAYERS, setString: ['image.digest='] }));
    assert.notEqual(neither.code, 0);
    assert.match(neither.stderr, /image\.tag is required: .* or a digest/);
  });

  it("labels the Job, its pod and the PVC with the run's id, so a tool can tell this run from another of its name", async () => {
    const runId = '6b2c8a5e-1f3d-4e5a-9b7c-0d1e2f3a4b5c';
    const objects = await renderCaelundas([`metadata.runId=${runId}`]);
    assert.equal(onlyObject(objects, 'Job').metadata.labels?.['deckhand.dev/run-id'], runId);
    assert.equal(jobSpec(objects).template.metadata.labels?.['deckhand.dev/run-id'], runId);
    assert.equal(onlyObject(objects, 'PersistentVolumeClaim').metadata.labels?.['deckhand.dev/run-id'], runId);
    const without = await renderCaelundas();
    assert.equal(onlyObject(without, 'Job').metadata.labels?.['deckhand.dev/run-id'], undefined);
  });

  it("reads every secretEnv key from the Secret it names (the run's own), and adds nothing without keys", async () => {
    const named = await renderCaelundas(['secretEnv.name=caelundas-20260125-143022-2-inputs']);
    const fromSecrets = (mainContainer(named).env ?? []).filter((variable) => variable.valueFrom?.secretKeyRef);
    assert.equal(fromSecrets.length, 4);
    for (const variable of fromSecrets)
      assert.deepEqual(variable.valueFrom?.secretKeyRef, {
        name: 'caelundas-20260125-143022-2-inputs',
        key: variable.name,
        optional: false,
      });
    const plain = await renderChart({ valuesFiles: [BASE_VALUES], set: [TAG, 'image.repository=ghcr.io/x/y'] });
    assert.equal(mainContainer(plain).env, undefined);
  });

  it('renders no PVC and no output mount when persistence is disabled, but keeps /tmp', async () => {
    const objects = await renderCaelundas(['persistence.enabled=false']);
    assert.equal(objectsOfKind(objects, 'PersistentVolumeClaim').length, 0);
    const mounts = mainContainer(objects).volumeMounts ?? [];
    assert.deepEqual(
      mounts.map((mount) => mount.mountPath),
      ['/tmp'],
    );
    assert.ok((podSpec(objects).volumes ?? []).every((volume) => volume.persistentVolumeClaim === undefined));
  });

  it('keeps every name and label value within 63 characters for a 53-character release name', async () => {
    const longRelease = `caelundas-${'x'.repeat(43)}`;
    assert.equal(longRelease.length, 53, 'helm caps release names at 53');
    const withApp = await renderCaelundas([], longRelease);
    assertValidNamesAndLabels(withApp);
    assert.equal(onlyObject(withApp, 'Job').metadata.name, longRelease);

    const otherRelease = `report-${'y'.repeat(46)}`;
    const withoutApp = await renderChart({
      release: otherRelease,
      set: [TAG, 'image.repository=ghcr.io/example/report'],
    });
    assertValidNamesAndLabels(withoutApp);
    const jobName = onlyObject(withoutApp, 'Job').metadata.name;
    assert.equal(jobName.length, 63);
    assert.ok(
      `${otherRelease}-kubernetes-job`.startsWith(jobName),
      'the "<release>-<name>" name is truncated, not rebuilt',
    );
  });

  it('never ends a truncated name on a separator, even where the cut falls on "--"', async () => {
    const release = `run-${'a'.repeat(49)}`;
    // "<release>-abcdefg--xyz" is 65 characters; the 63-character cut ends in "--".
    const objects = await renderChart({
      release,
      set: [TAG, 'image.repository=ghcr.io/example/report', 'nameOverride=abcdefg--xyz'],
    });
    assertValidNamesAndLabels(objects);
    assert.equal(onlyObject(objects, 'Job').metadata.name, `${release}-abcdefg`);
  });

  it('uses fullnameOverride for the Job, PVC and ServiceAccount', async () => {
    const objects = await renderCaelundas(['fullnameOverride=nightly-calendar']);
    for (const object of objects) assert.equal(object.metadata.name, 'nightly-calendar', object.kind);
    const claim = (podSpec(objects).volumes ?? []).find((volume) => volume.persistentVolumeClaim);
    assert.equal(claim?.persistentVolumeClaim?.claimName, 'nightly-calendar');
  });

  it('fails the Job at once on configured exit codes, listed in ascending order for the API server', async () => {
    const objects = await renderCaelundas(['job.podFailurePolicy.failJobOnExitCodes={42,3,100}']);
    const failJob = jobSpec(objects).podFailurePolicy?.rules.find((rule) => rule.action === 'FailJob');
    assert.deepEqual(failJob?.onExitCodes, { containerName: 'caelundas', operator: 'In', values: [3, 42, 100] });
  });

  it('renders no podFailurePolicy when it would have no rules', async () => {
    const objects = await renderCaelundas(['job.podFailurePolicy.ignoreDisruptions=false']);
    assert.equal(jobSpec(objects).podFailurePolicy, undefined);
  });

  it('omits ttlSecondsAfterFinished and activeDeadlineSeconds when they are set to null', async () => {
    const objects = await renderCaelundas(['job.ttlSecondsAfterFinished=null', 'job.activeDeadlineSeconds=null']);
    const spec = jobSpec(objects);
    assert.ok(!('ttlSecondsAfterFinished' in spec));
    assert.ok(!('activeDeadlineSeconds' in spec));
  });

  it('writes an explicit storageClassName and drops the keep annotation when asked to', async () => {
    const objects = await renderCaelundas([
      'persistence.storageClassName=linode-block-storage',
      'persistence.keepOnUninstall=false',
    ]);
    const pvc = onlyObject(objects, 'PersistentVolumeClaim');
    assert.equal((pvc.spec as PvcSpec).storageClassName, 'linode-block-storage');
    assert.equal(pvc.metadata.annotations?.['helm.sh/resource-policy'], undefined);
  });

  it('turns a timestamp with colons into a valid label but keeps it verbatim as an annotation', async () => {
    const objects = await renderChart({
      valuesFiles: CAELUNDAS_LAYERS,
      set: [TAG],
      setString: ['metadata.timestamp=2026-01-25T14:30:22Z'],
    });
    const job = onlyObject(objects, 'Job');
    assert.equal(job.metadata.labels?.['deckhand.dev/timestamp'], '2026-01-25T14-30-22Z');
    assert.equal(job.metadata.annotations?.['deckhand.dev/timestamp'], '2026-01-25T14:30:22Z');
  });

  it('omits the provenance labels and annotations when no commit or timestamp is given', async () => {
    const job = onlyObject(await renderCaelundas(), 'Job');
    assert.equal(job.metadata.labels?.['deckhand.dev/git-commit'], undefined);
    assert.equal(job.metadata.annotations, undefined);
  });

  it('prints all-digit tags and commits as digits, whether from --set or from a values file', async () => {
    const fromSet = await renderChart({
      valuesFiles: CAELUNDAS_LAYERS,
      set: ['image.tag=20260125', 'metadata.gitCommit=1234567'],
    });
    assert.equal(mainContainer(fromSet).image, 'ghcr.io/example/caelundas:20260125');
    assert.equal(onlyObject(fromSet, 'Job').metadata.labels?.['deckhand.dev/git-commit'], '1234567');

    // Helm reads numbers in values files as float64, which would otherwise print as 2.0260125e+07.
    const fromFile = await withValuesFile('image:\n  tag: 20260125\n', (file) =>
      renderChart({ valuesFiles: [...CAELUNDAS_LAYERS, file] }),
    );
    assert.equal(mainContainer(fromFile).image, 'ghcr.io/example/caelundas:20260125');
    assert.equal(onlyObject(fromFile, 'Job').metadata.labels?.['app.kubernetes.io/version'], '20260125');
  });

  it('refuses parallelism above 1 on a ReadWriteOnce volume, naming the fix', async () => {
    const { code, stderr } = await runHelm(
      templateArgs({ valuesFiles: CAELUNDAS_LAYERS, set: [TAG, 'job.parallelism=2'] }),
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /job\.parallelism is 2 but the output volume is ReadWriteOnce.*ReadWriteMany/);

    const shared = await renderCaelundas(['job.parallelism=2', 'persistence.accessMode=ReadWriteMany']);
    assert.equal(jobSpec(shared).parallelism, 2);
  });

  it('requires a ServiceAccount name when it does not create one, and then uses that name', async () => {
    const { code, stderr } = await runHelm(
      templateArgs({ valuesFiles: CAELUNDAS_LAYERS, set: [TAG, 'serviceAccount.create=false'] }),
    );
    assert.notEqual(code, 0);
    assert.match(stderr, /serviceAccount\.name is required when serviceAccount\.create is false/);

    const objects = await renderCaelundas(['serviceAccount.create=false', 'serviceAccount.name=batch-runner']);
    assert.equal(objectsOfKind(objects, 'ServiceAccount').length, 0);
    assert.equal(podSpec(objects).serviceAccountName, 'batch-runner');
  });

  it('still refuses a missing or latest tag when schema validation is skipped', async () => {
    for (const set of [[], ['image.tag=latest']]) {
      const { code, stderr } = await runHelm([
        ...templateArgs({ valuesFiles: CAELUNDAS_LAYERS, set }),
        '--skip-schema-validation',
      ]);
      assert.notEqual(code, 0);
      assert.match(stderr, /image\.tag (is required|"latest" is mutable)/);
    }
  });

  it('adds pod labels without letting them replace the selector labels', async () => {
    const objects = await renderCaelundas(['podLabels.team=astro', 'podLabels.app\\.kubernetes\\.io/name=other']);
    const labels = jobSpec(objects).template.metadata.labels;
    assert.equal(labels?.['team'], 'astro');
    assert.equal(labels?.['app.kubernetes.io/name'], 'caelundas');
    assert.equal(onlyObject(objects, 'Job').metadata.labels?.['team'], undefined, 'pod labels stay on the pod');
  });

  it('passes env values, envFrom, command, args and scheduling constraints through to the pod', async () => {
    const extra = [
      'env: [{name: LOG_LEVEL, value: debug}]',
      'envFrom: [{secretRef: {name: caelundas-extra}}]',
      'command: [node]',
      'args: [dist/main.js, --year, "2026"]',
      'imagePullSecrets: [{name: ghcr-pull}]',
      'nodeSelector: {node.kubernetes.io/instance-type: g6-standard-2}',
      'tolerations: [{key: dedicated, operator: Equal, value: batch, effect: NoSchedule}]',
      'affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/region, operator: In, values: [us-east]}]}]}}}',
      'podAnnotations: {example.com/owner: astro}',
    ].join('\n');
    const objects = await withValuesFile(extra, (file) =>
      renderChart({ valuesFiles: [...CAELUNDAS_LAYERS, file], set: [TAG] }),
    );
    const container = mainContainer(objects);
    const spec = podSpec(objects);
    assert.deepEqual(container.env?.[0], { name: 'LOG_LEVEL', value: 'debug' }, 'env first, then the secretEnv keys');
    assert.deepEqual(
      container.env?.slice(1).map((variable) => variable.name),
      ['START_DATE', 'END_DATE', 'LATITUDE', 'LONGITUDE'],
    );
    assert.deepEqual(container.envFrom, [{ secretRef: { name: 'caelundas-extra' } }]);
    assert.deepEqual(container.command, ['node']);
    assert.deepEqual(container.args, ['dist/main.js', '--year', '2026']);
    assert.deepEqual(spec.imagePullSecrets, [{ name: 'ghcr-pull' }]);
    assert.deepEqual(spec.nodeSelector, { 'node.kubernetes.io/instance-type': 'g6-standard-2' });
    assert.deepEqual(spec.tolerations, [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }]);
    assert.ok(spec.affinity?.['nodeAffinity'], 'node affinity is rendered');
    assert.equal(jobSpec(objects).template.metadata.annotations?.['example.com/owner'], 'astro');
  });

  it('names each run by its release, so a rerun with a new tag is a new Job rather than an immutable-field upgrade', async () => {
    const first = await renderChart({
      release: 'caelundas-20260125-143022',
      valuesFiles: CAELUNDAS_LAYERS,
      set: ['image.tag=1.4.2'],
    });
    const second = await renderChart({
      release: 'caelundas-20260126-090000',
      valuesFiles: CAELUNDAS_LAYERS,
      set: ['image.tag=1.4.3'],
    });
    assert.notEqual(onlyObject(first, 'Job').metadata.name, onlyObject(second, 'Job').metadata.name);
  });
});

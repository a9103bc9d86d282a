/**
 * `helm template` of charts/kubernetes-job with each shipped values layer, asserting the bar from the reliability
 * checklist (sections A and B) on the parsed objects. Slow-ish: real helm, one render per value set.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  allContainers,
  BASE_VALUES,
  CAELUNDAS_VALUES,
  CHART_DIR,
  DNS_LABEL,
  jobSpec,
  LABEL_VALUE,
  mainContainer,
  onlyObject,
  podSpec,
  renderChart,
  type PvcSpec,
  type RenderedObject,
} from './helm.ts';
import { caelundas } from '../../scripts/apps/caelundas.ts';
import { inputsSecretName } from '../../scripts/steps/job/release-name.ts';
import { parseQuantity } from './quantity.ts';

const TAG = '1.4.2';
const GIT_COMMIT = '3f2a1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3';
const TIMESTAMP = '1737815422';
const PROVENANCE = [`image.tag=${TAG}`, `metadata.gitCommit=${GIT_COMMIT}`, `metadata.timestamp=${TIMESTAMP}`];

/** Volume types Pod Security "restricted" allows. */
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

interface ValueSet {
  title: string;
  release: string;
  valuesFiles: string[];
  set: string[];
  appName: string;
  fullname: string;
  repository: string;
  setsResources: boolean;
}

const VALUE_SETS: ValueSet[] = [
  {
    title: 'the chart defaults',
    release: 'report-20260125-143022',
    valuesFiles: [],
    set: ['image.repository=ghcr.io/example/report'],
    appName: 'kubernetes-job',
    fullname: 'report-20260125-143022-kubernetes-job',
    repository: 'ghcr.io/example/report',
    setsResources: false,
  },
  {
    title: 'base.yaml',
    release: 'report-20260125-143022',
    valuesFiles: [BASE_VALUES],
    set: ['image.repository=ghcr.io/example/report'],
    appName: 'kubernetes-job',
    fullname: 'report-20260125-143022-kubernetes-job',
    repository: 'ghcr.io/example/report',
    setsResources: true,
  },
  {
    title: 'base.yaml + caelundas-production.yaml',
    release: 'caelundas-20260125-143022',
    valuesFiles: [BASE_VALUES, CAELUNDAS_VALUES],
    set: [],
    appName: 'caelundas',
    fullname: 'caelundas-20260125-143022',
    repository: 'ghcr.io/example/caelundas',
    setsResources: true,
  },
];

async function chartLabelValue(): Promise<string> {
  const chart = parse(await readFile(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
  return `${chart.name}-${chart.version}`.replaceAll('+', '_');
}

for (const valueSet of VALUE_SETS) {
  describe(`kubernetes-job rendered with ${valueSet.title}`, () => {
    let objects: RenderedObject[] = [];
    let helmChartLabel = '';

    before(async () => {
      objects = await renderChart({
        release: valueSet.release,
        valuesFiles: valueSet.valuesFiles,
        set: valueSet.set,
        setString: PROVENANCE,
      });
      helmChartLabel = await chartLabelValue();
    });

    it('renders exactly one ServiceAccount, one PVC and one Job, all with the release full name', () => {
      assert.deepEqual(objects.map((object) => object.kind).sort(), ['Job', 'PersistentVolumeClaim', 'ServiceAccount']);
      for (const object of objects) {
        assert.equal(object.metadata.name, valueSet.fullname, `${object.kind} name`);
        assert.match(object.metadata.name, DNS_LABEL);
        assert.ok(object.metadata.name.length <= 63);
      }
    });

    it('puts the full label set, with valid label values, on every object and on the pod template', () => {
      const expected: Record<string, string> = {
        'app.kubernetes.io/name': valueSet.appName,
        'app.kubernetes.io/instance': valueSet.release,
        'app.kubernetes.io/version': TAG,
        'app.kubernetes.io/managed-by': 'Helm',
        'helm.sh/chart': helmChartLabel,
        'deckhand.dev/git-commit': GIT_COMMIT,
        'deckhand.dev/timestamp': TIMESTAMP,
      };
      const labelSets: Array<[string, Record<string, string> | undefined]> = [
        ...objects.map((object): [string, Record<string, string> | undefined] => [object.kind, object.metadata.labels]),
        ['pod template', jobSpec(objects).template.metadata.labels],
      ];
      for (const [where, labels] of labelSets) {
        assert.ok(labels, `${where} has labels`);
        for (const [key, value] of Object.entries(expected)) {
          assert.equal(labels[key], value, `${where} label ${key}`);
        }
        for (const [key, value] of Object.entries(labels)) {
          assert.equal(typeof value, 'string', `${where} label ${key} is a string`);
          assert.match(value, LABEL_VALUE, `${where} label ${key}`);
          assert.ok(value.length <= 63, `${where} label ${key} is at most 63 characters`);
        }
      }
    });

    it('leaves the Job selector to the controller and keeps the selector labels on the pod', () => {
      const spec = jobSpec(objects);
      assert.equal(spec.selector, undefined);
      assert.equal(spec.manualSelector, undefined);
      assert.equal(spec.template.metadata.labels?.['app.kubernetes.io/name'], valueSet.appName);
      assert.equal(spec.template.metadata.labels?.['app.kubernetes.io/instance'], valueSet.release);
    });

    it('never restarts containers in place and sets every Job limit explicitly', () => {
      const spec = jobSpec(objects);
      assert.equal(spec.template.spec.restartPolicy, 'Never');
      assert.ok(Number.isInteger(spec.backoffLimit) && (spec.backoffLimit ?? 99) <= 3, 'backoffLimit is set and small');
      assert.equal(spec.completions, 1);
      assert.equal(spec.parallelism, 1, 'one pod at a time on a ReadWriteOnce volume');
      assert.ok((spec.activeDeadlineSeconds ?? 0) > 0, 'activeDeadlineSeconds is set');
      assert.ok(
        (spec.ttlSecondsAfterFinished ?? 0) > (spec.activeDeadlineSeconds ?? Infinity),
        'finished Jobs outlive the longest possible run, leaving time to read logs and copy output',
      );
    });

    it('ignores disruptions in the pod failure policy', () => {
      const rules = jobSpec(objects).podFailurePolicy?.rules ?? [];
      assert.deepEqual(
        rules.find((rule) => rule.action === 'Ignore'),
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      );
    });

    it('meets Pod Security "restricted" on the pod and on every container', () => {
      const spec = podSpec(objects);
      const pod = spec.securityContext;
      assert.equal(pod?.runAsNonRoot, true);
      assert.ok((pod?.runAsUser ?? 0) > 0, 'runAsUser is non-zero');
      assert.ok((pod?.runAsGroup ?? 0) > 0, 'runAsGroup is non-zero');
      assert.ok((pod?.fsGroup ?? 0) > 0, 'fsGroup lets the non-root user write to the volume');
      assert.equal(pod?.seccompProfile?.type, 'RuntimeDefault');
      assert.equal(spec.hostNetwork, undefined);
      assert.equal(spec.hostPID, undefined);
      assert.equal(spec.hostIPC, undefined);
      for (const volume of spec.volumes ?? []) {
        const types = Object.keys(volume).filter((key) => key !== 'name');
        assert.ok(
          types.every((type) => RESTRICTED_VOLUME_TYPES.has(type)),
          `volume ${volume.name} uses ${types}`,
        );
      }
      const containers = allContainers(spec);
      assert.ok(containers.length > 0);
      for (const container of containers) {
        const context = container.securityContext;
        assert.equal(context?.allowPrivilegeEscalation, false, `${container.name} allowPrivilegeEscalation`);
        assert.notEqual(context?.privileged, true, `${container.name} privileged`);
        assert.equal(context?.readOnlyRootFilesystem, true, `${container.name} readOnlyRootFilesystem`);
        assert.equal(context?.runAsNonRoot, true, `${container.name} runAsNonRoot`);
        assert.ok(context?.capabilities?.drop?.includes('ALL'), `${container.name} drops ALL capabilities`);
        assert.ok((context?.capabilities?.add ?? []).every((capability) => capability === 'NET_BIND_SERVICE'));
      }
    });

    it('runs as its own ServiceAccount with no API token mounted', () => {
      const serviceAccount = onlyObject(objects, 'ServiceAccount');
      const spec = podSpec(objects);
      assert.equal(spec.serviceAccountName, serviceAccount.metadata.name);
      assert.notEqual(spec.serviceAccountName, 'default');
      assert.equal(spec.automountServiceAccountToken, false);
      assert.equal(serviceAccount.automountServiceAccountToken, false);
    });

    if (valueSet.setsResources) {
      it('sets CPU and memory requests and limits, with requests no larger than limits', () => {
        for (const container of allContainers(podSpec(objects))) {
          const { requests, limits } = container.resources ?? {};
          for (const resource of ['cpu', 'memory']) {
            const request = requests?.[resource];
            const limit = limits?.[resource];
            assert.ok(request !== undefined && limit !== undefined, `${container.name} ${resource} request and limit`);
            assert.ok(
              parseQuantity(request) <= parseQuantity(limit),
              `${container.name} ${resource}: ${request} <= ${limit}`,
            );
          }
        }
      });
    } else {
      it('leaves resources unset, since only the app values can size them', () => {
        assert.equal(mainContainer(objects).resources, undefined);
      });
    }

    it('references the image by repository and the given tag', () => {
      const container = mainContainer(objects);
      assert.equal(container.image, `${valueSet.repository}:${TAG}`);
      assert.equal(container.imagePullPolicy, 'IfNotPresent');
      assert.equal(container.name, valueSet.appName);
    });

    it('keeps a 10Gi ReadWriteOnce PVC on uninstall and lets the cluster choose its StorageClass', () => {
      const pvc = onlyObject(objects, 'PersistentVolumeClaim');
      const spec = pvc.spec as PvcSpec;
      assert.equal(pvc.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      assert.equal(spec.resources.requests.storage, '10Gi');
      assert.deepEqual(spec.accessModes, ['ReadWriteOnce']);
      assert.ok(!('storageClassName' in spec), 'an empty storageClassName is left out, not rendered as ""');
    });

    it('mounts the PVC at /app/output and a size-limited emptyDir at /tmp', () => {
      const spec = podSpec(objects);
      const mounts = mainContainer(objects).volumeMounts ?? [];
      const output = mounts.find((mount) => mount.mountPath === '/app/output');
      const tmp = mounts.find((mount) => mount.mountPath === '/tmp');
      assert.ok(output && tmp, 'both mounts exist');
      const volumes = new Map((spec.volumes ?? []).map((volume) => [volume.name, volume]));
      assert.equal(
        volumes.get(output.name)?.persistentVolumeClaim?.claimName,
        onlyObject(objects, 'PersistentVolumeClaim').metadata.name,
      );
      assert.ok(volumes.get(tmp.name)?.emptyDir?.sizeLimit, 'the /tmp emptyDir has a sizeLimit');
    });

    it('sets no namespace on any object, leaving it to helm --namespace', () => {
      for (const object of objects) assert.equal(object.metadata.namespace, undefined, object.kind);
    });

    it('records the git commit and timestamp verbatim as annotations on the Job, pod and PVC', () => {
      const annotated = [
        onlyObject(objects, 'Job').metadata.annotations,
        jobSpec(objects).template.metadata.annotations,
        onlyObject(objects, 'PersistentVolumeClaim').metadata.annotations,
      ];
      for (const annotations of annotated) {
        assert.equal(annotations?.['deckhand.dev/git-commit'], GIT_COMMIT);
        assert.equal(annotations?.['deckhand.dev/timestamp'], TIMESTAMP);
      }
    });
  });
}

describe('caelundas-production.yaml', () => {
  let objects: RenderedObject[] = [];
  before(async () => {
    objects = await renderChart({
      release: 'caelundas-20260125-143022',
      valuesFiles: [BASE_VALUES, CAELUNDAS_VALUES],
      setString: [`image.tag=${TAG}`],
    });
  });

  it('names the Job and the PVC exactly like the release and the container "caelundas"', () => {
    assert.equal(onlyObject(objects, 'Job').metadata.name, 'caelundas-20260125-143022');
    assert.equal(onlyObject(objects, 'PersistentVolumeClaim').metadata.name, 'caelundas-20260125-143022');
    assert.equal(mainContainer(objects).name, 'caelundas');
  });

  it("reads exactly the inputs the app registry declares from the run's own Secret, none optional", () => {
    // The registry (scripts/apps/caelundas.ts) decides what deploy writes into the run's Secret; the values file must
    // ask for the same keys from that Secret, or the pod would stop at CreateContainerConfigError.
    const env = mainContainer(objects).env ?? [];
    const fromSecrets = env.filter((variable) => variable.valueFrom?.secretKeyRef);
    assert.deepEqual(
      fromSecrets.map((variable) => variable.name).sort(),
      caelundas.secret.inputs.map((input) => input.key).sort(),
    );
    for (const { key } of caelundas.secret.inputs) {
      const variable = env.find((candidate) => candidate.name === key);
      assert.deepEqual(
        variable?.valueFrom?.secretKeyRef,
        { name: inputsSecretName('caelundas-20260125-143022'), key, optional: false },
        key,
      );
      assert.equal(variable?.value, undefined, `${key} has no plain value`);
    }
  });

  it('retries a failed run at most once', () => {
    assert.equal(jobSpec(objects).backoffLimit, 1);
  });

  it('ships no image tag, no latest and no "standard" StorageClass in the committed values files', async () => {
    const caelundas = parse(await readFile(CAELUNDAS_VALUES, 'utf8')) as { image?: Record<string, unknown> };
    assert.equal(caelundas.image?.['repository'], 'ghcr.io/example/caelundas');
    assert.equal(caelundas.image?.['tag'], undefined, 'the CLI passes the tag on every run');
    for (const file of [BASE_VALUES, CAELUNDAS_VALUES]) {
      const strings = collectStrings(parse(await readFile(file, 'utf8')));
      assert.ok(!strings.includes('latest'), `${path.basename(file)} mentions no latest tag`);
      assert.ok(!strings.includes('standard'), `${path.basename(file)} asks for no "standard" StorageClass`);
      assert.ok(!strings.some((value) => value.includes('OWNER')), `${path.basename(file)} has no OWNER placeholder`);
    }
  });
});

function collectStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(collectStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(collectStrings);
  return [];
}

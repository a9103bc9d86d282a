/**
 * wpp-bot's data and settings in k8s/wpp-bot (reliability checklist section A items 18 and 20, section C items 33-34):
 * block storage for Postgres and the WhatsApp session, ConfigMaps free of secrets, every Secret reference checked
 * against the keys the app registry collects, and the file order `kubectl apply -f` follows.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { wppBot } from '../../scripts/apps/wpp-bot.ts';
import { parseQuantity } from '../chart/quantity.ts';
import {
  allContainers,
  deployments,
  envOf,
  findObject,
  loadManifests,
  manifestFiles,
  mountOf,
  objectsOfKind,
  splitImage,
  type ConfigMap,
  type Container,
  type PersistentVolumeClaim,
  type PodSpec,
} from './wpp-bot-manifests.ts';

const STORAGE_CLASS = 'linode-block-storage-retain';
/** Linode Block Storage rounds anything smaller up to 10 GiB (and bills it). */
const MIN_VOLUME_BYTES = parseQuantity('10Gi');
const SECRET_LOOKING_NAME = /password|passwd|token|secret|api_?key|private_?key|credential/i;
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
/** Long unbroken runs of hex or base64 look like keys, whatever their name. */
const KEY_LIKE_VALUE = /^(?:[0-9a-f]{32,}|[A-Za-z0-9+/]{40,}={0,2})$/;

const registryKeys = new Set(wppBot.secret.inputs.map((input) => input.key));

function podSpecOf(name: string): PodSpec {
  const deployment = deployments().find((candidate) => candidate.metadata.name === name);
  assert.ok(deployment, `no Deployment ${name}`);
  return deployment.spec.template.spec;
}

function container(name: string): Container {
  const found = podSpecOf(name).containers.find((candidate) => candidate.name === name);
  assert.ok(found, `no container ${name}`);
  return found;
}

function envValue(target: Container, name: string): string | undefined {
  return envOf(target).find((variable) => variable.name === name)?.value;
}

/** The PVC claimed by the volume mounted at `mountPath`, with the mount. */
function claimMountedAt(workload: string, mountPath: string): { claim: PersistentVolumeClaim; subPath?: string } {
  const mount = container(workload).volumeMounts?.find((candidate) => candidate.mountPath === mountPath);
  assert.ok(mount, `${workload}: nothing mounted at ${mountPath}`);
  const claimName = podSpecOf(workload).volumes?.find((volume) => volume.name === mount.name)?.persistentVolumeClaim
    ?.claimName;
  assert.ok(claimName, `${workload}: ${mountPath} is not a PersistentVolumeClaim`);
  return { claim: findObject<PersistentVolumeClaim>('PersistentVolumeClaim', claimName), subPath: mount.subPath };
}

/** docker-library/postgres: up to 17 the data lives at /var/lib/postgresql/data; from 18 the volume is /var/lib/postgresql. */
function expectedPostgresMount(tag: string): string {
  const major = Number(/^(\d+)/.exec(tag)?.[1]);
  assert.ok(Number.isInteger(major), `cannot read the major version of postgres:${tag}`);
  return major >= 18 ? '/var/lib/postgresql' : '/var/lib/postgresql/data';
}

describe('k8s/wpp-bot data', () => {
  it('keeps Postgres at one replica with the Recreate strategy, as an RWO volume requires', () => {
    const postgres = deployments().find((deployment) => deployment.metadata.name === 'postgres');
    assert.equal(postgres?.spec.replicas, 1);
    assert.equal(postgres?.spec.strategy?.type, 'Recreate');
    assert.match(postgres?.metadata.annotations?.['kube-score/ignore'] ?? '', /(^|,)deployment-strategy(,|$)/);
  });

  it('puts Postgres data on a ReadWriteOnce claim of at least 10Gi in the explicit Linode retain class', () => {
    const tag = splitImage(container('postgres').image).tag ?? '';
    const { claim, subPath } = claimMountedAt('postgres', expectedPostgresMount(tag));
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
    assert.equal(claim.spec.storageClassName, STORAGE_CLASS);
    assert.ok(
      parseQuantity(claim.spec.resources.requests.storage) >= MIN_VOLUME_BYTES,
      `postgres data is ${claim.spec.resources.requests.storage}`,
    );
    assert.equal(subPath, undefined, 'PGDATA, not subPath, moves the data off the volume root');
  });

  it('points PGDATA at a subdirectory of the data mount, away from the volume root and its lost+found', () => {
    const mountPath = expectedPostgresMount(splitImage(container('postgres').image).tag ?? '');
    const pgdata = envValue(container('postgres'), 'PGDATA');
    assert.ok(pgdata, 'PGDATA is not set');
    const relative = path.posix.relative(mountPath, pgdata);
    assert.ok(
      relative && !relative.startsWith('..') && !path.posix.isAbsolute(relative),
      `PGDATA ${pgdata} is not below ${mountPath}`,
    );
  });

  it('gives every claim an explicit Linode class, ReadWriteOnce access and at least the 10Gi Linode minimum', () => {
    const claims = objectsOfKind<PersistentVolumeClaim>('PersistentVolumeClaim');
    assert.deepEqual(claims.map((claim) => claim.metadata.name).sort(), ['postgres-data', 'wpp-bot-data']);
    for (const claim of claims) {
      assert.equal(
        claim.spec.storageClassName,
        STORAGE_CLASS,
        `${claim.metadata.name}: "standard" does not exist on LKE and an omitted class depends on the cluster default`,
      );
      assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce'], claim.metadata.name);
      assert.ok(parseQuantity(claim.spec.resources.requests.storage) >= MIN_VOLUME_BYTES, claim.metadata.name);
    }
  });

  it('runs any Deployment that mounts a ReadWriteOnce claim as a single Recreate pod, so a roll-out never waits on a Multi-Attach', () => {
    let checked = 0;
    for (const deployment of deployments()) {
      const claims = (deployment.spec.template.spec.volumes ?? []).flatMap((volume) =>
        volume.persistentVolumeClaim ? [volume.persistentVolumeClaim.claimName] : [],
      );
      if (claims.length === 0) continue;
      checked++;
      assert.equal(deployment.spec.replicas, 1, deployment.metadata.name);
      assert.equal(deployment.spec.strategy?.type, 'Recreate', deployment.metadata.name);
    }
    assert.equal(checked, 2);
  });

  it("keeps the WhatsApp session and cache on wpp-bot's claim, where the configured paths point", () => {
    const { claim } = claimMountedAt('wpp-bot', '/app/data');
    assert.equal(claim.metadata.name, 'wpp-bot-data');
    const config = findObject<ConfigMap>('ConfigMap', 'wpp-bot-config').data ?? {};
    for (const key of ['AUTH_INFO_DIR', 'CACHE_DIR']) {
      const value = config[key];
      assert.equal(typeof value, 'string', key);
      assert.ok((value as string).startsWith('/app/data/'), `${key}=${String(value)} is not on the persistent volume`);
    }
  });

  it('reads the Postgres password from a file in the wpp-bot-secret volume, never from an env value', () => {
    const postgres = container('postgres');
    assert.equal(
      envOf(postgres).find((variable) => variable.name === 'POSTGRES_PASSWORD'),
      undefined,
      'POSTGRES_PASSWORD must come as a file',
    );
    const passwordFile = envValue(postgres, 'POSTGRES_PASSWORD_FILE');
    assert.ok(passwordFile);
    const volume = podSpecOf('postgres').volumes?.find((candidate) => {
      const mount = mountOf(postgres, candidate.name);
      return candidate.secret && mount && path.posix.dirname(passwordFile) === mount.mountPath;
    });
    assert.ok(volume?.secret, `${passwordFile} is not in a mounted secret volume`);
    assert.equal(volume.secret.secretName, wppBot.secret.name);
    assert.deepEqual(volume.secret.items, [{ key: 'POSTGRES_PASSWORD', path: path.posix.basename(passwordFile) }]);
    assert.equal(mountOf(postgres, volume.name)?.readOnly, true);
    assert.equal(volume.secret.defaultMode, 0o440, 'readable by the owner and the pod fsGroup only');
  });

  it("creates the Postgres user and database named in wpp-bot's settings, from the same ConfigMap keys", () => {
    for (const name of ['POSTGRES_USER', 'POSTGRES_DB']) {
      const variable = envOf(container('postgres')).find((candidate) => candidate.name === name);
      assert.deepEqual(variable?.valueFrom?.configMapKeyRef, { name: 'wpp-bot-config', key: name });
    }
    assert.ok(container('wpp-bot').envFrom?.some((source) => source.configMapRef?.name === 'wpp-bot-config'));
  });

  it('keeps ConfigMaps to string settings with no secret-looking names or values', () => {
    const configMaps = objectsOfKind<ConfigMap>('ConfigMap');
    assert.ok(configMaps.length > 0);
    for (const configMap of configMaps) {
      assert.equal(configMap.binaryData, undefined, configMap.metadata.name);
      for (const [key, value] of Object.entries(configMap.data ?? {})) {
        const where = `ConfigMap ${configMap.metadata.name} ${key}`;
        assert.equal(typeof value, 'string', `${where}: ConfigMap data must be strings`);
        assert.doesNotMatch(key, SECRET_LOOKING_NAME, `${where}: looks like a secret; put it in ${wppBot.secret.name}`);
        assert.doesNotMatch(value as string, PRIVATE_KEY_BLOCK, `${where}: holds a private key`);
        assert.doesNotMatch(value as string, KEY_LIKE_VALUE, `${where}: looks like a key`);
        assert.doesNotMatch(value as string, /:\/\/[^/\s:@]+:[^/\s@]+@/, `${where}: a URL with a password`);
      }
    }
  });

  it('resolves every secret reference to wpp-bot-secret and a key the app registry collects, never optional', () => {
    const consumed = new Set<string>();
    for (const { workload, container: target, pod } of allContainers()) {
      const where = `${workload}/${target.name}`;
      for (const variable of envOf(target)) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (!ref) continue;
        assert.equal(ref.name, wppBot.secret.name, `${where}: ${variable.name} reads Secret ${ref.name}`);
        assert.ok(
          registryKeys.has(ref.key),
          `${where}: ${variable.name} reads key ${ref.key}, which deckhand never writes`,
        );
        assert.notEqual(ref.optional, true, `${where}: ${variable.name} would start without its secret`);
        consumed.add(ref.key);
      }
      for (const source of target.envFrom ?? [])
        assert.equal(source.secretRef, undefined, `${where}: envFrom a Secret exposes keys nobody asked for`);
      for (const volume of pod.volumes ?? []) {
        if (!volume.secret) continue;
        assert.equal(volume.secret.secretName, wppBot.secret.name, `${where}: volume ${volume.name}`);
        assert.ok(volume.secret.items?.length, `${where}: volume ${volume.name} must list the keys it needs`);
        for (const item of volume.secret.items ?? []) {
          assert.ok(registryKeys.has(item.key), `${where}: volume ${volume.name} reads key ${item.key}`);
          consumed.add(item.key);
        }
      }
    }
    assert.deepEqual(
      [...consumed].sort(),
      [...registryKeys].sort(),
      'every key deckhand collects is used by some workload',
    );
  });

  it('resolves every ConfigMap reference to a ConfigMap declared here, and every key to one it holds', () => {
    for (const { workload, container: target } of allContainers()) {
      for (const source of target.envFrom ?? []) {
        if (source.configMapRef) findObject<ConfigMap>('ConfigMap', source.configMapRef.name);
      }
      for (const variable of envOf(target)) {
        const ref = variable.valueFrom?.configMapKeyRef;
        if (!ref) continue;
        const data = findObject<ConfigMap>('ConfigMap', ref.name).data ?? {};
        assert.ok(ref.key in data, `${workload}: ${variable.name} reads missing key ${ref.name}/${ref.key}`);
      }
    }
  });

  it('sets no env name twice, and none that its envFrom ConfigMaps already set', () => {
    for (const { workload, container: target } of allContainers()) {
      const names = envOf(target).map((variable) => variable.name);
      assert.equal(new Set(names).size, names.length, `${workload}/${target.name}: duplicate env ${names.join(', ')}`);
      for (const source of target.envFrom ?? []) {
        if (!source.configMapRef) continue;
        const keys = Object.keys(findObject<ConfigMap>('ConfigMap', source.configMapRef.name).data ?? {});
        for (const name of names)
          assert.ok(
            !keys.includes(name),
            `${workload}/${target.name}: ${name} is also set by ${source.configMapRef.name}`,
          );
      }
    }
  });

  it('puts no literal value in an env var whose name looks secret, except a _FILE path into a secret mount', () => {
    for (const { workload, container: target, pod } of allContainers()) {
      for (const variable of envOf(target)) {
        if (!SECRET_LOOKING_NAME.test(variable.name) || variable.value === undefined) continue;
        const where = `${workload}/${target.name}: ${variable.name}`;
        assert.match(variable.name, /_FILE$/, `${where} has a literal value; use a secretKeyRef`);
        const secretMounts = (target.volumeMounts ?? []).filter(
          (mount) => pod.volumes?.find((volume) => volume.name === mount.name)?.secret,
        );
        assert.ok(
          secretMounts.some((mount) => variable.value?.startsWith(`${mount.mountPath}/`)),
          `${where} points outside every secret mount`,
        );
      }
    }
  });

  it('orders the files so kubectl apply creates the namespace first, isolates pods before they start and exposes them last', () => {
    const files = manifestFiles();
    const firstFileOf = (kind: string) =>
      files.findIndex((file) => loadManifests().some((entry) => entry.file === file && entry.object.kind === kind));
    const lastFileOf = (kind: string) =>
      files.findLastIndex((file) => loadManifests().some((entry) => entry.file === file && entry.object.kind === kind));
    assert.equal(loadManifests()[0]?.object.kind, 'Namespace');
    assert.equal(loadManifests().filter((entry) => entry.object.kind === 'Namespace').length, 1);
    assert.ok(
      lastFileOf('NetworkPolicy') < firstFileOf('Deployment'),
      'NetworkPolicies must exist before the first pod',
    );
    assert.ok(
      lastFileOf('ConfigMap') < firstFileOf('Deployment'),
      'ConfigMaps must exist before the pods that read them',
    );
    assert.ok(lastFileOf('Service') < firstFileOf('Ingress'), 'the Ingress comes last');
    for (const file of files)
      assert.match(file, /^\d{2}-[a-z0-9-]+\.yaml$/, `${file}: a numeric prefix fixes the apply order`);
  });
});

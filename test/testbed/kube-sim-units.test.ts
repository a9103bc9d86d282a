import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extract } from 'tar-stream';
import { ApiError } from '../../kube-sim/errors.ts';
import { applyJsonPatch } from '../../kube-sim/patch/json-patch.ts';
import { conflictMessage, serverSideApply } from '../../kube-sim/patch/server-side-apply.ts';
import { applyStrategicMergePatch } from '../../kube-sim/patch/strategic-merge.ts';
import { decodeProtobufObject } from '../../kube-sim/protobuf.ts';
import { Registry } from '../../kube-sim/registry.ts';
import { typeFor } from '../../kube-sim/resources.ts';
import { seedCluster } from '../../kube-sim/seed.ts';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../../kube-sim/selectors.ts';
import { ObjectStore } from '../../kube-sim/store.ts';
import { buildTar, entriesFor } from '../../kube-sim/tar.ts';
import type { KubeObject } from '../../kube-sim/types.ts';

describe('strategic merge patch', () => {
  const deployment = {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'side:1' },
          ],
        },
      },
    },
  };

  test('merges list items by the key that $setElementOrder names and keeps the others', () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [{ name: 'app', image: 'app:2' }],
          },
        },
      },
    });
    assert.deepEqual(patched, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:2', env: deployment.spec.template.spec.containers[0]?.env },
              { name: 'sidecar', image: 'side:1' },
            ],
          },
        },
      },
    });
  });

  test('deletes a keyed list item marked $patch: delete and a field set to null', () => {
    const patched = applyStrategicMergePatch(deployment, {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'sidecar', $patch: 'delete' },
              { name: 'app', env: [{ name: 'B', $patch: 'delete' }], image: null },
            ],
          },
        },
      },
    });
    assert.deepEqual(patched, {
      spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', value: '1' }] }] } } },
    });
  });

  test('replaces atomic lists such as args whole', () => {
    const patched = applyStrategicMergePatch({ args: ['a', 'b'], command: ['x'] }, { args: ['c'] });
    assert.deepEqual(patched, { args: ['c'], command: ['x'] });
  });

  test('honours $retainKeys and $deleteFromPrimitiveList', () => {
    const patched = applyStrategicMergePatch(
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, metadata: { finalizers: ['a', 'b'] } },
      {
        strategy: { $retainKeys: ['type'], type: 'Recreate' },
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      },
    );
    assert.deepEqual(patched, { strategy: { type: 'Recreate' }, metadata: { finalizers: ['b'] } });
  });
});

describe('server-side apply', () => {
  const applied = (replicas: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'apps' },
    spec: { replicas, template: { spec: { containers: [{ name: 'web', image: 'web:1', ...extra }] } } },
  });

  test('prunes a field the same manager applied before and no longer sends', () => {
    const first = serverSideApply(undefined, applied(1, { args: ['--verbose'] }), 'deckhand', new Map(), false);
    const second = serverSideApply(first.object, applied(1), 'deckhand', first.managers, false);
    assert.deepEqual(second.object['spec'], {
      replicas: 1,
      template: { spec: { containers: [{ name: 'web', image: 'web:1' }] } },
    });
  });

  test('keeps fields set by others and merges keyed lists', () => {
    const live = {
      ...applied(1),
      spec: {
        replicas: 1,
        paused: false,
        template: {
          spec: {
            containers: [
              { name: 'web', image: 'web:1', terminationMessagePath: '/dev/termination-log' },
              { name: 'proxy', image: 'proxy:1' },
            ],
          },
        },
      },
    };
    const result = serverSideApply(live, applied(3), 'deckhand', new Map(), false);
    assert.deepEqual(result.object['spec'], {
      replicas: 3,
      paused: false,
      template: {
        spec: {
          containers: [
            { name: 'web', image: 'web:1', terminationMessagePath: '/dev/termination-log' },
            { name: 'proxy', image: 'proxy:1' },
          ],
        },
      },
    });
  });

  test('reports a conflict with another applier unless forced, then takes the field over', () => {
    const byHelm = serverSideApply(undefined, applied(1), 'helm', new Map(), false);
    const refused = serverSideApply(byHelm.object, applied(2), 'deckhand', byHelm.managers, false);
    assert.deepEqual(refused.conflicts, [{ manager: 'helm', field: '.spec.replicas' }]);
    assert.equal(
      conflictMessage(refused.conflicts, 'apps/v1'),
      'Apply failed with 1 conflict: conflict with "helm" using apps/v1: .spec.replicas',
    );
    const forced = serverSideApply(byHelm.object, applied(2), 'deckhand', byHelm.managers, true);
    assert.equal((forced.object['spec'] as Record<string, unknown>)['replicas'], 2);
    const helmAgain = serverSideApply(forced.object, applied(2), 'helm', forced.managers, false);
    assert.deepEqual(helmAgain.conflicts, [], 'helm no longer owns .spec.replicas after the forced apply');
  });
});

describe('selectors', () => {
  test('label selectors support equality, sets and existence', () => {
    const selector = parseLabelSelector('app=web,tier in (front, back),!legacy,env!=prod');
    assert.equal(matchesLabels(selector, { app: 'web', tier: 'back', env: 'dev' }), true);
    assert.equal(matchesLabels(selector, { app: 'web', tier: 'back', legacy: 'yes' }), false);
    assert.equal(matchesLabels(selector, { app: 'web', tier: 'middle' }), false);
  });

  test('field selectors match nested fields and unescape values', () => {
    const selector = parseFieldSelector('involvedObject.name=calc\\,x,type!=Normal');
    assert.deepEqual(selector, [
      { field: 'involvedObject.name', op: 'eq', value: 'calc,x' },
      { field: 'type', op: 'neq', value: 'Normal' },
    ]);
    assert.equal(matchesFields(selector, { involvedObject: { name: 'calc,x' }, type: 'Warning' }), true);
    assert.equal(matchesFields(selector, { involvedObject: { name: 'calc,x' }, type: 'Normal' }), false);
  });
});

describe('JSON patch', () => {
  test('applies add, replace and remove, and fails a test operation that does not hold', () => {
    const doc = { metadata: { labels: { a: '1' } }, items: [1, 2] };
    const patched = applyJsonPatch(doc, [
      { op: 'add', path: '/metadata/labels/b~1c', value: '2' },
      { op: 'replace', path: '/items/0', value: 9 },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'add', path: '/items/-', value: 3 },
    ]);
    assert.deepEqual(patched, { metadata: { labels: { 'b/c': '2' } }, items: [9, 2, 3] });
    assert.throws(() => applyJsonPatch(doc, [{ op: 'test', path: '/items/0', value: 5 }]), /test failed/);
  });
});

// A protobuf encoder written independently of the decoder, from the field numbers in k8s.io/api generated.proto.
const pb = {
  varint(value: number): Buffer {
    const bytes: number[] = [];
    let v = value;
    do {
      let byte = v & 0x7f;
      v = Math.floor(v / 128);
      if (v > 0) byte |= 0x80;
      bytes.push(byte);
    } while (v > 0);
    return Buffer.from(bytes);
  },
  bytes(field: number, payload: Buffer | string): Buffer {
    const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
    return Buffer.concat([pb.varint((field << 3) | 2), pb.varint(data.length), data]);
  },
  number(field: number, value: number): Buffer {
    return Buffer.concat([pb.varint(field << 3), pb.varint(value)]);
  },
  entry(field: number, key: string, value: Buffer | string): Buffer {
    return pb.bytes(field, Buffer.concat([pb.bytes(1, key), pb.bytes(2, value)]));
  },
  envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
    return Buffer.concat([
      Buffer.from('k8s\0', 'latin1'),
      pb.bytes(1, Buffer.concat([pb.bytes(1, apiVersion), pb.bytes(2, kind)])),
      pb.bytes(2, raw),
    ]);
  },
};

describe('protobuf bodies', () => {
  test('decodes a helm release Secret with labels, binary data and type', () => {
    const release = Buffer.from([0x1f, 0x8b, 0x00, 0xff]);
    const metadata = Buffer.concat([
      pb.bytes(1, 'sh.helm.release.v1.demo.v1'),
      pb.bytes(3, 'apps'),
      pb.entry(11, 'owner', 'helm'),
      pb.entry(11, 'status', 'deployed'),
    ]);
    const secret = Buffer.concat([
      pb.bytes(1, metadata),
      pb.entry(2, 'release', release),
      pb.bytes(3, 'helm.sh/release.v1'),
    ]);
    const decoded = decodeProtobufObject(pb.envelope('v1', 'Secret', secret));
    assert.deepEqual(decoded, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'sh.helm.release.v1.demo.v1',
        namespace: 'apps',
        labels: { owner: 'helm', status: 'deployed' },
      },
      data: { release: release.toString('base64') },
      type: 'helm.sh/release.v1',
    });
  });

  test('decodes DeleteOptions and refuses kinds it has no decoder for with a 415', () => {
    const options = Buffer.concat([pb.number(1, 0), pb.bytes(4, 'Background')]);
    assert.deepEqual(decodeProtobufObject(pb.envelope('meta.k8s.io/v1', 'DeleteOptions', options)), {
      apiVersion: 'meta.k8s.io/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
    });
    assert.throws(
      () => decodeProtobufObject(pb.envelope('apps/v1', 'Deployment', Buffer.alloc(0))),
      (error: unknown) => error instanceof ApiError && error.code === 415,
    );
  });
});

describe('tar entries', () => {
  test('names members as tar cf - /data does and round-trips binary bytes', async () => {
    const binary = Buffer.from([0, 1, 2, 253, 254, 255]);
    const files = new Map([
      ['result.bin', { data: binary, mtime: new Date(), mode: 0o644 }],
      ['logs/run.txt', { data: Buffer.from('ok\n'), mtime: new Date(), mode: 0o644 }],
    ]);
    const entries = entriesFor('/data/', '', files) ?? [];
    assert.deepEqual(
      entries.map((e) => e.name),
      ['data/', 'data/logs/', 'data/logs/run.txt', 'data/result.bin'],
    );
    assert.equal(entriesFor('/data/missing', 'missing', files), undefined);
    const unpacked = new Map<string, Buffer>();
    const reader = extract();
    const done = (async () => {
      for await (const entry of reader) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        unpacked.set(entry.header.name, Buffer.concat(chunks));
      }
    })();
    reader.end(await buildTar(entries));
    await done;
    assert.deepEqual(unpacked.get('data/result.bin'), binary);
  });
});

describe('registry semantics', () => {
  function registry(): Registry {
    const r = new Registry(new ObjectStore());
    seedCluster(r);
    return r;
  }
  const job = (image: string): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'calc', namespace: 'default' },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } } },
  });

  test('turns Secret stringData into base64 data', () => {
    const r = registry();
    const created = r.create(typeFor('v1', 'Secret'), 'default', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      stringData: { K: 'v' },
    });
    assert.deepEqual(created['data'], { K: Buffer.from('v').toString('base64') });
    assert.equal(created['stringData'], undefined);
  });

  test('defaults a Job selector and refuses a changed pod template as immutable', () => {
    const r = registry();
    const type = typeFor('batch/v1', 'Job');
    const created = r.create(type, 'default', job('a:1'));
    assert.deepEqual(created['spec'] && (created['spec'] as Record<string, unknown>)['selector'], {
      matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid },
    });
    assert.throws(
      () =>
        r.patch(type, 'default', 'calc', 'merge', {
          spec: { template: { spec: { containers: [{ name: 'main', image: 'a:2' }] } } },
        }),
      (error: unknown) =>
        error instanceof ApiError &&
        error.code === 422 &&
        /spec\.template: Invalid value: .*field is immutable/.test(error.message),
    );
  });

  test('refuses a Job without a Never/OnFailure restartPolicy like the real validation', () => {
    const r = registry();
    const bad = job('a:1');
    (bad['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['restartPolicy'] = undefined;
    assert.throws(
      () => r.create(typeFor('batch/v1', 'Job'), 'default', bad),
      /restartPolicy: Unsupported value: "Always"/,
    );
  });

  test('bumps generation on spec changes only and gives a PVC the default StorageClass', () => {
    const r = registry();
    const cm = typeFor('apps/v1', 'Deployment');
    const d: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'w:1' }] } },
      },
    };
    r.create(cm, 'default', d);
    assert.equal(
      r.patch(cm, 'default', 'web', 'merge', { metadata: { labels: { x: 'y' } } }).object.metadata.generation,
      1,
    );
    assert.equal(r.patch(cm, 'default', 'web', 'merge', { spec: { replicas: 3 } }).object.metadata.generation, 2);
    const pvc = r.create(typeFor('v1', 'PersistentVolumeClaim'), 'default', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    assert.equal((pvc['spec'] as Record<string, unknown>)['storageClassName'], 'linode-block-storage-retain');
    assert.deepEqual(pvc.metadata.finalizers, ['kubernetes.io/pvc-protection']);
  });

  test('refuses new objects in a namespace that is being deleted', () => {
    const r = registry();
    r.create(typeFor('v1', 'Namespace'), undefined, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'gone' },
    });
    r.delete(typeFor('v1', 'Namespace'), undefined, 'gone');
    assert.throws(
      () =>
        r.create(typeFor('v1', 'ConfigMap'), 'gone', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
      /unable to create new content in namespace gone because it is being terminated/,
    );
  });
});

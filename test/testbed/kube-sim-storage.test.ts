/**
 * Proof that kube-sim's storage behaves like LKE's block storage as kubectl sees it: provisioning from the default
 * or a named class, the natural failure of a missing class, reclaim policies on delete, and pvc-protection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';
import type { KubeObject } from '../../kube-sim/index.ts';

function claim(name: string, storageClass?: string): string {
  return `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
${storageClass === undefined ? '' : `  storageClassName: ${storageClass}\n`}  resources: {requests: {storage: 2Gi}}
`;
}

function writerJob(name: string, claimName: string): string {
  return `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}, namespace: default}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        volumeMounts: [{name: out, mountPath: /out}]
      volumes: [{name: out, persistentVolumeClaim: {claimName: ${claimName}}}]
`;
}

interface Event {
  reason: string;
  type: string;
  message: string;
}

function phase(obj: KubeObject | undefined): unknown {
  return (obj?.['status'] as { phase?: string } | undefined)?.phase;
}

describe('storage in kube-sim', { concurrency: 4 }, () => {
  test('a claim on a missing StorageClass stays Pending, its pod cannot be scheduled, and both recover when the class appears', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      await kubectlOk(['apply', '-f', '-'], {
        input: [claim('scratch', 'linode-block-storage-fast'), writerJob('fill', 'scratch')].join('\n---\n'),
      });
      const podName = (): string =>
        sim.list('v1', 'Pod', 'default').find((p) => p.metadata.labels?.['job-name'] === 'fill')?.metadata.name ?? '';
      await sim.waitFor(() => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'FailedScheduling'), {
        description: 'FailedScheduling event',
      });

      const claimEvents = await kubectlJson<{ items: Event[] }>([
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=scratch,involvedObject.kind=PersistentVolumeClaim',
      ]);
      assert.deepEqual(
        claimEvents.items.map((e) => [e.type, e.reason, e.message]),
        [['Warning', 'ProvisioningFailed', 'storageclass.storage.k8s.io "linode-block-storage-fast" not found']],
      );
      assert.equal(phase(sim.get('v1', 'PersistentVolumeClaim', 'default', 'scratch')), 'Pending');
      const podEvents = await kubectlJson<{ items: Event[] }>([
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${podName()}`,
      ]);
      assert.deepEqual(
        podEvents.items.map((e) => e.reason),
        ['FailedScheduling'],
      );
      assert.match(
        podEvents.items[0]?.message ?? '',
        /^0\/3 nodes are available: pod has unbound immediate PersistentVolumeClaims\./,
      );
      assert.equal(phase(sim.get('v1', 'Pod', 'default', podName())), 'Pending');

      await kubectlOk(['apply', '-f', '-'], {
        input:
          'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: linode-block-storage-fast}\nprovisioner: linodebs.csi.linode.com\nreclaimPolicy: Delete\n',
      });
      await kubectlOk(['wait', '--for=condition=complete', 'job/fill', '--timeout=10s']);
      assert.equal(phase(sim.get('v1', 'PersistentVolumeClaim', 'default', 'scratch')), 'Bound');
    });
  });

  test('a claim on a WaitForFirstConsumer class stays Pending until its pod fits a node, and stays so while the pod cannot be scheduled', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      const lateClass =
        'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: late}\nprovisioner: linodebs.csi.linode.com\nreclaimPolicy: Delete\nvolumeBindingMode: WaitForFirstConsumer\n';
      await kubectlOk(['apply', '-f', '-'], {
        input: [lateClass, claim('later', 'late'), claim('never', 'late')].join('\n---\n'),
      });
      const claimEvents = async (name: string) =>
        (
          await kubectlJson<{ items: Event[] }>([
            'get',
            'events',
            '--field-selector',
            `involvedObject.name=${name},involvedObject.kind=PersistentVolumeClaim`,
          ])
        ).items.map((e) => [e.type, e.reason, e.message]);
      await sim.waitFor(() => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'WaitForFirstConsumer'), {
        description: 'WaitForFirstConsumer event',
      });
      assert.deepEqual((await claimEvents('later'))[0], [
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
      ]);
      assert.equal(phase(sim.get('v1', 'PersistentVolumeClaim', 'default', 'later')), 'Pending');

      // A pod that fits: the claim gets its volume on the pod's node, then the pod runs.
      await kubectlOk(['apply', '-f', '-'], { input: writerJob('fits', 'later') });
      await kubectlOk(['wait', '--for=condition=complete', 'job/fits', '--timeout=10s']);
      const bound = await kubectlJson<KubeObject>(['get', 'pvc', 'later']);
      assert.equal(phase(bound), 'Bound');
      assert.match(bound.metadata.annotations?.['volume.kubernetes.io/selected-node'] ?? '', /^lke/);

      // A pod that fits no node: its FailedScheduling names the real cause; the claim keeps waiting, without a fault.
      sim.setJobBehavior({ namePrefix: 'stuck' }, { outcome: 'unschedulable' });
      await kubectlOk(['apply', '-f', '-'], { input: writerJob('stuck', 'never') });
      await sim.waitFor(() => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'FailedScheduling'), {
        description: 'FailedScheduling event',
      });
      const pod = sim.list('v1', 'Pod', 'default').find((p) => p.metadata.labels?.['job-name'] === 'stuck')!;
      const podEvents = await kubectlJson<{ items: Event[] }>([
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${pod.metadata.name}`,
      ]);
      assert.match(
        podEvents.items.find((e) => e.reason === 'FailedScheduling')?.message ?? '',
        /^0\/3 nodes are available: 3 Insufficient cpu\./,
      );
      assert.equal(phase(sim.get('v1', 'PersistentVolumeClaim', 'default', 'never')), 'Pending');
      assert.deepEqual(new Set((await claimEvents('never')).map((e) => e[1])), new Set(['WaitForFirstConsumer']));
    });
  });

  test('a claim on the default Retain class binds a Linode CSI volume that is Released, files intact, after the claim is deleted', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      await kubectlOk(['apply', '-f', '-'], {
        input: [claim('results'), writerJob('produce', 'results')].join('\n---\n'),
      });
      await kubectlOk(['wait', '--for=condition=complete', 'job/produce', '--timeout=10s']);
      const pvc = await kubectlJson<KubeObject>(['get', 'pvc', 'results']);
      const spec = pvc['spec'] as { storageClassName: string; volumeName: string };
      assert.equal(spec.storageClassName, 'linode-block-storage-retain');
      assert.deepEqual(
        pvc['status'],
        { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '10Gi' } },
        'Linode volumes are at least 10Gi',
      );
      const pv = await kubectlJson<KubeObject>(['get', 'pv', spec.volumeName]);
      const pvSpec = pv['spec'] as {
        csi: { driver: string };
        persistentVolumeReclaimPolicy: string;
        claimRef: { name: string };
      };
      assert.deepEqual(
        [pvSpec.csi.driver, pvSpec.persistentVolumeReclaimPolicy, pvSpec.claimRef.name],
        ['linodebs.csi.linode.com', 'Retain', 'results'],
      );
      assert.match(
        sim.pvcFiles('default', 'results').get('kube-sim-output.txt')?.toString() ?? '',
        /^written by pod default\/produce-\w+ of job produce at /,
      );

      await kubectlOk(['delete', 'job', 'produce', '--wait']);
      await kubectlOk(['delete', 'pvc', 'results', '--wait', '--timeout=10s']);
      await sim.waitFor(() => phase(sim.get('v1', 'PersistentVolume', undefined, spec.volumeName)) === 'Released', {
        description: 'PV Released',
      });
      const released = await kubectlJson<KubeObject>(['get', 'pv', spec.volumeName]);
      assert.equal(phase(released), 'Released');
      assert.ok(sim.pvFiles(spec.volumeName).has('kube-sim-output.txt'), 'a Released volume keeps its data');
      await kubectlOk(['delete', 'pv', spec.volumeName, '--wait', '--timeout=10s']);
      assert.equal(sim.pvFiles(spec.volumeName).size, 0, 'deleting the volume deletes its data');
    });
  });

  test('deleting a claim on the Delete class removes its volume', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson }) => {
      await kubectlOk(['apply', '-f', '-'], { input: claim('tmp', 'linode-block-storage') });
      await kubectlOk(['wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/tmp', '--timeout=10s']);
      const volumeName = (await kubectlJson<{ spec: { volumeName: string } }>(['get', 'pvc', 'tmp'])).spec.volumeName;
      await kubectlOk(['delete', 'pvc', 'tmp', '--wait']);
      await kubectlOk(['wait', '--for=delete', `pv/${volumeName}`, '--timeout=10s']);
    });
  });

  test('a claim in use by a running pod stays Terminating until the pod is gone (pvc-protection)', async () => {
    await withKubeSim(async ({ kubectlOk, sim }) => {
      sim.setJobBehavior({ name: 'holder' }, { outcome: 'never-finish' });
      await kubectlOk(['apply', '-f', '-'], { input: [claim('held'), writerJob('holder', 'held')].join('\n---\n') });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod', '-l', 'job-name=holder', '--timeout=10s']);
      await kubectlOk(['delete', 'pvc', 'held', '--wait=false']);
      const held = sim.get('v1', 'PersistentVolumeClaim', 'default', 'held');
      assert.ok(held?.metadata.deletionTimestamp, 'the claim is marked for deletion');
      assert.deepEqual(held?.metadata.finalizers, ['kubernetes.io/pvc-protection']);
      await kubectlOk(['delete', 'job', 'holder', '--wait']);
      await kubectlOk(['wait', '--for=delete', 'pvc/held', '--timeout=10s']);
    });
  });
});

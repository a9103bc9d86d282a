/**
 * Proof that kube-sim plays Linode's controllers as the real kubectl 1.34.5 sees them: a LoadBalancer Service gets
 * a NodeBalancer's IPv4 and hostname (visible to get, wait and watch), or never gets one when scripted; and the
 * Linode CSI driver deletes a Released volume once its reclaim policy is Delete, while a Retain volume stays.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';

function service(name: string, annotations: Record<string, string> = {}): string {
  return `
apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: default
  annotations: ${JSON.stringify(annotations)}
spec:
  type: LoadBalancer
  selector: {app: traefik}
  ports: [{name: websecure, port: 443, targetPort: 8443}]
`;
}

function claim(name: string): string {
  return `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ${name}, namespace: default}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n`;
}

interface Ingress {
  ip?: string;
  hostname?: string;
}

describe('Linode cloud behaviour in kube-sim with the real kubectl', { concurrency: 4 }, () => {
  test('a LoadBalancer Service gets the NodeBalancer IPv4 and hostname, seen by a watch and by kubectl wait', async () => {
    await withKubeSim(async ({ kubectlJson, kubectlOk, sandbox, sim }) => {
      const watch = sandbox.start(sandbox.bin.kubectl, ['get', 'svc', '--watch', '-o', 'json']);
      await watch.waitForOutput('"name": "kubernetes"');
      await kubectlOk(['apply', '-f', '-'], { input: service('traefik') });
      await kubectlOk([
        'wait',
        '--for=jsonpath={.status.loadBalancer.ingress[0].hostname}',
        'svc/traefik',
        '--timeout=10s',
      ]);
      const ingress = (
        await kubectlJson<{ status: { loadBalancer: { ingress: Ingress[] } } }>(['get', 'svc', 'traefik'])
      ).status.loadBalancer.ingress;
      assert.equal(ingress.length, 1);
      assert.match(ingress[0]?.ip ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      assert.equal(
        ingress[0]?.hostname,
        `nb-${(ingress[0]?.ip ?? '').replace(/\./g, '-')}.chicago.nodebalancer.linode.com`,
      );
      assert.deepEqual(sim.nodeBalancers, [
        { namespace: 'default', service: 'traefik', ip: ingress[0]?.ip, hostname: ingress[0]?.hostname },
      ]);
      await watch.waitForOutput(ingress[0]?.hostname ?? '');
      await watch.stop();
    });
  });

  test('hostname-only ingress and fixed addresses are scriptable per Service', async () => {
    await withKubeSim(async ({ kubectlJson, kubectlOk, sim }) => {
      sim.setLoadBalancerBehavior(
        { name: 'fixed' },
        { ip: '203.0.113.7', hostname: 'nb-203-0-113-7.chicago.nodebalancer.linode.com' },
      );
      await kubectlOk(['apply', '-f', '-'], {
        input: [
          service('fixed'),
          service('named', { 'service.beta.kubernetes.io/linode-loadbalancer-hostname-only-ingress': 'true' }),
        ].join('\n---\n'),
      });
      await kubectlOk([
        'wait',
        '--for=jsonpath={.status.loadBalancer.ingress[0].hostname}',
        'svc/fixed',
        'svc/named',
        '--timeout=10s',
      ]);
      const fixed = (await kubectlJson<{ status: { loadBalancer: { ingress: Ingress[] } } }>(['get', 'svc', 'fixed']))
        .status.loadBalancer.ingress;
      assert.deepEqual(
        fixed.map((i) => [i.ip, i.hostname]),
        [['203.0.113.7', 'nb-203-0-113-7.chicago.nodebalancer.linode.com']],
      );
      const named = (await kubectlJson<{ status: { loadBalancer: { ingress: Ingress[] } } }>(['get', 'svc', 'named']))
        .status.loadBalancer.ingress;
      assert.equal(named[0]?.ip, undefined, 'no IP with hostname-only-ingress');
      assert.match(named[0]?.hostname ?? '', /^nb-[\d-]+\.chicago\.nodebalancer\.linode\.com$/);
    });
  });

  test('a Service scripted to never get an address stays pending with a Warning that says why', async () => {
    await withKubeSim(async ({ kubectl, kubectlJson, kubectlOk, sim }) => {
      sim.setLoadBalancerBehavior({ name: 'stuck' }, { outcome: 'never' });
      await kubectlOk(['apply', '-f', '-'], { input: service('stuck') });
      await sim.waitFor(
        () => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'SyncLoadBalancerFailed'),
        { description: 'SyncLoadBalancerFailed' },
      );
      const svc = await kubectlJson<{ status: { loadBalancer: Record<string, unknown> } }>(['get', 'svc', 'stuck']);
      assert.deepEqual(svc.status.loadBalancer, {});
      const waited = await kubectl([
        'wait',
        '--for=jsonpath={.status.loadBalancer.ingress[0].ip}',
        'svc/stuck',
        '--timeout=1s',
      ]);
      assert.equal(waited.code, 1);
      assert.deepEqual(sim.nodeBalancers, []);
    });
  });

  test('the CSI driver deletes a Released volume once its policy is Delete; a Retain volume stays', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      await kubectlOk(['apply', '-f', '-'], { input: [claim('kept'), claim('dropped')].join('---\n') });
      await kubectlOk(['wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/kept', 'pvc/dropped', '--timeout=10s']);
      const volumeOf = async (name: string) =>
        (await kubectlJson<{ spec: { volumeName: string } }>(['get', 'pvc', name])).spec.volumeName;
      const kept = await volumeOf('kept');
      const dropped = await volumeOf('dropped');
      await kubectlOk(['delete', 'pvc', 'kept', 'dropped', '--wait']);
      await kubectlOk([
        'wait',
        '--for=jsonpath={.status.phase}=Released',
        `pv/${kept}`,
        `pv/${dropped}`,
        '--timeout=10s',
      ]);

      await kubectlOk(['patch', 'pv', dropped, '-p', '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}']);
      await kubectlOk(['wait', '--for=delete', `pv/${dropped}`, '--timeout=10s']);
      const handle = sim.get<{ spec: { csi: { volumeHandle: string } } }>('v1', 'PersistentVolume', undefined, kept)
        ?.spec.csi.volumeHandle;
      assert.equal(sim.deletedVolumes.length, 1);
      assert.equal(sim.deletedVolumes[0]?.persistentVolume, dropped);
      assert.match(String(sim.deletedVolumes[0]?.linodeVolumeId), /^\d+$/);
      assert.ok(handle, 'the kept volume still has its Linode volume');
      const still = await kubectlJson<{ status: { phase: string }; spec: { persistentVolumeReclaimPolicy: string } }>([
        'get',
        'pv',
        kept,
      ]);
      assert.deepEqual([still.status.phase, still.spec.persistentVolumeReclaimPolicy], ['Released', 'Retain']);
    });
  });

  test('a failing volume deletion keeps the PV Released with a VolumeFailedDelete Warning', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      sim.setVolumeDeletion({ outcome: 'fail', message: 'rpc error: code = Internal desc = volume is attached' });
      await kubectlOk(['apply', '-f', '-'], { input: claim('stuck') });
      await kubectlOk(['wait', '--for=jsonpath={.status.phase}=Bound', 'pvc/stuck', '--timeout=10s']);
      const volume = (await kubectlJson<{ spec: { volumeName: string } }>(['get', 'pvc', 'stuck'])).spec.volumeName;
      await kubectlOk(['delete', 'pvc', 'stuck', '--wait']);
      await kubectlOk(['patch', 'pv', volume, '-p', '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}']);
      await sim.waitFor(() => sim.list('v1', 'Event', 'default').some((e) => e['reason'] === 'VolumeFailedDelete'), {
        description: 'VolumeFailedDelete',
      });
      const events = await kubectlJson<{ items: Array<{ type: string; message: string }> }>([
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${volume},reason=VolumeFailedDelete`,
      ]);
      assert.deepEqual(
        events.items.map((e) => [e.type, e.message]),
        [['Warning', 'rpc error: code = Internal desc = volume is attached']],
      );
      assert.equal((await kubectlJson<{ status: { phase: string } }>(['get', 'pv', volume])).status.phase, 'Released');
      assert.deepEqual(sim.deletedVolumes, []);
    });
  });
});

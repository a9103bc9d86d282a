/**
 * A Job whose pod never gets a node: deploy names the scheduler's reason as the cause — its PVC, which a
 * WaitForFirstConsumer class keeps Pending until then, only as a consequence — says nothing ran, and offers what
 * fits (why the pod waits, remove the release), not "it keeps running" nor "copy its output".
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';

const IMAGE = 'ghcr.io/tests/caelundas:1.0.0';
const LATE_CLASS = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: linode-block-storage-late
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: linodebs.csi.linode.com
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
`;

describe('a Job whose pod is never scheduled', () => {
  let bed: DeployBed;
  before(async () => {
    bed = await createDeployBed();
    const kubectl = async (args: string[], input?: string) => {
      const result = await bed.sandbox.run('kubectl', args, input === undefined ? {} : { input });
      assert.equal(result.code, 0, result.stderr);
    };
    // The only default class binds volumes once a pod has a node, as many clusters' classes do.
    await kubectl([
      'annotate',
      'storageclass',
      'linode-block-storage-retain',
      'storageclass.kubernetes.io/is-default-class-',
    ]);
    await kubectl(['apply', '-f', '-'], LATE_CLASS);
    bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'unschedulable' });
  });
  after(async () => bed?.close());

  it('says its pod was never scheduled and why, that nothing ran, and what to do about that', async () => {
    const result = await runCli(['deploy', 'caelundas', '--image', IMAGE, '--timeout', '3s'], {
      env: { ...bed.env, ...VALID_INPUTS },
      timeoutMs: 90_000,
    });
    assert.equal(result.code, 1, result.output);
    const release = /Installed release (caelundas-\d{8}-\d{6})/.exec(result.output)![1]!;
    assert.match(
      result.stderr,
      new RegExp(
        `✖ Job ${release} did not finish within 3\\.0 s: its pod was never scheduled: 0/3 nodes are available: 3 Insufficient cpu\\..* \\(its PVC ${release} is Pending only because its storage class binds a volume once the pod has a node — volumeBindingMode WaitForFirstConsumer — which is normal\\); nothing ran\\.`,
      ),
    );
    assert.match(result.stderr, /→ No node has room for the pod: lower the Job's resources\.requests/);
    assert.match(result.stderr, new RegExp(`Remove them: npx tsx tasks\\.ts uninstall caelundas --release ${release}`));
    assert.doesNotMatch(result.output, /keeps running|copy its output/);
    assert.match(
      result.stderr,
      /# why the pod has no node\n\s+kubectl describe pod caelundas-\S+ --namespace caelundas/,
    );
    const record = await bed.record(release);
    assert.equal(record.outcome, 'timeout');
    assert.match(record.failure, /^its pod was never scheduled: 0\/3 nodes are available: 3 Insufficient cpu/);
  });
});

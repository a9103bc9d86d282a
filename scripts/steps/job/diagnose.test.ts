import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainNeverScheduled } from '../cluster/pod-diagnosis.ts';
import { explainFailure, jobOutcome, stuckReason, waitingNote, type JobLike, type PodLike } from './diagnose.ts';

const job = (conditions: { type: string; reason?: string }[], extra: Partial<JobLike> = {}): JobLike => ({
  metadata: { name: 'caelundas-20260125-143022' },
  spec: { backoffLimit: 1, activeDeadlineSeconds: 3600 },
  status: { conditions: conditions.map((condition) => ({ status: 'True', ...condition })), failed: 2 },
  ...extra,
});

const pod = (status: PodLike['status'], image = 'ghcr.io/me/caelundas:sha-1a2b3c4'): PodLike => ({
  metadata: { name: 'caelundas-20260125-143022-abcde', creationTimestamp: '2026-01-25T14:30:25Z' },
  spec: { containers: [{ name: 'caelundas', image }] },
  status,
});

const waiting = (reason: string, message = '') =>
  pod({ phase: 'Pending', containerStatuses: [{ name: 'caelundas', state: { waiting: { reason, message } } }] });

describe('job outcome', () => {
  it('recognises Complete, Failed and the early SuccessCriteriaMet / FailureTarget conditions', () => {
    assert.deepEqual(jobOutcome(job([{ type: 'Complete' }])), { state: 'complete' });
    assert.deepEqual(jobOutcome(job([{ type: 'SuccessCriteriaMet' }])), { state: 'complete' });
    assert.equal(jobOutcome(job([{ type: 'FailureTarget', reason: 'BackoffLimitExceeded' }])).state, 'failed');
    assert.deepEqual(jobOutcome(job([])), { state: 'running' });
    assert.deepEqual(
      jobOutcome({ metadata: { name: 'x' }, status: { conditions: [{ type: 'Failed', status: 'False' }] } }),
      { state: 'running' },
    );
  });
});

describe('failure diagnosis', () => {
  it('tells a wrong tag, a wrong architecture and a missing pull secret apart', () => {
    const notFound = stuckReason(
      waiting('ErrImagePull'),
      [
        {
          reason: 'Failed',
          message: 'Failed to pull image "x": rpc error: code = NotFound desc = failed to resolve reference: not found',
        },
      ],
      [],
      [],
    );
    assert.match(notFound!.summary, /does not exist in the registry/);
    const platform = stuckReason(
      waiting('ImagePullBackOff'),
      [{ reason: 'Failed', message: 'Failed to pull image "x": no match for platform in manifest: not found' }],
      [],
      [],
    );
    assert.match(platform!.summary, /no linux\/amd64 variant/);
    assert.match(platform!.fix, /buildx/);
    const denied = stuckReason(
      waiting('ErrImagePull'),
      [
        {
          reason: 'Failed',
          message: 'failed to authorize: failed to fetch anonymous token: unexpected status: 401 Unauthorized',
        },
      ],
      [],
      [],
    );
    assert.match(denied!.summary, /refused/);
    assert.match(denied!.fix, /REGISTRY_PULL_TOKEN/);
  });

  it('names the Secret key a container is missing', () => {
    const stuck = stuckReason(
      waiting('CreateContainerConfigError', "couldn't find key LATITUDE in Secret caelundas/caelundas-env-secret"),
      [],
      [],
      [],
    );
    assert.equal(stuck!.summary, 'The Secret caelundas/caelundas-env-secret has no key LATITUDE, which the Job needs.');
    assert.match(
      stuckReason(waiting('CreateContainerConfigError', 'secret "caelundas-env-secret" not found'), [], [], [])!
        .summary,
      /does not exist/,
    );
  });

  it('explains a PVC that cannot be provisioned because its storage class does not exist', () => {
    const pending = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: 'pod has unbound immediate PersistentVolumeClaims',
        },
      ],
    });
    const stuck = stuckReason(
      pending,
      [],
      [{ metadata: { name: 'caelundas-x' }, spec: { storageClassName: 'standard' }, status: { phase: 'Pending' } }],
      [{ reason: 'ProvisioningFailed', message: 'storageclass.storage.k8s.io "standard" not found' }],
    );
    assert.match(stuck!.summary, /storage class "standard", which this cluster does not have/);
    assert.match(stuck!.fix, /linode-block-storage-retain/);
  });

  it('does not call an unschedulable pod stuck (the autoscaler may add a node) but says why it waits', () => {
    const pending = pod({
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available: 3 Insufficient cpu.',
        },
      ],
    });
    assert.equal(stuckReason(pending, [], [], []), undefined);
    assert.equal(
      waitingNote(pending),
      'Not scheduled yet: 0/3 nodes are available: 3 Insufficient cpu. (the autoscaler may be adding a node).',
    );
  });

  it('explains OOMKilled, a deadline, the backoff limit and a fatal exit code', () => {
    const oom = pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'caelundas', state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }],
    });
    assert.match(
      explainFailure(job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]), [oom], []).summary,
      /ran out of memory \(OOMKilled, exit 137\)/,
    );
    assert.match(
      explainFailure(job([{ type: 'Failed', reason: 'DeadlineExceeded' }]), [], []).summary,
      /longer than its deadline of 3600 s/,
    );
    const exited = pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'caelundas', state: { terminated: { reason: 'Error', exitCode: 3 } } }],
    });
    assert.equal(
      explainFailure(job([{ type: 'Failed', reason: 'BackoffLimitExceeded' }]), [exited], []).summary,
      'The program failed 2 times (backoffLimit 1 reached); last exit code 3.',
    );
    assert.match(
      explainFailure(job([{ type: 'Failed', reason: 'PodFailurePolicy' }]), [exited], []).summary,
      /exited with code 3, which the chart treats as a permanent failure/,
    );
  });
});

describe('which pod states are worth a closer look', async () => {
  const { suspiciousState } = await import('../cluster/pod-diagnosis.ts');
  it('ignores pods on their way, flags back-offs, config errors and unschedulable pods', () => {
    assert.equal(suspiciousState(pod({ phase: 'Pending' })), undefined);
    assert.equal(suspiciousState(waiting('ContainerCreating')), undefined);
    assert.equal(suspiciousState(waiting('ImagePullBackOff')), 'waiting:ImagePullBackOff');
    assert.equal(suspiciousState(waiting('CreateContainerConfigError')), 'waiting:CreateContainerConfigError');
    assert.equal(
      suspiciousState(
        pod({
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'x' }],
        }),
      ),
      'unschedulable:x',
    );
  });
});

describe('a pod that has no node', () => {
  const unschedulable = (message: string): PodLike => ({
    metadata: { name: 'caelundas-x-abcde' },
    status: {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }],
    },
  });
  const lateClaim = {
    metadata: { name: 'caelundas-x' },
    spec: { storageClassName: 'late' },
    status: { phase: 'Pending' },
  };
  const waitsForConsumer = [
    {
      reason: 'WaitForFirstConsumer',
      message: 'waiting for first consumer to be created before binding',
      involvedObject: { kind: 'PersistentVolumeClaim', name: 'caelundas-x' },
    },
  ];

  it('does not wait for the autoscaler when the scheduler blames a claim, not the nodes', () => {
    assert.equal(
      waitingNote(unschedulable('0/3 nodes are available: persistentvolumeclaim "caelundas-x" not found.')),
      'Not scheduled yet: 0/3 nodes are available: persistentvolumeclaim "caelundas-x" not found.',
    );
  });

  it('names the scheduler reason as the cause and a WaitForFirstConsumer claim only as normal', () => {
    const diagnosis = explainNeverScheduled(
      unschedulable('0/3 nodes are available: 3 Insufficient cpu.'),
      '0/3 nodes are available: 3 Insufficient cpu.',
      [lateClaim],
      waitsForConsumer,
    );
    assert.equal(
      diagnosis.summary,
      '0/3 nodes are available: 3 Insufficient cpu (its PVC caelundas-x is Pending only because its storage class binds a volume once the pod has a node — volumeBindingMode WaitForFirstConsumer — which is normal)',
    );
    assert.match(diagnosis.fix, /^No node has room for the pod: lower the Job's resources\.requests/);
  });

  it('leaves a claim out when it waits for no consumer, and sends a volume reason to the PVC', () => {
    const reason = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.';
    const diagnosis = explainNeverScheduled(unschedulable(reason), reason, [lateClaim], []);
    assert.equal(diagnosis.summary, '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims');
    assert.match(diagnosis.fix, /kubectl describe pvc/);
  });
});

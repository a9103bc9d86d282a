import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  podProblem,
  probeFailures,
  rolloutProgress,
  type EventLike,
  type ServicePodLike,
} from './rollout-diagnosis.ts';

const readiness = { periodSeconds: 10, failureThreshold: 3 };

function pod(
  status: ServicePodLike['status'],
  probes: { readinessProbe?: object; startupProbe?: object } = { readinessProbe: readiness },
): ServicePodLike {
  return {
    metadata: { name: 'web-abc-1' },
    spec: { containers: [{ name: 'web', image: 'ghcr.io/me/web@sha256:1', ...probes }] },
    status,
  };
}

const running = {
  name: 'web',
  ready: false,
  restartCount: 0,
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
};

function unhealthy(message: string, count: number): EventLike {
  return {
    type: 'Warning',
    reason: 'Unhealthy',
    message,
    count,
    involvedObject: {
      kind: 'Pod',
      name: 'web-abc-1',
      fieldPath: 'spec.containers{web}',
    } as EventLike['involvedObject'],
  };
}

describe('reading a Deployment roll-out', () => {
  it('waits for the controller, new pods, old pods and availability, as kubectl rollout status does', () => {
    const deployment = (status: object, generation = 2) => ({
      metadata: { name: 'web', generation },
      spec: { replicas: 2 },
      status,
    });
    assert.deepEqual(rolloutProgress(deployment({ observedGeneration: 1 }), 2), {
      state: 'waiting',
      note: 'web: waiting for the controller',
    });
    assert.equal(
      rolloutProgress(deployment({ observedGeneration: 2, updatedReplicas: 1, replicas: 3 }), 2).state,
      'waiting',
    );
    assert.match(
      JSON.stringify(rolloutProgress(deployment({ observedGeneration: 2, updatedReplicas: 2, replicas: 3 }), 2)),
      /1 old pods still stopping/,
    );
    assert.match(
      JSON.stringify(
        rolloutProgress(
          deployment({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 }),
          2,
        ),
      ),
      /1 of 2 new pods available/,
    );
    assert.deepEqual(
      rolloutProgress(deployment({ observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 }), 2),
      { state: 'complete' },
    );
    const deadline = rolloutProgress(
      deployment({
        observedGeneration: 2,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-1" has timed out progressing.',
          },
        ],
      }),
      2,
    );
    assert.equal(deadline.state, 'failed');
  });

  it('fails a crash loop at once, with the exit code, and an OOMKilled one with what to raise', () => {
    const crash = podProblem(
      pod({
        containerStatuses: [
          {
            ...running,
            restartCount: 1,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 3, reason: 'Error' } },
          },
        ],
      }),
      [],
      'web',
    );
    assert.match(
      crash!.summary,
      /keeps crashing: it exited with code 3 \(Error\) and was restarted 1 time \(CrashLoopBackOff\)/,
    );
    const oom = podProblem(
      pod({
        containerStatuses: [
          {
            ...running,
            restartCount: 1,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
            lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      }),
      [],
      'web',
    );
    assert.match(oom!.fix, /resources\.limits\.memory/);
  });

  it('names the missing Secret key and the image that cannot be pulled, for the Deployment', () => {
    const key = podProblem(
      pod({
        containerStatuses: [
          {
            ...running,
            state: {
              waiting: {
                reason: 'CreateContainerConfigError',
                message: "couldn't find key JWT_SECRET in Secret wpp-bot/wpp-bot-secret",
              },
            },
          },
        ],
      }),
      [],
      'wpp-bot',
    );
    assert.equal(
      key!.summary,
      'The Secret wpp-bot/wpp-bot-secret has no key JWT_SECRET, which Deployment wpp-bot needs.',
    );
    const pull = podProblem(
      pod({
        containerStatuses: [
          {
            ...running,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image: not found' } },
          },
        ],
      }),
      [],
      'web',
    );
    assert.match(pull!.summary, /does not exist in the registry/);
  });

  it('fails an unschedulable pod unless the cluster autoscaler announced a node', () => {
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
    assert.match(
      podProblem(pending, [], 'web')!.summary,
      /No node can run the new pod web-abc-1 of Deployment web: 0\/3 nodes are available/,
    );
    const scaling: EventLike = {
      reason: 'TriggeredScaleUp',
      message: 'pod triggered scale-up',
      involvedObject: { kind: 'Pod', name: 'web-abc-1' },
    };
    assert.equal(podProblem(pending, [scaling], 'web'), undefined);
  });

  it('tolerates as many failed probes as the settings allow, and no more (counted from the Unhealthy events)', () => {
    const notReady = pod({ phase: 'Running', containerStatuses: [running] });
    const failed = (count: number) => [
      unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', count),
    ];
    assert.equal(podProblem(notReady, failed(3), 'web'), undefined, 'failureThreshold 3 allows three');
    const problem = podProblem(notReady, failed(4), 'web');
    assert.match(
      problem!.summary,
      /its readiness probe failed 4 times, more than the 3 its settings allow \(every 10 s after 0 s\)\. Last: Readiness probe failed: HTTP probe failed/,
    );
    // Two events of different wording add up, and a ready container is never failed.
    assert.ok(
      podProblem(
        notReady,
        [...failed(2), unhealthy('Readiness probe failed: Get "http://10.0.0.1:3000/": connection refused', 2)],
        'web',
      ),
    );
    assert.equal(
      podProblem(pod({ phase: 'Running', containerStatuses: [{ ...running, ready: true }] }), failed(9), 'web'),
      undefined,
    );
    const startup = pod(
      { phase: 'Running', containerStatuses: [running] },
      { startupProbe: { periodSeconds: 5, failureThreshold: 6 }, readinessProbe: readiness },
    );
    assert.equal(
      podProblem(startup, [unhealthy('Startup probe failed: HTTP probe failed with statuscode: 503', 6)], 'web'),
      undefined,
    );
    assert.match(
      podProblem(startup, [unhealthy('Startup probe failed: x', 7)], 'web')!.summary,
      /startup probe failed 7 times, more than the 6/,
    );
    assert.deepEqual(
      [...probeFailures(startup, failed(2)).values()].map((entry) => [entry.startup, entry.readiness]),
      [[0, 2]],
    );
  });
});

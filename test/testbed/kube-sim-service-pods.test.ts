/**
 * Scripted pod behaviour of Deployments (`setDeploymentBehavior`), read back with the real kubectl the way a
 * roll-out watcher reads a cluster: crash loops (restarts, CrashLoopBackOff, the previous instance's logs), pods that
 * never turn Ready (Unhealthy events at the probe's rate), image pull errors, slow starts, unschedulable pods,
 * CreateContainerConfigError from a missing Secret key (and the start once it appears), and followable logs.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { driveReadiness } from '../../kube-sim/controllers/service-pods.ts';
import { servicePlan } from '../../kube-sim/behaviors.ts';
import type { KubeObject, KubeSim } from '../../kube-sim/index.ts';
import { withKubeSim } from '../support/kube-sim-harness.ts';

const NS = 'svc';

interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: { waiting?: { reason: string; message?: string }; running?: object; terminated?: object };
  lastState: { terminated?: { exitCode: number; reason: string } };
}

interface Pod extends KubeObject {
  status: {
    phase: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: ContainerStatus[];
  };
}

interface Event extends KubeObject {
  type: string;
  reason: string;
  message: string;
  count: number;
  involvedObject: { name: string; fieldPath?: string };
}

function manifest(name: string, options: { image?: string; env?: string; probe?: string } = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: app
        image: ${options.image ?? `ghcr.io/acme/${name}:1.0.0`}
        ports: [{name: http, containerPort: 3000}]
${options.probe ?? '        readinessProbe: {httpGet: {path: /health/ready, port: http}, periodSeconds: 10, failureThreshold: 3}'}
${options.env ?? ''}`;
}

function podOf(sim: KubeSim, app: string): Pod | undefined {
  return sim
    .list<Pod>('v1', 'Pod', NS)
    .find((p) => p.metadata.labels?.['app'] === app && !p.metadata.deletionTimestamp);
}

function main(pod: Pod | undefined): ContainerStatus | undefined {
  return pod?.status.containerStatuses?.[0];
}

function eventsFor(sim: KubeSim, pod: Pod | undefined): Event[] {
  return sim.list<Event>('v1', 'Event', NS).filter((e) => e.involvedObject.name === pod?.metadata.name);
}

describe('scripted Deployment pods, read with the real kubectl', { concurrency: 4 }, () => {
  test('a crash loop restarts the container with a growing restartCount, and --previous shows the crashed run', async () => {
    await withKubeSim(async ({ sim, kubectlOk, kubectlJson }) => {
      sim.setDeploymentBehavior(
        { name: 'bot' },
        { outcome: 'crash-loop', exitCode: 3, logLines: ['starting bot', 'Error: JWT_SECRET is too short'] },
      );
      await kubectlOk(['apply', '-f', '-'], { input: manifest('bot') });
      const crashed = await sim.waitFor(
        () => {
          const status = main(podOf(sim, 'bot'));
          return status && status.restartCount >= 2 && status.state.waiting?.reason === 'CrashLoopBackOff'
            ? status
            : undefined;
        },
        { description: 'two restarts, in CrashLoopBackOff' },
      );
      assert.deepEqual(
        crashed.lastState.terminated && [crashed.lastState.terminated.exitCode, crashed.lastState.terminated.reason],
        [3, 'Error'],
      );
      assert.match(
        crashed.state.waiting?.message ?? '',
        /^back-off (20s|40s) restarting failed container=app pod=bot-/,
      );
      const pod = podOf(sim, 'bot');
      const previous = await kubectlOk(['logs', pod?.metadata.name ?? '', '-n', NS, '--previous']);
      assert.equal(previous, 'starting bot\nError: JWT_SECRET is too short\n');
      const backOff = eventsFor(sim, pod).find((e) => e.reason === 'BackOff');
      assert.equal(backOff?.type, 'Warning');
      assert.match(backOff?.message ?? '', /^Back-off restarting failed container app in pod bot-/);
      const deployment = await kubectlJson<{ status: { availableReplicas?: number; unavailableReplicas?: number } }>([
        'get',
        'deployment',
        'bot',
        '-n',
        NS,
      ]);
      assert.deepEqual([deployment.status.availableReplicas, deployment.status.unavailableReplicas], [undefined, 1]);
    });
  });

  test('a crash-looping container with a probe is never Ready between its crashes (it exits before the first probe can pass)', async () => {
    await withKubeSim(async ({ sim, kubectlOk, kubectlJson }) => {
      sim.setDeploymentBehavior({ name: 'early' }, { outcome: 'crash-loop', exitCode: 1, runMs: 60 });
      let everReady = false;
      let sawRunning = false;
      const crashed = sim.waitFor(
        () => {
          const pod = podOf(sim, 'early');
          const status = main(pod);
          if (status?.state.running) sawRunning = true;
          if (pod?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || status?.ready)
            everReady = true;
          return status && status.restartCount >= 2 ? status : undefined;
        },
        { description: 'two restarts' },
      );
      await kubectlOk(['apply', '-f', '-'], { input: manifest('early') });
      await crashed;
      assert.ok(sawRunning, 'the container did run between crashes');
      assert.equal(everReady, false, 'a real kubelet would not report it Ready: its readiness probe never passed');
      const deployment = await kubectlJson<{ status: { availableReplicas?: number } }>([
        'get',
        'deployment',
        'early',
        '-n',
        NS,
      ]);
      assert.equal(deployment.status.availableReplicas, undefined);
    });
  });

  test('a never-ready pod runs with Ready=False and keeps failing its readiness probe (Warning Unhealthy, counted)', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      sim.setDeploymentBehavior({ namespace: NS, image: 'ghcr.io/acme/api:bad' }, { outcome: 'never-ready' });
      await kubectlOk(['apply', '-f', '-'], { input: manifest('api', { image: 'ghcr.io/acme/api:bad' }) });
      const unhealthy = await sim.waitFor(
        () => eventsFor(sim, podOf(sim, 'api')).find((e) => e.reason === 'Unhealthy' && e.count >= 3),
        { description: 'three failed readiness probes' },
      );
      assert.equal(unhealthy.type, 'Warning');
      assert.equal(unhealthy.message, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
      assert.equal(unhealthy.involvedObject.fieldPath, 'spec.containers{app}');
      const pod = podOf(sim, 'api');
      assert.equal(pod?.status.phase, 'Running');
      const ready = pod?.status.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual(
        [ready?.status, ready?.reason, ready?.message],
        ['False', 'ContainersNotReady', 'containers with unready status: [app]'],
      );
      assert.deepEqual([main(pod)?.ready, main(pod)?.started, main(pod)?.restartCount], [false, true, 0]);
      const described = await kubectlOk(['describe', 'pod', pod?.metadata.name ?? '', '-n', NS]);
      assert.match(described, /Warning\s+Unhealthy\s+.*Readiness probe failed: HTTP probe failed with statuscode: 503/);
    });
  });

  test("the probe schedule follows the container's own probe settings", () => {
    const at: Array<[number, string]> = [];
    const pending: Array<[number, () => void]> = [];
    let now = 0;
    const hooks = {
      later: (ms: number, fn: () => void) => void pending.push([now + ms, fn]),
      podIP: () => '10.2.0.7',
      unhealthy: (message: string) => void at.push([now, message]),
      started: () => void at.push([now, 'started']),
      ready: () => void at.push([now, 'ready']),
      gap: (reason: string) => assert.fail(reason),
    };
    const runUntil = (end: number): void => {
      for (;;) {
        pending.sort((a, b) => a[0] - b[0]);
        const next = pending[0];
        if (!next || next[0] > end) return;
        pending.shift();
        now = next[0];
        next[1]();
      }
    };
    const container = {
      name: 'db',
      ports: [{ name: 'pg', containerPort: 5432 }],
      startupProbe: { exec: { command: ['pg_isready'] }, periodSeconds: 5, failureThreshold: 4 },
      readinessProbe: { tcpSocket: { port: 'pg' }, initialDelaySeconds: 2, periodSeconds: 10, failureThreshold: 3 },
    };
    // 1 ms of simulated time per probe second: the startup probe passes after one 5 s period, then readiness fails every 10 s.
    driveReadiness(container, servicePlan({ outcome: 'never-ready' }), 1, hooks);
    runUntil(40);
    assert.deepEqual(at, [
      [5, 'started'],
      [5, 'Readiness probe failed: dial tcp 10.2.0.7:5432: connect: connection refused'],
      [15, 'Readiness probe failed: dial tcp 10.2.0.7:5432: connect: connection refused'],
      [25, 'Readiness probe failed: dial tcp 10.2.0.7:5432: connect: connection refused'],
      [35, 'Readiness probe failed: dial tcp 10.2.0.7:5432: connect: connection refused'],
    ]);
    // A slow start fails the startup probe at 0, 5, 10 and 15 s and turns ready at 17.5 s, inside its 4 × 5 s window.
    at.length = 0;
    pending.length = 0;
    now = 0;
    driveReadiness(container, servicePlan({ outcome: 'slow' }), 1, hooks);
    runUntil(100);
    assert.deepEqual(at, [
      [0, 'Startup probe failed: '],
      [5, 'Startup probe failed: '],
      [10, 'Startup probe failed: '],
      [15, 'Startup probe failed: '],
      [17.5, 'started'],
      [17.5, 'ready'],
    ]);
  });

  test('an image pull error goes ErrImagePull, then ImagePullBackOff, and keeps retrying with the real events', async () => {
    await withKubeSim(async ({ sim, kubectl, kubectlOk }) => {
      sim.setDeploymentBehavior({ name: 'dash' }, { outcome: 'image-pull-error' });
      await kubectlOk(['apply', '-f', '-'], { input: manifest('dash', { image: 'ghcr.io/acme/dash:sha-deadbee' }) });
      await sim.waitFor(() => main(podOf(sim, 'dash'))?.state.waiting?.reason === 'ErrImagePull', {
        description: 'ErrImagePull',
      });
      const backOff = await sim.waitFor(
        () => {
          const status = main(podOf(sim, 'dash'));
          return status?.state.waiting?.reason === 'ImagePullBackOff' ? status.state.waiting : undefined;
        },
        { description: 'ImagePullBackOff' },
      );
      assert.equal(
        backOff.message,
        'Back-off pulling image "ghcr.io/acme/dash:sha-deadbee": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/acme/dash:sha-deadbee": failed to resolve reference "ghcr.io/acme/dash:sha-deadbee": ghcr.io/acme/dash:sha-deadbee: not found',
      );
      await sim.waitFor(() => eventsFor(sim, podOf(sim, 'dash')).some((e) => e.reason === 'Pulling' && e.count >= 2), {
        description: 'a second pull attempt',
      });
      const messages = eventsFor(sim, podOf(sim, 'dash')).map((e) => `${e.type} ${e.reason} ${e.message}`);
      assert.ok(messages.includes('Warning Failed Error: ErrImagePull'), messages.join('\n'));
      assert.ok(messages.includes('Warning Failed Error: ImagePullBackOff'));
      assert.ok(messages.includes('Normal BackOff Back-off pulling image "ghcr.io/acme/dash:sha-deadbee"'));
      assert.ok(
        messages.some((m) =>
          m.startsWith(
            'Warning Failed Failed to pull image "ghcr.io/acme/dash:sha-deadbee": rpc error: code = NotFound',
          ),
        ),
      );
      const logs = await kubectl(['logs', 'deployment/dash', '-n', NS]);
      assert.equal(logs.code, 1);
      // The kubelet's words for the two states the pod alternates between.
      assert.match(
        logs.stderr,
        /container "app" in pod "dash-[a-z0-9-]+" is waiting to start: (trying and failing to pull image|image can't be pulled)\n/,
      );
    });
  });

  test('an unschedulable pod stays Pending with PodScheduled=False and FailedScheduling events', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      sim.setDeploymentBehavior({ name: 'big' }, { outcome: 'unschedulable' });
      await kubectlOk(['apply', '-f', '-'], { input: manifest('big') });
      const pod = await sim.waitFor(
        () => {
          const found = podOf(sim, 'big');
          return found?.status.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False')
            ? found
            : undefined;
        },
        { description: 'PodScheduled=False' },
      );
      const scheduled = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
      assert.equal(scheduled?.reason, 'Unschedulable');
      assert.match(scheduled?.message ?? '', /^0\/3 nodes are available: 3 Insufficient cpu\./);
      assert.equal(pod.status.phase, 'Pending');
      const failed = eventsFor(sim, pod).find((e) => e.reason === 'FailedScheduling');
      assert.equal(failed?.type, 'Warning');
      assert.equal(failed?.message, scheduled?.message);
    });
  });

  test('a missing Secret key gives CreateContainerConfigError naming it, and the pod starts once the key exists', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      const env =
        '        env:\n        - name: JWT_SECRET\n          valueFrom: {secretKeyRef: {name: bot-secret, key: JWT_SECRET}}\n';
      await kubectlOk(['apply', '-f', '-'], { input: manifest('keyed', { env }) });
      await kubectlOk(['create', 'secret', 'generic', 'bot-secret', '-n', NS, '--from-literal=OTHER=x']);
      const waiting = await sim.waitFor(
        () => {
          const state = main(podOf(sim, 'keyed'))?.state.waiting;
          return state?.reason === 'CreateContainerConfigError' && state.message?.includes("couldn't find key")
            ? state
            : undefined;
        },
        { description: 'CreateContainerConfigError for the key' },
      );
      assert.equal(waiting.message, `couldn't find key JWT_SECRET in Secret ${NS}/bot-secret`);
      assert.ok(
        eventsFor(sim, podOf(sim, 'keyed')).some(
          (e) =>
            e.type === 'Warning' &&
            e.reason === 'Failed' &&
            e.message === `Error: couldn't find key JWT_SECRET in Secret ${NS}/bot-secret`,
        ),
      );
      await kubectlOk([
        'patch',
        'secret',
        'bot-secret',
        '-n',
        NS,
        '--type=merge',
        '-p',
        JSON.stringify({ stringData: { JWT_SECRET: 'long-enough' } }),
      ]);
      await kubectlOk(['rollout', 'status', 'deployment/keyed', '-n', NS, '--timeout=20s']);
      assert.equal(main(podOf(sim, 'keyed'))?.ready, true);
    });
  });

  test('a slow pod fails its startup probe for a while, then turns Ready and the roll-out completes; logs follow', async () => {
    await withKubeSim(async ({ sim, sandbox, kubectlOk }) => {
      sim.setDeploymentBehavior({ name: 'slow' }, { outcome: 'slow', logLines: ['migrating', 'listening on :3000'] });
      const probe =
        '        startupProbe: {httpGet: {path: /health/live, port: http}, periodSeconds: 5, failureThreshold: 6}\n        readinessProbe: {httpGet: {path: /health/ready, port: http}}';
      await kubectlOk(['apply', '-f', '-'], { input: manifest('slow', { probe }) });
      await kubectlOk(['rollout', 'status', 'deployment/slow', '-n', NS, '--timeout=20s']);
      const pod = podOf(sim, 'slow');
      const startup = eventsFor(sim, pod).find((e) => e.reason === 'Unhealthy');
      assert.equal(startup?.message, 'Startup probe failed: HTTP probe failed with statuscode: 503');
      assert.equal(startup?.count, 6, 'failureThreshold 6 at period 5: failed at 0..25 s, ready at 27.5 s');
      const follow = sandbox.start(sandbox.bin.kubectl, ['logs', '-f', 'deployment/slow', '-n', NS]);
      await follow.waitForOutput('listening on :3000\n', 10_000);
      assert.equal(follow.child.exitCode, null, 'kubectl keeps following a serving container');
      await follow.stop();
    });
  });
});

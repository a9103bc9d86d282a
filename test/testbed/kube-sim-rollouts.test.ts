/**
 * Deployment roll-outs against kube-sim with the real kubectl 1.34.5: `rollout status` (success, and the
 * ProgressDeadlineExceeded failure), `rollout history` with CHANGE-CAUSE, `rollout undo [--to-revision]`,
 * `rollout restart`, `rollout pause/resume`, `set image`, `scale`, revisionHistoryLimit pruning, the surge and
 * unavailability limits of RollingUpdate, Recreate's stop-before-start, and an unchanged server-side apply that
 * starts nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject, KubeSim } from '../../kube-sim/index.ts';
import { withKubeSim } from '../support/kube-sim-harness.ts';

const NS = 'shop';

interface Deployment extends KubeObject {
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
  status: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

function manifest(
  options: { replicas?: number; image?: string; strategy?: string; extraSpec?: string; changeCause?: string } = {},
): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${NS}
${options.changeCause ? `  annotations: {kubernetes.io/change-cause: "${options.changeCause}"}\n` : ''}spec:
  replicas: ${options.replicas ?? 2}
  revisionHistoryLimit: 3
${options.extraSpec ?? ''}  strategy:
${options.strategy ?? '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}'}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${options.image ?? 'ghcr.io/acme/web:1.0.0'}
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 10, failureThreshold: 3}
`;
}

function deploymentOf(sim: KubeSim): Deployment {
  const found = sim.get<Deployment>('apps/v1', 'Deployment', NS, 'web');
  assert.ok(found, 'deployment web exists');
  return found;
}

function replicaSets(
  sim: KubeSim,
): Array<{ name: string; revision: string; replicas: number; image: string; changeCause?: string; history?: string }> {
  return sim
    .list<KubeObject & { spec: Deployment['spec'] }>('apps/v1', 'ReplicaSet', NS)
    .map((rs) => ({
      name: rs.metadata.name ?? '',
      revision: rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '',
      replicas: rs.spec.replicas,
      image: rs.spec.template.spec.containers[0]?.image ?? '',
      ...(rs.metadata.annotations?.['kubernetes.io/change-cause']
        ? { changeCause: rs.metadata.annotations['kubernetes.io/change-cause'] }
        : {}),
      ...(rs.metadata.annotations?.['deployment.kubernetes.io/revision-history']
        ? { history: rs.metadata.annotations['deployment.kubernetes.io/revision-history'] }
        : {}),
    }))
    .sort((a, b) => Number(a.revision) - Number(b.revision));
}

function podsOf(sim: KubeSim): Array<{ rs: string; ready: boolean; terminating: boolean; phase: string }> {
  return sim.list('v1', 'Pod', NS).map((pod) => ({
    rs: pod.metadata.ownerReferences?.[0]?.name ?? '',
    ready: ((pod['status'] as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    ),
    terminating: pod.metadata.deletionTimestamp !== undefined,
    phase: String((pod['status'] as { phase?: string }).phase),
  }));
}

/** Calls `observe` on every change of the simulated cluster until `stop()` (what a test cannot see by polling kubectl). */
function monitor(sim: KubeSim, observe: () => void): { stop(): void } {
  let stopped = false;
  void sim
    .waitFor(
      () => {
        observe();
        return stopped;
      },
      { timeoutMs: 60_000 },
    )
    .catch(() => undefined);
  return { stop: () => void (stopped = true) };
}

describe('Deployment roll-outs with the real kubectl', { concurrency: 4 }, () => {
  test('status, history with CHANGE-CAUSE, set image, undo (previous and --to-revision), restart, scale and pruning', async () => {
    await withKubeSim(async ({ sim, kubectl, kubectlOk }) => {
      await kubectlOk(['apply', '-f', '-'], { input: manifest({ changeCause: 'deploy 1.0.0 (commit aaaa111)' }) });
      assert.match(
        await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']),
        /deployment "web" successfully rolled out/,
      );

      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:1.1.0', '-n', NS]);
      await kubectlOk([
        'annotate',
        'deployment/web',
        '-n',
        NS,
        '--overwrite',
        'kubernetes.io/change-cause=deploy 1.1.0 (commit bbbb222)',
      ]);
      assert.match(
        await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']),
        /successfully rolled out/,
      );
      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:1.2.0', '-n', NS]);
      await kubectlOk([
        'annotate',
        'deployment/web',
        '-n',
        NS,
        '--overwrite',
        'kubernetes.io/change-cause=deploy 1.2.0 (commit cccc333)',
      ]);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);

      const history = await kubectlOk(['rollout', 'history', 'deployment/web', '-n', NS]);
      const rows = history
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s{2,}/));
      assert.deepEqual(
        rows,
        [
          ['REVISION', 'CHANGE-CAUSE'],
          ['1', 'deploy 1.0.0 (commit aaaa111)'],
          ['2', 'deploy 1.1.0 (commit bbbb222)'],
          ['3', 'deploy 1.2.0 (commit cccc333)'],
        ],
        history,
      );
      assert.match(
        await kubectlOk(['rollout', 'history', 'deployment/web', '-n', NS, '--revision=2']),
        /Image:\s+ghcr\.io\/acme\/web:1\.1\.0/,
      );

      assert.match(
        await kubectlOk(['rollout', 'undo', 'deployment/web', '-n', NS]),
        /deployment\.apps\/web rolled back/,
      );
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      assert.equal(deploymentOf(sim).spec.template.spec.containers[0]?.image, 'ghcr.io/acme/web:1.1.0');
      assert.deepEqual(
        replicaSets(sim).map((rs) => [rs.revision, rs.image, rs.replicas, rs.history ?? '']),
        [
          ['1', 'ghcr.io/acme/web:1.0.0', 0, ''],
          ['3', 'ghcr.io/acme/web:1.2.0', 0, ''],
          ['4', 'ghcr.io/acme/web:1.1.0', 2, '2'],
        ],
      );
      assert.equal(
        deploymentOf(sim).metadata.annotations?.['kubernetes.io/change-cause'],
        'deploy 1.1.0 (commit bbbb222)',
        'undo restores the change-cause recorded with that revision',
      );

      await kubectlOk(['rollout', 'undo', 'deployment/web', '-n', NS, '--to-revision=1']);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      assert.equal(deploymentOf(sim).spec.template.spec.containers[0]?.image, 'ghcr.io/acme/web:1.0.0');
      const missing = await kubectl(['rollout', 'undo', 'deployment/web', '-n', NS, '--to-revision=9']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /unable to find specified revision 9 in history/);

      await kubectlOk(['rollout', 'restart', 'deployment/web', '-n', NS]);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      // Five revisions so far; revisionHistoryLimit 3 keeps three old ReplicaSets beside the current one.
      assert.deepEqual(
        replicaSets(sim).map((rs) => rs.revision),
        ['3', '4', '5', '6'],
      );

      await kubectlOk(['scale', 'deployment/web', '-n', NS, '--replicas=4']);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      await sim.waitFor(() => podsOf(sim).filter((p) => !p.terminating && p.ready).length === 4, {
        description: 'four ready pods',
      });
      const status = deploymentOf(sim).status;
      assert.deepEqual(
        [status.replicas, status.updatedReplicas, status.availableReplicas, status.observedGeneration],
        [4, 4, 4, deploymentOf(sim).metadata.generation],
      );
      assert.deepEqual(status.conditions?.map((c) => [c.type, c.status, c.reason]).sort(), [
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ]);
    });
  });

  test('rollout status fails with ProgressDeadlineExceeded when the new pods never turn Ready, and undo brings the old ReplicaSet back', async () => {
    await withKubeSim(async ({ sim, kubectl, kubectlOk }) => {
      sim.setDeploymentBehavior({ namespace: NS, image: 'ghcr.io/acme/web:broken' }, { outcome: 'never-ready' });
      await kubectlOk(['apply', '-f', '-'], { input: manifest({ extraSpec: '  progressDeadlineSeconds: 2\n' }) });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:broken', '-n', NS]);
      const status = await kubectl(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=30s']);
      assert.equal(status.code, 1, status.stdout);
      // maxSurge 1: one new pod beside the two old ones, which stay because it never turns Ready. (Condition times have
      // whole seconds, as on a real server, so a deadline of 2 s leaves kubectl at least one to report progress.)
      assert.match(
        status.stdout,
        /Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated\.\.\./,
      );
      assert.match(status.stderr, /error: deployment "web" exceeded its progress deadline/);
      const progressing = deploymentOf(sim).status.conditions?.find((c) => c.type === 'Progressing');
      assert.equal(progressing?.reason, 'ProgressDeadlineExceeded');
      assert.match(progressing?.message ?? '', /^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
      // maxUnavailable 0: the old pods kept serving the whole time.
      assert.equal(podsOf(sim).filter((p) => p.ready && !p.terminating).length, 2);

      await kubectlOk(['rollout', 'undo', 'deployment/web', '-n', NS]);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      assert.equal(deploymentOf(sim).spec.template.spec.containers[0]?.image, 'ghcr.io/acme/web:1.0.0');
      await sim.waitFor(() => podsOf(sim).every((p) => p.ready && !p.terminating) && podsOf(sim).length === 2, {
        description: 'only the two old-image pods are left',
      });
    });
  });

  test('RollingUpdate stays within maxSurge and maxUnavailable while it replaces every pod', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      await kubectlOk(['apply', '-f', '-'], {
        input: manifest({
          replicas: 4,
          strategy: '    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}',
        }),
      });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      let mostPods = 0;
      let fewestReady = Number.POSITIVE_INFINITY;
      const watch = monitor(sim, () => {
        const live = sim
          .list<KubeObject & { spec: { replicas: number } }>('apps/v1', 'ReplicaSet', NS)
          .reduce((n, rs) => n + rs.spec.replicas, 0);
        mostPods = Math.max(mostPods, live);
        fewestReady = Math.min(fewestReady, podsOf(sim).filter((p) => p.ready && !p.terminating).length);
      });
      try {
        await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:2.0.0', '-n', NS]);
        await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=30s']);
      } finally {
        watch.stop();
      }
      assert.equal(mostPods, 5, 'replicas + maxSurge pods at most, and the surge was used');
      assert.equal(fewestReady, 3, 'replicas - maxUnavailable ready pods at least');
      assert.deepEqual(
        replicaSets(sim).map((rs) => [rs.image, rs.replicas]),
        [
          ['ghcr.io/acme/web:1.0.0', 0],
          ['ghcr.io/acme/web:2.0.0', 4],
        ],
      );
    });
  });

  test('Recreate stops every old pod before the new ReplicaSet starts one', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      await kubectlOk(['apply', '-f', '-'], { input: manifest({ replicas: 2, strategy: '    type: Recreate' }) });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      const [oldRs] = replicaSets(sim);
      let overlap = false;
      const watch = monitor(sim, () => {
        const pods = podsOf(sim);
        if (pods.some((p) => p.rs === oldRs?.name) && pods.some((p) => p.rs !== oldRs?.name)) overlap = true;
      });
      try {
        await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:2.0.0', '-n', NS]);
        await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=30s']);
      } finally {
        watch.stop();
      }
      assert.equal(overlap, false, 'no new pod existed while an old one (terminating included) was still there');
      assert.deepEqual(
        replicaSets(sim).map((rs) => [rs.image, rs.replicas]),
        [
          ['ghcr.io/acme/web:1.0.0', 0],
          ['ghcr.io/acme/web:2.0.0', 2],
        ],
      );
    });
  });

  test('a paused Deployment keeps its template change for later and cannot be rolled back', async () => {
    await withKubeSim(async ({ sim, kubectl, kubectlOk }) => {
      await kubectlOk(['apply', '-f', '-'], { input: manifest() });
      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:2.0.0', '-n', NS]);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      await kubectlOk(['rollout', 'pause', 'deployment/web', '-n', NS]);
      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:3.0.0', '-n', NS]);
      await sim.waitFor(() => deploymentOf(sim).status.conditions?.some((c) => c.reason === 'DeploymentPaused'), {
        description: 'paused condition',
      });
      assert.equal(replicaSets(sim).length, 2, 'no new ReplicaSet while paused');
      const undo = await kubectl(['rollout', 'undo', 'deployment/web', '-n', NS]);
      assert.equal(undo.code, 1);
      assert.match(
        undo.stderr,
        /you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again/,
      );
      await kubectlOk(['rollout', 'resume', 'deployment/web', '-n', NS]);
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      assert.deepEqual(
        replicaSets(sim).map((rs) => [rs.revision, rs.image, rs.replicas]),
        [
          ['1', 'ghcr.io/acme/web:1.0.0', 0],
          ['2', 'ghcr.io/acme/web:2.0.0', 0],
          ['3', 'ghcr.io/acme/web:3.0.0', 2],
        ],
      );
      assert.ok(deploymentOf(sim).status.conditions?.some((c) => c.reason === 'NewReplicaSetAvailable'));
    });
  });

  test('a server-side apply of an unchanged Deployment keeps its generation and starts no roll-out', async () => {
    await withKubeSim(async ({ sim, kubectlOk }) => {
      const apply = ['apply', '--server-side', '--field-manager=deckhand', '-f', '-'];
      await kubectlOk(apply, { input: manifest({ changeCause: 'first' }) });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      const before = deploymentOf(sim);
      const again = await kubectlOk(apply, { input: manifest({ changeCause: 'first' }) });
      assert.match(again, /deployment\.apps\/web serverside-applied/);
      const after = deploymentOf(sim);
      assert.equal(after.metadata.generation, before.metadata.generation);
      assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'nothing was written');
      assert.equal(replicaSets(sim).length, 1);
      await kubectlOk(apply, { input: manifest({ changeCause: 'second', image: 'ghcr.io/acme/web:1.0.1' }) });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      assert.equal(deploymentOf(sim).metadata.generation, (before.metadata.generation ?? 0) + 1);
      assert.deepEqual(
        replicaSets(sim).map((rs) => [rs.revision, rs.changeCause]),
        [
          ['1', 'first'],
          ['2', 'second'],
        ],
      );
    });
  });
});

/**
 * The roll-out watcher when the API drops its watches, with the real kubectl against the simulated cluster: it
 * watches again after the API ends its watches, rides out a short outage (the retries' wait is the test's: it brings
 * the API back before the third attempt), and gives up with WatchConnectionLost when the API stays away.
 *
 * The Deployment is created only after the drop, so the roll-out can only complete through the new watches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatchConnectionLost, type WatchRetry } from '../../scripts/steps/cluster/resumable-watch.ts';
import { watchRollout } from '../../scripts/steps/service/watch.ts';
import { createShell } from '../../scripts/lib/shell.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import { withKubeSim, type SimCluster } from '../support/kube-sim-harness.ts';

const NS = 'shop';
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: ghcr.io/acme/web:1.0.0}
`;
const ROLLOUT_WATCHES = 4;

async function watchWeb({ sim, sandbox, kubectlOk }: SimCluster, retry: WatchRetry) {
  await kubectlOk(['create', 'namespace', NS]);
  const shell = createShell({
    dryRun: false,
    verbose: false,
    masker: new SecretMasker(),
    log: () => undefined,
    env: sandbox.env,
  });
  const notes: string[] = [];
  const watching = watchRollout({
    shell,
    target: {
      kubeconfig: sandbox.kubeconfig,
      context: 'kube-sim',
      cluster: 'kube-sim',
      server: sim.url,
      namespace: NS,
      explicit: true,
      kubeconfigSource: 'test',
    },
    namespace: NS,
    targets: [{ deployment: 'web', generation: 1 }],
    timeoutMs: 60_000,
    onLogLine: () => undefined,
    onNote: (note) => notes.push(note),
    retry,
  });
  watching.catch(() => undefined);
  await sim.waitFor((s) => s.openWatches().filter((watch) => watch.namespace === NS).length === ROLLOUT_WATCHES, {
    description: 'the four roll-out watches are open',
  });
  return { watching, notes };
}

const watchesOpen = (cluster: SimCluster) =>
  cluster.sim.waitFor((s) => s.openWatches().filter((watch) => watch.namespace === NS).length === ROLLOUT_WATCHES, {
    description: 'the roll-out watches are open again',
  });

describe('the roll-out watch when the API drops it', () => {
  it('watches again after the API ends its watches, and sees the roll-out through', async () => {
    await withKubeSim(async (cluster) => {
      const { watching, notes } = await watchWeb(cluster, { attempts: 8, firstWaitMs: 0 });
      assert.equal(
        cluster.sim.closeWatches((watch) => watch.namespace === NS),
        ROLLOUT_WATCHES,
      );
      await watchesOpen(cluster);
      await cluster.kubectlOk(['apply', '-f', '-'], { input: DEPLOYMENT });
      const result = await watching;
      assert.equal(result.outcome, 'complete');
      assert.deepEqual(result.revisions, { web: 1 });
      assert.ok(
        notes.includes('API connection dropped; watching deployments again (attempt 2 of 8).'),
        notes.join('\n'),
      );
    });
  });

  it('rides out a short outage: the API refuses two attempts, then answers', async () => {
    await withKubeSim(async (cluster) => {
      const { watching, notes } = await watchWeb(cluster, {
        attempts: 4,
        firstWaitMs: 0,
        wait: async (attempt) => {
          if (attempt === 3) await cluster.sim.goOnline();
        },
      });
      cluster.sim.goOffline();
      await watchesOpen(cluster);
      await cluster.kubectlOk(['apply', '-f', '-'], { input: DEPLOYMENT });
      const result = await watching;
      assert.equal(result.outcome, 'complete');
      // Whichever watch came to its third attempt first brought the API back; none needed a fourth.
      assert.ok(
        notes.some((note) => /^API connection dropped; watching \S+ again \(attempt 3 of 4\)\.$/.test(note)),
        notes.join('\n'),
      );
      assert.ok(!notes.some((note) => note.includes('attempt 4 of 4')), notes.join('\n'));
    });
  });

  it('gives up with WatchConnectionLost when the API stays away', async () => {
    await withKubeSim(async (cluster) => {
      const { watching, notes } = await watchWeb(cluster, { attempts: 3, firstWaitMs: 0 });
      cluster.sim.goOffline();
      await assert.rejects(watching, (error: unknown) => {
        assert.ok(error instanceof WatchConnectionLost, String(error));
        assert.equal(error.attempts, 3);
        assert.match(error.reason, /The connection to the server 127\.0\.0\.1:\d+ was refused/);
        return true;
      });
      assert.ok(
        notes.some((note) => note.includes('attempt 3 of 3')),
        notes.join('\n'),
      );
      await cluster.sim.goOnline();
    });
  });
});

/**
 * The roll-out watcher on its own, with the real kubectl against the simulated cluster: it streams the new pods' logs
 * while it waits, ends when the new ReplicaSet is available (naming the revision), and stops when told to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { watchRollout } from '../../scripts/steps/service/watch.ts';
import { createShell } from '../../scripts/lib/shell.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import { withKubeSim } from '../support/kube-sim-harness.ts';

const NS = 'shop';

function manifest(image: string): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: ${image}}
`;
}

describe('watching a roll-out', () => {
  it('streams the new pod’s log while it waits, and stops when told to', async () => {
    await withKubeSim(async ({ sim, sandbox, kubectlOk }) => {
      // Running but not Ready for ten minutes, with no probe to fail: the watch can only wait.
      sim.setDeploymentBehavior(
        { namespace: NS, name: 'web' },
        { outcome: 'slow', readyAfterMs: 600_000, logLines: ['migrating', 'listening on :8080'] },
      );
      await kubectlOk(['apply', '-f', '-'], { input: manifest('ghcr.io/acme/web:1.0.0') });
      const shell = createShell({
        dryRun: false,
        verbose: false,
        masker: new SecretMasker(),
        log: () => undefined,
        env: sandbox.env,
      });
      const target = {
        kubeconfig: sandbox.kubeconfig,
        context: 'kube-sim',
        cluster: 'kube-sim',
        server: sim.url,
        namespace: NS,
        explicit: true,
        kubeconfigSource: 'test',
      };
      const stop = new AbortController();
      const lines: string[] = [];
      const notes: string[] = [];
      const watching = watchRollout({
        shell,
        target,
        namespace: NS,
        targets: [{ deployment: 'web', generation: 1 }],
        timeoutMs: 60_000,
        onLogLine: (line, deployment) => {
          lines.push(`${deployment}: ${line}`);
          if (line === 'listening on :8080') stop.abort();
        },
        onNote: (note) => notes.push(note),
        stopSignal: stop.signal,
      });
      await assert.rejects(watching, /The roll-out watch was stopped/);
      assert.deepEqual(lines, ['web: migrating', 'web: listening on :8080']);
      assert.ok(
        notes.some((note) => /^Pod web-\S+ started; following its logs\.$/.test(note)),
        notes.join('\n'),
      );
      await sim.waitFor(() => sim.openStreams() === 0, { description: 'every watch and log stream closed' });
    });
  });

  it('ends when the new ReplicaSet is available, naming its revision', async () => {
    await withKubeSim(async ({ sim, sandbox, kubectlOk }) => {
      await kubectlOk(['apply', '-f', '-'], { input: manifest('ghcr.io/acme/web:1.0.0') });
      await kubectlOk(['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=20s']);
      await kubectlOk(['set', 'image', 'deployment/web', 'web=ghcr.io/acme/web:2.0.0', '-n', NS]);
      const shell = createShell({
        dryRun: false,
        verbose: false,
        masker: new SecretMasker(),
        log: () => undefined,
        env: sandbox.env,
      });
      const target = {
        kubeconfig: sandbox.kubeconfig,
        context: 'kube-sim',
        cluster: 'kube-sim',
        server: sim.url,
        namespace: NS,
        explicit: true,
        kubeconfigSource: 'test',
      };
      const result = await watchRollout({
        shell,
        target,
        namespace: NS,
        targets: [{ deployment: 'web', generation: 2 }],
        timeoutMs: 60_000,
        onLogLine: () => undefined,
        onNote: () => undefined,
      });
      assert.equal(result.outcome, 'complete');
      assert.deepEqual(result.revisions, { web: 2 });
      const newest = sim
        .list('apps/v1', 'ReplicaSet', NS)
        .find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2');
      assert.equal(result.newReplicaSets['web'], newest?.metadata.name);
    });
  });
});

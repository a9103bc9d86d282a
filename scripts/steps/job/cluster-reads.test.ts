import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDirs } from '../../../test/support/temp.ts';
import { fakeRunner, json } from '../../../test/support/fake-runner.ts';
import { caelundas } from '../../apps/caelundas.ts';
import { SecretMasker } from '../../lib/redact.ts';
import { createShell } from '../../lib/shell.ts';
import { namespaceManifest } from '../cluster/namespace.ts';
import type { Config } from '../../lib/config.ts';
import type { Runner } from '../../lib/shell.ts';
import { prepareNamespaceAndSecret, startReadsAhead, stopReadsAhead } from './deploy.ts';
import type { DeployDeps, DeployRun } from './deploy-run.ts';
import type { DeployPlan } from './plan.ts';

const newDir = tempDirs('cluster-reads');
const target = {
  kubeconfig: '/k',
  context: 'c',
  cluster: 'c',
  server: 'https://lke.example:443',
  namespace: 'caelundas',
  explicit: false,
  kubeconfigSource: 'test',
};
const INPUTS = { START_DATE: '2026-01-01', END_DATE: '2026-12-31', LATITUDE: '40.7', LONGITUDE: '-74.0' };

/** A cluster with the namespace and no Secret yet. */
function clusterAnswers(command: string) {
  if (command.startsWith('kubectl version'))
    return json({ clientVersion: { gitVersion: 'v1.34.5' }, serverVersion: { gitVersion: 'v1.34.1' } });
  if (command === 'kubectl get --raw /api/v1/namespaces/caelundas') return json(namespaceManifest('caelundas'));
  if (command.startsWith('kubectl get --raw'))
    return { exitCode: 1, stderr: 'Error from server (NotFound): secrets "caelundas-env-secret" not found\n' };
  return undefined;
}

function deployRun(shell: Runner, overrides: Partial<DeployRun> = {}, config: Partial<Config> = {}): DeployRun {
  // Only what these steps read: the runner, the registry and the (optional) pull token.
  const deps = { shell, config: { image: { registry: 'ghcr.io' }, ...config } } as DeployDeps;
  return {
    deps,
    app: caelundas,
    flags: { rebuild: false, allowDirty: false, cleanup: false },
    namespace: 'caelundas',
    tools: { buildx: false },
    target,
    clusterReadable: false,
    installed: false,
    plan: { namespace: 'caelundas', setString: {} } as unknown as DeployPlan,
    inputs: INPUTS,
    ...overrides,
  };
}

function fakeTask() {
  const lines: string[] = [];
  return {
    lines,
    task: {
      set output(line: string) {
        lines.push(line);
      },
      title: '',
    } as never,
  };
}

describe('the cluster reads a deploy starts with its prerequisite checks', () => {
  it('are used by the namespace step: one cluster check, one GET each, then only the missing Secret is applied', async () => {
    const shell = fakeRunner(clusterAnswers);
    const run = deployRun(shell);
    run.clusterReads = startReadsAhead(run, target);
    const { lines, task } = fakeTask();
    await prepareNamespaceAndSecret(run, task);
    assert.deepEqual(shell.calls.filter((call) => !call.startsWith('kubectl apply')).sort(), [
      'kubectl get --raw /api/v1/namespaces/caelundas',
      'kubectl get --raw /api/v1/namespaces/caelundas/secrets/caelundas-env-secret',
      'kubectl version --output json --request-timeout 10s',
    ]);
    assert.equal(shell.writes.length, 1, 'one apply, for the Secret');
    assert.ok(lines.includes('Cluster https://lke.example:443 answers (Kubernetes v1.34.1)'), lines.join('\n'));
    assert.ok(lines.includes('Namespace caelundas: unchanged (Pod Security: restricted)'), lines.join('\n'));
    assert.ok(lines.includes('Secret caelundas-env-secret: created'), lines.join('\n'));
    assert.equal(run.clusterReadable, true);
  });

  it('are taken again when inputs were typed at a prompt, since time has passed', async () => {
    const shell = fakeRunner(clusterAnswers);
    const run = deployRun(shell, { inputsPrompted: true });
    run.clusterReads = startReadsAhead(run, target);
    await prepareNamespaceAndSecret(run, fakeTask().task);
    assert.equal(shell.calls.filter((call) => call === 'kubectl get --raw /api/v1/namespaces/caelundas').length, 2);
  });

  it("report the cluster check's failure, with its kubeconfig hint, when the cluster does not answer", async () => {
    const shell = fakeRunner(() => ({
      exitCode: 1,
      stderr: 'Unable to connect to the server: dial tcp 10.0.0.1:443: i/o timeout\n',
    }));
    const run = deployRun(shell);
    run.clusterReads = startReadsAhead(run, target);
    await assert.rejects(prepareNamespaceAndSecret(run, fakeTask().task), (error: Error & { fix?: string }) => {
      assert.match(error.message, /kubectl version/);
      assert.match(error.fix ?? '', /cluster behind https:\/\/lke\.example:443 is up/);
      return true;
    });
    assert.equal(shell.writes.length, 0, 'nothing is written');
  });

  it('include the image pull secret when a pull token is configured', async () => {
    const shell = fakeRunner(clusterAnswers);
    const run = deployRun(shell, {}, { pullToken: 'pull-token-value' });
    run.clusterReads = startReadsAhead(run, target);
    await run.clusterReads.settled;
    assert.ok(
      shell.calls.includes('kubectl get --raw /api/v1/namespaces/caelundas/secrets/caelundas-registry'),
      shell.calls.join('\n'),
    );
  });

  it('are stopped when the run fails before it needs them, instead of being waited for', async () => {
    // A kubectl that hangs, like one talking to an API that does not answer.
    const bin = newDir();
    // It never ends by itself: without the stop, this test would hang (and fail on the runner's timeout).
    writeFileSync(path.join(bin, 'kubectl'), '#!/bin/sh\nexec sleep 3600\n', { mode: 0o755 });
    const shell = createShell({
      dryRun: false,
      verbose: false,
      masker: new SecretMasker(),
      log: () => undefined,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      killGraceMs: 500,
    });
    const run = deployRun(shell);
    run.clusterReads = startReadsAhead(run, target);
    stopReadsAhead(run);
    const { version, state } = await run.clusterReads.settled;
    assert.equal(version.status, 'rejected');
    assert.equal(state.status, 'rejected');
  });
});

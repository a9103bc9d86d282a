import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { tempDirs } from '../../../test/support/temp.ts';
import { fakeRunner, json } from '../../../test/support/fake-runner.ts';
import { caelundas } from '../../apps/caelundas.ts';
import { SecretMasker } from '../../lib/redact.ts';
import { createShell } from '../../lib/shell.ts';
import { UsageError } from '../../lib/errors.ts';
import { namespaceManifest } from '../cluster/namespace.ts';
import type { Config } from '../../lib/config.ts';
import type { Runner } from '../../lib/shell.ts';
import { prepareNamespaceAndSecret, startReadsAhead, stopReadsAhead } from './deploy.ts';
import type { DeployDeps, DeployRun } from './deploy-run.ts';
import { claimReleaseName, type DeployPlan } from './plan.ts';

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

const RELEASE = 'caelundas-20260125-143022';

/** A cluster with deckhand's namespace and no Secret yet. */
function clusterAnswers(command: string) {
  if (command.startsWith('kubectl version'))
    return json({ clientVersion: { gitVersion: 'v1.34.5' }, serverVersion: { gitVersion: 'v1.34.1' } });
  if (command === 'kubectl get --raw /api/v1/namespaces/caelundas') return json(namespaceManifest('caelundas'));
  if (command.startsWith('kubectl get --raw'))
    return { exitCode: 1, stderr: 'Error from server (NotFound): secrets "caelundas-registry" not found\n' };
  return undefined;
}

function plan(): DeployPlan {
  const base = {
    app: caelundas,
    namespace: 'caelundas',
    cluster: 'lke',
    runId: 'run-1',
    outputRoot: '/out',
    setString: {},
    startedAt: '2026-01-25T14:30:22.000Z',
  } as unknown as DeployPlan;
  return claimReleaseName(base, RELEASE);
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
    plan: plan(),
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
  it("are used by the namespace step: one cluster check, one GET, then only the run's own Secret is created", async () => {
    const shell = fakeRunner(clusterAnswers);
    const run = deployRun(shell);
    run.clusterReads = startReadsAhead(run, target);
    const { lines, task } = fakeTask();
    await prepareNamespaceAndSecret(run, task);
    assert.deepEqual(shell.calls.filter((call) => !call.startsWith('kubectl create')).sort(), [
      'kubectl get --raw /api/v1/namespaces/caelundas',
      'kubectl version --output json --request-timeout 10s',
    ]);
    assert.deepEqual(shell.writes, [
      'kubectl create --raw /api/v1/namespaces/caelundas/secrets?fieldValidation=Strict --filename -',
    ]);
    assert.ok(lines.includes('Cluster https://lke.example:443 answers (Kubernetes v1.34.1)'), lines.join('\n'));
    assert.ok(lines.includes('Namespace caelundas: unchanged (Pod Security: restricted)'), lines.join('\n'));
    assert.ok(lines.includes(`Secret ${RELEASE}-inputs: created (this run's inputs)`), lines.join('\n'));
    assert.equal(run.clusterReadable, true);
    assert.equal(run.inputsSecretCreated, true);
  });

  it('creates the inputs Secret with create-if-absent, values on stdin, labelled with the run, and moves on from a taken name', async () => {
    const inputs: string[] = [];
    let creates = 0;
    const shell = fakeRunner((command) => {
      if (command.startsWith('kubectl create') && ++creates === 1)
        return {
          exitCode: 1,
          stderr: `Error from server (AlreadyExists): secrets "${RELEASE}-inputs" already exists\n`,
        };
      return clusterAnswers(command);
    });
    // Every runner the step derives (withLog) records what went to stdin.
    const recording = (runner: Runner): Runner => ({
      ...runner,
      withLog: (log) => recording(runner.withLog(log)),
      run: async (argv, options) => {
        if (options.input !== undefined) inputs.push(String(options.input));
        return runner.run(argv, options);
      },
    });
    const run = deployRun(recording(shell));
    const { lines, task } = fakeTask();
    await prepareNamespaceAndSecret(run, task);
    assert.equal(run.plan!.release, `${RELEASE}-2`);
    assert.equal(run.plan!.inputsSecret, `${RELEASE}-2-inputs`);
    assert.equal(run.plan!.setString['secretEnv.name'], `${RELEASE}-2-inputs`);
    assert.ok(
      lines.some((line) => line.includes(`${RELEASE} is taken by another run`)),
      lines.join('\n'),
    );
    const created = JSON.parse(inputs.at(-1)!) as { metadata: { name: string; labels: Record<string, string> } };
    assert.equal(created.metadata.name, `${RELEASE}-2-inputs`);
    assert.equal(created.metadata.labels['app.kubernetes.io/instance'], `${RELEASE}-2`);
    assert.equal(created.metadata.labels['deckhand.dev/run-id'], 'run-1');
    assert.ok(!shell.writes.join(' ').includes('40.7'), 'values never on argv');
  });

  it('leaves the labels of an existing namespace deckhand did not create, and says so', async () => {
    const shell = fakeRunner((command) => {
      if (command === 'kubectl get --raw /api/v1/namespaces/caelundas')
        return json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'caelundas', labels: { team: 'a' } } });
      if (command.startsWith('kubectl get pods')) return json({ items: [{ metadata: { name: 'web-1' }, spec: {} }] });
      return clusterAnswers(command);
    });
    const run = deployRun(shell);
    const { lines, task } = fakeTask();
    await prepareNamespaceAndSecret(run, task);
    assert.ok(!shell.writes.some((write) => write.startsWith('kubectl apply')), shell.writes.join('\n'));
    assert.ok(
      lines.some((line) =>
        /Namespace caelundas: exists and was not created by deckhand, so its labels are left/.test(line),
      ),
      lines.join('\n'),
    );
  });

  it('refuses a namespace that runs system workloads with exit 2, and writes nothing', async () => {
    const shell = fakeRunner((command) => {
      if (command === 'kubectl get --raw /api/v1/namespaces/caelundas')
        return json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'caelundas' } });
      if (command.startsWith('kubectl get pods'))
        return json({
          items: [{ metadata: { name: 'coredns-1' }, spec: { priorityClassName: 'system-cluster-critical' } }],
        });
      return clusterAnswers(command);
    });
    await assert.rejects(prepareNamespaceAndSecret(deployRun(shell), fakeTask().task), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.exitCode, 2);
      assert.match(
        error.message,
        /Refusing to deploy into namespace caelundas: it runs system workloads \(coredns-1\)/,
      );
      return true;
    });
    assert.deepEqual(shell.writes, []);
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

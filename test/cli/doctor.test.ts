/**
 * `doctor` as users run it: the report on stdout, and a last line that says "ready" only for what is ready. The PATH
 * holds exactly the programs each case needs (the real helm and kubectl, bash for the runner, docker when asked), so
 * what is installed on the test machine does not leak in.
 */
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { tempDirs } from '../support/temp.ts';

const tempDir = tempDirs('doctor');

async function machine(programs: string[]): Promise<{ home: string; env: NodeJS.ProcessEnv }> {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  const home = path.join(root, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  for (const program of ['bash', ...programs]) symlinkSync(`/usr/bin/${program}`, path.join(bin, program));
  const { binDir } = await ensureKubeBinaries();
  return { home, env: { PATH: [binDir, bin, path.dirname(process.execPath)].join(path.delimiter), HOME: home } };
}

describe('doctor', () => {
  let sim: KubeSim;
  before(async () => {
    sim = await startKubeSim({ quiet: true });
  });
  after(() => sim.stop());

  it('without a kubeconfig or docker: the report on stdout, ready for --dry-run only, and why not for the rest', async () => {
    const { env } = await machine([]);
    const result = await runCli(['doctor'], { env });
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^✔ helm +helm v4\.1\.4$/m);
    assert.match(result.stdout, /^⚠ kubeconfig +No kubeconfig at /m);
    assert.match(result.stdout, /^⚠ docker +docker is not installed$/m);
    assert.equal(
      result.stdout.trimEnd().split('\n').at(-1),
      'Ready for --dry-run; not ready to deploy: no kubeconfig, no docker, IMAGE_OWNER not set; not ready for infra: no terraform.',
    );
    assert.doesNotMatch(result.output, /^✔ Ready\.$/m);
    assert.doesNotMatch(result.stderr, /helm|kubeconfig/, 'the report is not on stderr');
  });

  it('with a cluster that answers but no docker engine: ready to deploy an existing image, not to build one', async () => {
    const { home, env } = await machine(['docker']);
    await sim.writeKubeconfig(path.join(home, '.kube', 'config'));
    const result = await runCli(['doctor'], {
      env: { ...env, IMAGE_OWNER: 'me', DOCKER_HOST: `unix://${path.join(home, 'no-docker.sock')}` },
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^✔ cluster +Target: context /m);
    assert.match(result.stdout, /^⚠ docker engine +no docker engine answers$/m);
    assert.equal(
      result.stdout.trimEnd().split('\n').at(-1),
      'Ready for --dry-run, deploy --image; not ready to build images: no docker engine; not ready for infra: no terraform.',
    );
  });

  it('with a missing helm: exits 1, says helm is not installed, and does not call it a cluster problem', async () => {
    const { home, env } = await machine([]);
    await sim.writeKubeconfig(path.join(home, '.kube', 'config'));
    const { binDir } = await ensureKubeBinaries();
    const kubectlOnly = path.join(home, 'kubectl-only');
    mkdirSync(kubectlOnly);
    symlinkSync(path.join(binDir, 'kubectl'), path.join(kubectlOnly, 'kubectl'));
    const result = await runCli(['doctor'], {
      env: { ...env, PATH: env.PATH!.replace(binDir, kubectlOnly), IMAGE_OWNER: 'me' },
    });
    assert.equal(result.code, 1, result.output);
    assert.match(result.stdout, /^✖ helm +helm is not installed$/m);
    assert.match(result.stdout, /not ready to deploy: no helm/);
    assert.match(result.stderr, /1 check failed: helm\./);
    assert.doesNotMatch(result.output, /reachable/);

    // Every command says the same, not "is the cluster reachable?" (the hint of a helm call that did run).
    const releases = await runCli(['releases', 'caelundas'], {
      env: { ...env, PATH: env.PATH!.replace(binDir, kubectlOnly) },
    });
    assert.equal(releases.code, 1, releases.output);
    assert.match(releases.stderr, /^✖ helm is not installed \(or not on PATH\)\.$/m);
    assert.match(releases.stderr, /→ Install helm .*`npx tsx tasks\.ts doctor` checks every tool/);
    assert.doesNotMatch(releases.output, /reachable|exit 127/);
  });
});

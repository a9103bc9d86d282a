/**
 * `doctor` as users run it: the report on stdout, one line per check with its fix, a last line that says "ready" only
 * for what is ready, exit 1 only when a ✖ check failed, and --json with stable field names. The PATH holds exactly
 * the programs each case needs (the real helm and kubectl, bash for the runner, docker when asked, a stand-in where
 * this machine has no real program: buildx, an old terraform), so what is installed on the test machine does not
 * leak in; the project's .env and .deckhand/ are never read (temp DECKHAND_ENV_DIR and DECKHAND_STATE_ROOT).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '../../kube-sim/index.ts';
import { ensureKubeBinaries } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { startLinodeApiServer, type LinodeApiServer } from '../support/linode-api-server.ts';
import { tempDirs } from '../support/temp.ts';

const tempDir = tempDirs('doctor');
const execFileAsync = promisify(execFile);
const TOKEN = 'doctor-linode-token-0a1b2c3d4e5f6a7b8c9d';

interface Machine {
  root: string;
  home: string;
  bin: string;
  env: NodeJS.ProcessEnv;
}

async function machine(programs: string[]): Promise<Machine> {
  const root = tempDir();
  const bin = path.join(root, 'bin');
  const home = path.join(root, 'home');
  mkdirSync(bin);
  mkdirSync(home);
  mkdirSync(path.join(root, 'env'));
  for (const program of ['bash', ...programs]) symlinkSync(`/usr/bin/${program}`, path.join(bin, program));
  const { binDir } = await ensureKubeBinaries();
  return {
    root,
    home,
    bin,
    env: {
      PATH: [binDir, bin, path.dirname(process.execPath)].join(path.delimiter),
      HOME: home,
      DECKHAND_ENV_DIR: path.join(root, 'env'),
      DECKHAND_STATE_ROOT: root,
    },
  };
}

/** A program that answers each argument line it knows with fixed output (for tools this machine does not have). */
function standIn(bin: string, name: string, answers: Record<string, string>): void {
  const cases = Object.entries(answers)
    .map(
      ([args, out]) =>
        `  ${JSON.stringify(args)}) printf '%s\\n' $'${out.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}' ;;`,
    )
    .join('\n');
  writeFileSync(
    path.join(bin, name),
    `#!/bin/bash\ncase "$*" in\n${cases}\n  *) echo "stand-in ${name}: unexpected $*" >&2; exit 1 ;;\nesac\n`,
  );
  chmodSync(path.join(bin, name), 0o755);
}

const lastLine = (stdout: string) => stdout.trimEnd().split('\n').at(-1);

describe('doctor', { concurrency: 4 }, () => {
  let sim: KubeSim;
  let api: LinodeApiServer;
  let narrowApi: LinodeApiServer;
  before(async () => {
    [sim, api, narrowApi] = await Promise.all([
      startKubeSim({ quiet: true }),
      startLinodeApiServer({ token: TOKEN, clusters: [] }),
      startLinodeApiServer({ token: TOKEN, clusters: [], scopes: 'lke:read_only' }),
    ]);
  });
  after(() => Promise.all([sim.stop(), api.close(), narrowApi.close()]));

  it('without a kubeconfig or docker: the report on stdout, ready for --dry-run only, and why not for the rest', async () => {
    const { env } = await machine([]);
    const result = await runCli(['doctor'], { env });
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^✔ helm +helm v4\.1\.4$/m);
    assert.match(result.stdout, /^⚠ kubeconfig +No kubeconfig at /m);
    assert.match(result.stdout, /^⚠ docker +docker is not installed$/m);
    assert.match(result.stdout, /^⚠ linode token +LINODE_TOKEN is not set/m);
    assert.equal(
      lastLine(result.stdout),
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
    assert.match(result.stdout, /→ Start Docker Desktop \/ `sudo systemctl start docker` \(deploy needs it to build/);
    assert.match(
      result.stdout,
      /^⚠ ghcr\.io login +docker has no credential for ghcr\.io and GITHUB_TOKEN is not set/m,
    );
    assert.match(
      result.stdout,
      /→ Set GITHUB_TOKEN \(a token with write:packages\) in \.env, or log in once: docker login ghcr\.io/,
    );
    assert.equal(
      lastLine(result.stdout),
      'Ready for --dry-run, deploy --image; not ready to build images: no docker engine, no ghcr.io login; not ready for infra: no terraform.',
    );
  });

  it("finds docker's credential for the registry in its config file", async () => {
    const { home, env } = await machine(['docker']);
    mkdirSync(path.join(home, '.docker'));
    writeFileSync(
      path.join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('me:ghp_x').toString('base64') } } }),
    );
    const result = await runCli(['doctor'], { env: { ...env, DOCKER_HOST: `unix://${path.join(home, 'none.sock')}` } });
    assert.match(result.stdout, /^✔ ghcr\.io login +docker has a credential for ghcr\.io$/m);
  });

  it('with a missing helm: exits 1, offers tools install, and does not call it a cluster problem', async () => {
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
    assert.match(
      result.stdout,
      /→ Install Helm 4: npx tsx tasks\.ts tools install +\(the pinned helm 4 and kubectl 1\.34/,
    );
    assert.match(result.stdout, /not ready to deploy: no helm/);
    assert.match(result.stderr, /1 check failed: helm\./);
    assert.doesNotMatch(result.output, /reachable/);

    // Every command that needs helm says the same, with how to install it — not "is the cluster reachable?" (the
    // hint of a helm call that did run).
    const withoutHelm = { ...env, PATH: env.PATH!.replace(binDir, kubectlOnly), IMAGE_OWNER: 'me' };
    const run = '--release=caelundas-20260101-000000';
    for (const args of [
      ['releases', 'caelundas'],
      ['uninstall', 'caelundas', run, '--yes'],
      ['logs', 'caelundas', run],
      ['copy', 'caelundas', run],
    ]) {
      const result = await runCli(args, { env: withoutHelm });
      assert.equal(result.code, 1, result.output);
      assert.match(result.stderr, /^✖ helm is not installed \(or not on PATH\)\.$/m, args[0]);
      assert.match(result.stderr, /→ Install it with `npx tsx tasks\.ts tools install` \(the pinned helm 4/, args[0]);
      assert.doesNotMatch(result.output, /reachable|exit 127/, args[0]);
    }
    symlinkSync('/usr/bin/git', path.join(kubectlOnly, 'git'));
    const deploy = await runCli(['deploy', 'caelundas', '--image', 'ghcr.io/me/caelundas:1.0.0'], { env: withoutHelm });
    assert.equal(deploy.code, 1, deploy.output);
    assert.match(
      deploy.stderr,
      /- helm is not installed \(not on PATH\): npx tsx tasks\.ts tools install +\(the pinned helm 4 and kubectl 1\.34/,
    );
    assert.doesNotMatch(deploy.output, /reachable|exit 127/);
  });

  it('checks the Linode token against the API: valid with its scopes, rejected, or without the scopes infra needs', async () => {
    const { env } = await machine([]);
    const [valid, rejected, narrow] = await Promise.all([
      runCli(['doctor'], { env: { ...env, LINODE_TOKEN: TOKEN, LINODE_API_URL: api.apiUrl } }),
      runCli(['doctor'], { env: { ...env, LINODE_TOKEN: 'not-the-token', LINODE_API_URL: api.apiUrl } }),
      runCli(['doctor'], { env: { ...env, LINODE_TOKEN: TOKEN, LINODE_API_URL: narrowApi.apiUrl } }),
    ]);
    assert.equal(valid.code, 0, valid.output);
    assert.match(valid.stdout, /^✔ linode token +valid \(user deckhand-tester\), scopes \*$/m);
    assert.equal(rejected.code, 1, rejected.output);
    assert.match(rejected.stdout, /^✖ linode token +The Linode API rejected the token \(401: Invalid Token\)\.$/m);
    assert.match(rejected.stdout, /→ Create a personal access token with Kubernetes and Volumes read\/write/);
    assert.match(lastLine(rejected.stdout)!, /not ready for infra: no terraform, the Linode token is rejected\.$/);
    assert.equal(narrow.code, 1, narrow.output);
    assert.match(
      narrow.stdout,
      /^✖ linode token +The token of deckhand-tester lacks lke:read_write and volumes:read_write \(it has lke:read_only\)\.$/m,
    );
    for (const result of [valid, rejected, narrow]) assert.ok(!result.output.includes(TOKEN), 'the token was printed');
  });

  it('reads the cluster: kubeconfig mode, kubectl skew, the default StorageClass and its reclaim policy, Traefik', async () => {
    const { home, env } = await machine([]);
    const kubeconfig = path.join(home, '.kube', 'config');
    await sim.writeKubeconfig(kubeconfig);
    chmodSync(kubeconfig, 0o644);
    const loose = await runCli(['doctor'], { env });
    assert.match(
      loose.stdout,
      /^⚠ kubeconfig mode +.*config is readable by other users \(mode 644\); it holds cluster credentials\.$/m,
    );
    assert.match(loose.stdout, new RegExp(`→ chmod 600 ${kubeconfig.replace(/[.]/g, '\\.')}`));
    chmodSync(kubeconfig, 0o600);
    const result = await runCli(['doctor'], { env });
    assert.match(result.stdout, /^✔ kubeconfig mode +only you can read it/m);
    assert.match(
      result.stdout,
      /^✔ kubectl skew +kubectl v1\.34\.5 with a 1\.34 server \(within one minor version\)$/m,
    );
    assert.match(
      result.stdout,
      /^✔ storage class +linode-block-storage-retain \(default, reclaim Retain\): a volume outlives its PVC and is billed until deleted/m,
    );
    assert.match(result.stdout, /^⚠ traefik +Traefik is not installed \(the web services need it; Job apps do not\)$/m);
    assert.match(result.stdout, /→ npx tsx tasks\.ts ingress install$/m);
  });

  it('fails when the cluster has no default StorageClass: a PVC would stay Pending', async () => {
    const own = await startKubeSim({ quiet: true });
    try {
      const { home, env } = await machine([]);
      const kubeconfig = path.join(home, '.kube', 'config');
      await own.writeKubeconfig(kubeconfig);
      const { kubectl } = await ensureKubeBinaries();
      // Asynchronously: the simulator answers from this very process.
      await execFileAsync(kubectl, [
        '--kubeconfig',
        kubeconfig,
        'annotate',
        'storageclass',
        'linode-block-storage-retain',
        'storageclass.kubernetes.io/is-default-class=false',
        '--overwrite',
      ]);
      const result = await runCli(['doctor'], { env: { ...env, IMAGE_OWNER: 'me' } });
      assert.equal(result.code, 1, result.output);
      assert.match(
        result.stdout,
        /^✖ storage class +no default StorageClass \(the cluster has linode-block-storage, linode-block-storage-retain\): a Job's PVC would stay Pending$/m,
      );
      assert.match(result.stdout, /not ready to deploy: .*no default StorageClass/);
    } finally {
      await own.stop();
    }
  });

  it('the cluster guard: the managed cluster passes, another one fails with the fix', async () => {
    const { root, home, env } = await machine([]);
    const kubeconfig = path.join(home, '.kube', 'config');
    await sim.writeKubeconfig(kubeconfig);
    const record = (server: string) =>
      writeFileSync(
        path.join(root, '.deckhand', 'cluster.json'),
        JSON.stringify({
          label: 'deckhand',
          server,
          kubeconfig,
          context: 'kube-sim',
          recordedAt: '2026-01-01T00:00:00Z',
        }),
      );
    mkdirSync(path.join(root, '.deckhand'));
    record(sim.url);
    const managed = await runCli(['doctor'], { env });
    assert.match(managed.stdout, /^✔ cluster guard +the target is the managed cluster "deckhand"$/m);
    record('https://other.example.test:443');
    const other = await runCli(['doctor'], { env });
    assert.equal(other.code, 1, other.output);
    assert.match(
      other.stdout,
      /^✖ cluster guard +the target http:\/\/127\.0\.0\.1:\d+ is not the managed cluster "deckhand" \(https:\/\/other\.example\.test:443\): deploy would refuse it$/m,
    );
    assert.match(other.stdout, /→ To use the managed cluster, unset KUBECONFIG/);
  });

  it('buildx: ready when it builds linux/amd64, failing when it cannot (stand-in docker: no buildx here)', async () => {
    const { bin, env } = await machine([]);
    const docker = (platforms: string) =>
      standIn(bin, 'docker', {
        '--version': 'Docker version 28.3.0, build 1234567',
        'version --format {{.Server.Version}}': '28.3.0',
        'buildx version': 'github.com/docker/buildx v0.25.0 faaea65',
        'buildx inspect': `Name:   default\nDriver: docker\nNodes:\nName:      default\nStatus:    running\nPlatforms: ${platforms}`,
      });
    docker('linux/amd64, linux/amd64/v2, linux/386');
    const amd64 = await runCli(['doctor'], { env });
    assert.match(amd64.stdout, /^✔ buildx +docker buildx builds linux\/amd64 \(the platform of LKE nodes\)$/m);
    docker('linux/arm64, linux/arm/v7');
    const arm = await runCli(['doctor'], { env });
    assert.equal(arm.code, 1, arm.output);
    assert.match(
      arm.stdout,
      /^✖ buildx +docker buildx builds linux\/arm64, linux\/arm\/v7, not linux\/amd64: images would not run on LKE$/m,
    );
    assert.match(arm.stdout, /→ Add amd64 emulation: docker run --privileged --rm tonistiigi\/binfmt --install amd64/);
  });

  it('terraform older than 1.9 fails for infra (stand-in terraform: none can be installed here)', async () => {
    const { bin, env } = await machine([]);
    standIn(bin, 'terraform', { 'version -json': JSON.stringify({ terraform_version: '1.5.7' }) });
    const result = await runCli(['doctor'], { env });
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stdout,
      /^✖ terraform +terraform 1\.5\.7 is too old \(the configuration needs 1\.9\.0 or newer\)$/m,
    );
    assert.match(lastLine(result.stdout)!, /not ready for infra: terraform 1\.5\.7\.$/);
  });

  it('--json: the same checks as one document with stable field names, on stdout; exit 1 still when a check fails', async () => {
    const { home, env } = await machine([]);
    await sim.writeKubeconfig(path.join(home, '.kube', 'config'));
    const ok = await runCli(['doctor', '--json'], { env });
    assert.equal(ok.code, 0, ok.output);
    const report = JSON.parse(ok.stdout) as Record<string, any>;
    assert.deepEqual(Object.keys(report), ['checks', 'ready', 'summary', 'failed']);
    assert.deepEqual(Object.keys(report.ready), ['dry-run', 'deploy-image', 'build', 'infra']);
    const helm = report.checks.find((check: { name: string }) => check.name === 'helm');
    assert.deepEqual(helm, { name: 'helm', status: 'ok', message: 'helm v4.1.4' });
    const docker = report.checks.find((check: { name: string }) => check.name === 'docker');
    assert.deepEqual(Object.keys(docker), ['name', 'status', 'message', 'fix', 'blocks']);
    assert.deepEqual(docker.blocks, ['build']);
    assert.deepEqual(report.ready['deploy-image'], { ready: true, lacking: [] });
    assert.deepEqual(report.ready.build, { ready: false, lacking: ['no docker', 'IMAGE_OWNER not set'] });
    assert.match(report.summary, /^Ready for --dry-run, deploy --image; not ready to build images: no docker/);
    assert.deepEqual(report.failed, []);

    const failing = await runCli(['doctor', '--json'], {
      env: { ...env, LINODE_TOKEN: 'wrong', LINODE_API_URL: api.apiUrl },
    });
    assert.equal(failing.code, 1, failing.output);
    const failed = JSON.parse(failing.stdout) as { failed: string[] };
    assert.deepEqual(failed.failed, ['linode token']);
    assert.match(failing.stderr, /1 check failed: linode token\./);
  });
});

/**
 * Deploy benchmark: `tasks.ts deploy caelundas` against the simulated cluster with added API latency, beside the same
 * work done the seed's way — the same commands, strictly one after another, waiting with `kubectl wait`.
 * Goal (issue #5): the toolkit's wall time is at most 0.8x the sequential run. The service, `deploy wpp-bot`, is
 * measured the same way in deploy-service.ts (goals: 0.7x, and a no-op redeploy at most 0.3x of a full roll-out).
 *
 *   npm run bench:deploy [-- --app caelundas|wpp-bot|all --latency 100 --connect-latency 100 --runs 5 --timeline]
 *
 * Both sides use the same real docker engine, registry, helm and kubectl, the same fresh kubeconfig cache and the
 * same Job behaviour; each side builds and pushes (the toolkit with --rebuild, so its registry check cannot skip).
 * Needs root for the private dockerd (Debian's docker.io and docker-registry installed), like the test bed.
 *
 * The toolkit is started as `node --import tsx tasks.ts` — what `npx tsx tasks.ts` runs once npx has found tsx
 * (npx's own lookup adds about 0.5 s and is not the toolkit's). The private dockerd uses overlay2 where it can, as
 * real engines do; DECKHAND_TEST_STORAGE_DRIVER=vfs shows the ratio when the common image build is five times slower.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as stringifyYaml } from 'yaml';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../test/support/deploy-bed.ts';
import { docker, prepareBuildContext, useDockerEngine } from '../test/support/docker.ts';
import { startRegistry } from '../test/support/registry.ts';
import { helperPodManifest } from '../scripts/steps/job/copy.ts';
import { namespaceManifest, secretManifest } from '../scripts/steps/cluster/namespace.ts';
import { benchService } from './deploy-service.ts';
import { median, run } from './process.ts';

// 100 ms per request stands for an LKE API across the internet (a round trip plus the server's work); the simulator
// adds it to every answer, exec and cp upgrades included. A real API server speaks HTTPS, so each new kubectl or helm
// process also pays the TCP and TLS handshakes before its first request: two more round trips with TLS 1.3, counted
// here as one (--connect-latency, default: the same as --latency; 0 leaves them out). Lower latencies make the run
// CPU-bound on a 2-core machine and shrink the gain.
const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '100' },
    'connect-latency': { type: 'string' },
    runs: { type: 'string', default: '5' },
    timeline: { type: 'boolean', default: false },
    app: { type: 'string', default: 'all' },
  },
});
const latencyMs = Number(values.latency);
const connectLatencyMs = Number(values['connect-latency'] ?? values.latency);
const runs = Number(values.runs);
if (!['all', 'caelundas', 'wpp-bot'].includes(values.app)) {
  console.error(`--app takes caelundas, wpp-bot or all, got "${values.app}"`);
  process.exit(2);
}
const JOB = {
  outcome: 'succeed' as const,
  delayMs: 1500,
  logLines: ['computing', 'writing calendar.ics', 'done'],
  files: { 'calendar.ics': 'BEGIN:VCALENDAR\nEND:VCALENDAR\n' },
};

const maybeEngine = await useDockerEngine();
if ('skip' in maybeEngine) {
  console.error(`No docker engine: ${maybeEngine.skip}`);
  process.exit(1);
}
const engine = maybeEngine;
// The storage driver decides how long the (common) image build takes: overlay2 about 0.5 s, vfs 2.5-3 s and noisy.
const storageDriver = (await docker(engine, ['info', '--format', '{{.Driver}}'])).stdout.trim();
const registry = await startRegistry();
const context = await prepareBuildContext('busybox-scratch');

async function withBed<T>(fn: (bed: DeployBed, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
  const bed = await createDeployBed({ latencyMs, connectLatencyMs, jobDefaults: JOB, quiet: true });
  try {
    const env = { ...bed.env, ...engine.env, IMAGE_REGISTRY: registry.host, ...VALID_INPUTS };
    return await fn(bed, env);
  } finally {
    await bed.close();
  }
}

/** With --timeline, the last toolkit run's commands (its --verbose echo) and API requests, in time order. */
let timeline: string[] = [];

async function toolkitRun(): Promise<number> {
  return withBed(async (bed, env) => {
    const lines: Array<[number, string]> = [];
    const onOutput = (chunk: string) => {
      const at = performance.now();
      for (const line of chunk.split('\n')) if (/^\s*(› )?(\$ |✔ |❯ )/.test(line)) lines.push([at, line.trim()]);
    };
    const started = performance.now();
    const args = [
      '--import',
      'tsx',
      'tasks.ts',
      'deploy',
      'caelundas',
      '--rebuild',
      '--dockerfile',
      path.join(context.dir, 'Dockerfile'),
      '--build-context',
      context.dir,
    ];
    await run(
      process.execPath,
      values.timeline ? [...args, '--verbose'] : args,
      env,
      undefined,
      values.timeline ? onOutput : undefined,
    );
    const elapsed = performance.now() - started;
    if (values.timeline) {
      for (const request of bed.sim.requests)
        lines.push([request.at ?? started, `  API ${request.method} ${request.path.split('?')[0]} ${request.status}`]);
      timeline = lines
        .sort((a, b) => a[0] - b[0])
        .map(([at, line]) => `${((at - started) / 1000).toFixed(2).padStart(6)}  ${line.slice(0, 150)}`);
    }
    return elapsed;
  });
}

/**
 * The seed's pipeline: the commands the toolkit runs, with the same arguments, strictly one after another — except
 * that the Job is awaited the seed's way (`kubectl wait`, then `kubectl logs`) instead of by watches.
 */
async function sequentialRun(): Promise<number> {
  return withBed(async (bed, env) => {
    const k = ['--kubeconfig', bed.sandbox.kubeconfig, '--context', 'kube-sim'];
    const ns = ['--namespace', 'caelundas'];
    const apply = [...k, '--server-side', '--field-manager', 'deckhand', '--force-conflicts', '--filename', '-'];
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'deckhand-bench-'));
    const started = performance.now();
    try {
      await run('docker', ['--version'], env);
      await run('helm', ['version', '--template', '{{.Version}}'], env);
      await run('kubectl', ['version', '--client', '--output', 'json'], env);
      await run('docker', ['buildx', 'version'], env).catch(() => undefined);
      const commit = (await run('git', ['rev-parse', 'HEAD'], env)).trim();
      await run('git', ['status', '--porcelain', '--untracked-files=normal'], env);
      await run('git', ['remote', 'get-url', 'origin'], env).catch(() => undefined);
      const now = new Date();
      const release = `caelundas-${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15)}`;
      const tag = `sha-${commit.slice(0, 7)}`;
      const image = `${registry.host}/tests/caelundas:${tag}`;
      const labels = {
        'org.opencontainers.image.revision': commit,
        'org.opencontainers.image.created': now.toISOString(),
        'org.opencontainers.image.title': 'caelundas',
      };
      await run(
        'docker',
        [
          'build',
          '--platform',
          'linux/amd64',
          '--file',
          path.join(context.dir, 'Dockerfile'),
          '--tag',
          image,
          ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
          context.dir,
        ],
        env,
      );
      const push = await run('docker', ['push', image], env);
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(push)![1]!;
      await run('kubectl', ['version', ...k, '--output', 'json', '--request-timeout', '10s'], env);
      // Missing on a fresh cluster: kubectl exits 1 with NotFound, as it does for the toolkit.
      await run('kubectl', ['get', '--raw', '/api/v1/namespaces/caelundas', ...k], env).catch(() => undefined);
      // The namespace, then the run's own inputs Secret (the toolkit creates it; apply does the same here).
      const items = [
        namespaceManifest('caelundas'),
        secretManifest({ name: `${release}-inputs`, namespace: 'caelundas', values: VALID_INPUTS }),
      ];
      await run('kubectl', ['apply', ...apply, ...ns], env, items.map((item) => stringifyYaml(item)).join('---\n'));
      const values = [
        '--values',
        'charts/kubernetes-job/values/base.yaml',
        '--values',
        'charts/kubernetes-job/values/caelundas-production.yaml',
      ];
      const set = [
        '--set-string',
        `image.repository=${registry.host}/tests/caelundas`,
        '--set-string',
        `image.tag=${tag}`,
        '--set-string',
        `metadata.gitCommit=${commit}`,
        '--set-string',
        `metadata.timestamp=${Math.floor(now.getTime() / 1000)}`,
        '--set-string',
        `image.digest=${digest}`,
      ];
      await run('helm', ['template', release, 'charts/kubernetes-job', ...ns, ...values, ...set], env);
      await run(
        'helm',
        [
          'install',
          release,
          'charts/kubernetes-job',
          '--kubeconfig',
          bed.sandbox.kubeconfig,
          '--kube-context',
          'kube-sim',
          ...ns,
          ...values,
          ...set,
          '--timeout',
          '300s',
        ],
        env,
      );
      await run(
        'kubectl',
        ['wait', `job/${release}`, ...k, ...ns, '--for=condition=complete', '--timeout', '120s'],
        env,
      );
      await run('kubectl', ['logs', `job/${release}`, ...k, ...ns], env);
      const helper = `${release}-copy`;
      await run(
        'kubectl',
        ['apply', ...apply, ...ns],
        env,
        JSON.stringify(
          helperPodManifest({
            name: helper,
            namespace: 'caelundas',
            release,
            pvcName: release,
            image: 'busybox:1.37.0',
          }),
        ),
      );
      await run('kubectl', ['wait', `pod/${helper}`, ...k, ...ns, '--for=condition=Ready', '--timeout', '120s'], env);
      await run('kubectl', ['exec', helper, ...k, ...ns, '--container', 'copy', '--', 'tar', 'cf', '-', '/data'], env);
      await run(
        'kubectl',
        ['cp', ...k, '--container', 'copy', `caelundas/${helper}:/data`, path.join(scratch, 'out')],
        env,
      );
      await run('kubectl', ['delete', 'pod', helper, ...k, ...ns, '--ignore-not-found', '--wait=false'], env);
      await writeFile(path.join(scratch, 'run.json'), '{}');
      return performance.now() - started;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

async function benchJob(): Promise<boolean> {
  const toolkit: number[] = [];
  const sequential: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate, so drift in machine load affects both sides alike.
    sequential.push(await sequentialRun());
    toolkit.push(await toolkitRun());
    console.log(
      `run ${i + 1}: sequential ${(sequential.at(-1)! / 1000).toFixed(2)} s, toolkit ${(toolkit.at(-1)! / 1000).toFixed(2)} s`,
    );
  }
  const ratio = median(toolkit) / median(sequential);
  console.log(`sequential (median of ${runs}):  ${(median(sequential) / 1000).toFixed(2)} s`);
  console.log(`toolkit (median of ${runs}):     ${(median(toolkit) / 1000).toFixed(2)} s`);
  // Each pair ran back to back, so its ratio shows how much a single run can be trusted.
  const pairs = toolkit.map((value, index) => value / sequential[index]!).sort((a, b) => a - b);
  console.log(`ratio of each pair:        ${pairs[0]!.toFixed(2)}x to ${pairs.at(-1)!.toFixed(2)}x`);
  console.log(`ratio:                     ${ratio.toFixed(2)}x  (goal: <= 0.80x) ${ratio <= 0.8 ? 'met' : 'NOT met'}`);
  if (values.timeline)
    console.log(
      `\nTimeline of the last toolkit run (seconds; the --verbose echo adds a little):\n${timeline.join('\n')}`,
    );
  return ratio <= 0.8;
}

try {
  console.log(
    `API latency: ${latencyMs} ms per request, ${connectLatencyMs} ms more per new connection; Job runs ${JOB.delayMs} ms; docker storage driver ${storageDriver}`,
  );
  if (values.app === 'all' || values.app === 'caelundas') await benchJob();
  if (values.app === 'all' || values.app === 'wpp-bot') {
    const service = await benchService({
      engineEnv: engine.env,
      registryHost: registry.host,
      context: context.dir,
      latencyMs,
      connectLatencyMs,
      runs,
      timeline: values.timeline,
    });
    for (const line of service.lines) console.log(line);
  }
} finally {
  await context.remove();
  await registry.stop();
  await engine.stop();
}

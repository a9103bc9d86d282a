/**
 * The service half of `npm run bench:deploy`: `tasks.ts deploy wpp-bot` against the simulated cluster, beside the
 * seed's own sequence run strictly in order — build and push both images, `kubectl apply -f` per folder of the seed
 * (namespace; the general folder; postgres; wpp-bot; dashboard), the Secret created with `kubectl create secret
 * --dry-run=client | kubectl apply -f -`, `kubectl rollout restart` and `kubectl rollout status` of each Deployment —
 * and a second toolkit deploy of the same commit and inputs (nothing to build, nothing to change).
 * Goals (issue #14): the toolkit at most 0.7x of the sequence; the no-op redeploy at most 0.3x of a full roll-out.
 *
 * Both sides build and push both images from the same context (the toolkit with --rebuild, so its registry check
 * cannot skip), with the same docker engine, registry, kubectl, latency model and pod behaviour (ready at once).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createDeployBed, type DeployBed } from '../test/support/deploy-bed.ts';
import { median, run, seconds } from './process.ts';

export interface ServiceBenchSetup {
  engineEnv: NodeJS.ProcessEnv;
  registryHost: string;
  context: string;
  latencyMs: number;
  connectLatencyMs: number;
  runs: number;
  timeline: boolean;
}

const INPUTS = {
  ELEVENLABS_API_KEY: 'sk_bench_0123456789',
  JWT_SECRET: 'bench-jwt-0123456789abcdef0123456789abcdef',
  POSTGRES_PASSWORD: 'bench-pg-0123456789abcdef',
};
const IMAGES = ['wpp-bot', 'wpp-bot-dashboard'];
const DEPLOYMENTS = ['postgres', 'wpp-bot', 'dashboard'];
/** The seed's folders (k8s/, k8s/postgres, k8s/wpp-bot, k8s/dashboard) as the files of k8s/wpp-bot hold them. */
const SEED_FOLDERS = [
  ['00-namespace.yaml'],
  ['10-configmaps.yaml', '10-networkpolicies.yaml', '20-dashboard-viewer.yaml', '60-ingress.yaml'],
  ['30-postgres.yaml'],
  ['40-wpp-bot.yaml'],
  ['50-dashboard.yaml'],
];

async function withBed<T>(
  setup: ServiceBenchSetup,
  fn: (bed: DeployBed, env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const bed = await createDeployBed({
    latencyMs: setup.latencyMs,
    connectLatencyMs: setup.connectLatencyMs,
    quiet: true,
  });
  try {
    const env = {
      ...bed.env,
      ...setup.engineEnv,
      ...INPUTS,
      IMAGE_REGISTRY: setup.registryHost,
      DECKHAND_STATE_ROOT: bed.dir,
    };
    return await fn(bed, env);
  } finally {
    await bed.close();
  }
}

/** A full roll-out of a fresh cluster, then the same deploy again; both timed. */
async function toolkitRuns(setup: ServiceBenchSetup): Promise<{ full: number; noop: number; timeline: string[] }> {
  return withBed(setup, async (bed, env) => {
    const base = [
      '--import',
      'tsx',
      'tasks.ts',
      'deploy',
      'wpp-bot',
      '--dockerfile',
      path.join(setup.context, 'Dockerfile'),
      '--build-context',
      setup.context,
    ];
    const lines: Array<[number, string]> = [];
    const onOutput = (chunk: string) => {
      const at = performance.now();
      for (const line of chunk.split('\n')) if (/^\s*(› )?(\$ |✔ |❯ )/.test(line)) lines.push([at, line.trim()]);
    };
    let started = performance.now();
    await run(
      process.execPath,
      [...base, '--rebuild', ...(setup.timeline ? ['--verbose'] : [])],
      env,
      undefined,
      setup.timeline ? onOutput : undefined,
    );
    const full = performance.now() - started;
    const timeline = setup.timeline
      ? [
          ...lines,
          ...bed.sim.requests.map((request): [number, string] => [
            request.at ?? started,
            `  API ${request.method} ${request.path.split('?')[0]} ${request.status}`,
          ]),
        ]
          .filter(([at]) => at >= started)
          .sort((a, b) => a[0] - b[0])
          .map(([at, line]) => `${((at - started) / 1000).toFixed(2).padStart(6)}  ${line.slice(0, 150)}`)
      : [];
    started = performance.now();
    let output = '';
    await run(process.execPath, base, env, undefined, (chunk) => (output += chunk));
    const noop = performance.now() - started;
    if (!/nothing changed, nothing was rolled out/.test(output))
      throw new Error(`the second deploy changed something:\n${output}`);
    return { full, noop, timeline };
  });
}

/** The seed's way, strictly one command after another. */
async function sequentialRun(setup: ServiceBenchSetup): Promise<number> {
  return withBed(setup, async (bed, env) => {
    const k = ['--kubeconfig', bed.sandbox.kubeconfig, '--context', 'kube-sim'];
    const ns = ['--namespace', 'wpp-bot'];
    const folder = 'k8s/wpp-bot';
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'deckhand-bench-'));
    const envFile = path.join(scratch, '.env.wpp-bot');
    await writeFile(
      envFile,
      Object.entries(INPUTS)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
    const started = performance.now();
    try {
      await run('docker', ['--version'], env);
      await run('kubectl', ['version', '--client', '--output', 'json'], env);
      const commit = (await run('git', ['rev-parse', 'HEAD'], env)).trim();
      await run('git', ['status', '--porcelain', '--untracked-files=normal'], env);
      for (const image of IMAGES) {
        const reference = `${setup.registryHost}/tests/${image}:sha-${commit.slice(0, 7)}`;
        await run(
          'docker',
          [
            'build',
            '--platform',
            'linux/amd64',
            '--file',
            path.join(setup.context, 'Dockerfile'),
            '--tag',
            reference,
            '--label',
            `org.opencontainers.image.revision=${commit}`,
            '--label',
            `org.opencontainers.image.title=${image}`,
            setup.context,
          ],
          env,
        );
        await run('docker', ['push', reference], env);
      }
      await run('kubectl', ['version', ...k, '--output', 'json', '--request-timeout', '10s'], env);
      const [namespace, ...rest] = SEED_FOLDERS;
      await run('kubectl', ['apply', ...k, ...namespace!.flatMap((file) => ['-f', path.join(folder, file)])], env);
      const secret = await run(
        'kubectl',
        [
          'create',
          'secret',
          'generic',
          'wpp-bot-secret',
          ...k,
          ...ns,
          `--from-env-file=${envFile}`,
          '--dry-run=client',
          '-o',
          'yaml',
        ],
        env,
      );
      await run('kubectl', ['apply', ...k, ...ns, '-f', '-'], env, secret);
      for (const files of rest)
        await run('kubectl', ['apply', ...k, ...files.flatMap((file) => ['-f', path.join(folder, file)])], env);
      for (const deployment of DEPLOYMENTS)
        await run('kubectl', ['rollout', 'restart', `deployment/${deployment}`, ...k, ...ns], env);
      for (const deployment of DEPLOYMENTS)
        await run('kubectl', ['rollout', 'status', `deployment/${deployment}`, ...k, ...ns, '--timeout', '120s'], env);
      return performance.now() - started;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
}

export async function benchService(setup: ServiceBenchSetup): Promise<{ passed: boolean; lines: string[] }> {
  const sequential: number[] = [];
  const full: number[] = [];
  const noop: number[] = [];
  let timeline: string[] = [];
  for (let i = 0; i < setup.runs; i++) {
    // Alternate, so drift in machine load affects both sides alike.
    sequential.push(await sequentialRun(setup));
    const toolkit = await toolkitRuns(setup);
    full.push(toolkit.full);
    noop.push(toolkit.noop);
    timeline = toolkit.timeline;
    console.log(
      `wpp-bot run ${i + 1}: sequential ${seconds(sequential.at(-1)!)}, toolkit ${seconds(toolkit.full)}, no-op redeploy ${seconds(toolkit.noop)}`,
    );
  }
  const ratio = median(full) / median(sequential);
  const noopRatio = median(noop) / median(full);
  const lines = [
    `wpp-bot sequential (median of ${setup.runs}):   ${seconds(median(sequential))}`,
    `wpp-bot toolkit (median of ${setup.runs}):      ${seconds(median(full))}`,
    `wpp-bot no-op redeploy (median):   ${seconds(median(noop))}`,
    `wpp-bot ratio:                     ${ratio.toFixed(2)}x  (goal: <= 0.70x) ${ratio <= 0.7 ? 'met' : 'NOT met'}`,
    `wpp-bot no-op / full roll-out:     ${noopRatio.toFixed(2)}x  (goal: <= 0.30x) ${noopRatio <= 0.3 ? 'met' : 'NOT met'}`,
  ];
  if (setup.timeline)
    lines.push(
      '',
      'Timeline of the last wpp-bot toolkit roll-out (seconds; the --verbose echo adds a little):',
      ...timeline,
    );
  return { passed: ratio <= 0.7 && noopRatio <= 0.3, lines };
}

/**
 * Runs of caelundas in every state, on the simulated cluster, for the release-operation tests. The first run goes
 * through the real `deploy` (namespace, inputs Secret, install, Job, verified copy, run.json); the others are
 * installed with the real helm straight from the chart with deploy's values and their own inputs Secret (a second
 * each instead of a full deploy) — or, as runs made before per-run inputs were, reading the app's shared Secret —
 * then nudged into the state a test needs: running, failed, Job deleted by its TTL, or stuck in pending-*. The
 * simulator plays the Linode CSI driver, which deletes a Released volume once its reclaim policy is Delete.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runCli, REPO_ROOT, type CliOptions, type CliResult } from '../support/cli.ts';
import { createDeployBed, RUN_NAME, SIM_CLUSTER, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import type { JobBehavior, KubeObject } from '../../kube-sim/index.ts';

export const NS = 'caelundas';
export const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0';
export const RUN_PATTERN = RUN_NAME;
/** The Secret every run read before per-run inputs. */
export const SHARED_SECRET = 'caelundas-env-secret';

export interface ReleasesBed extends DeployBed {
  /** `tasks.ts …` off a terminal against the simulated cluster. */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  helm(args: readonly string[]): Promise<string>;
  kubectl(args: readonly string[]): Promise<string>;
  /** The API server URL in the bed's kubeconfig (what run records must name). */
  server: string;
}

export async function createReleasesBed(): Promise<ReleasesBed> {
  const bed = await createDeployBed();
  const ok = async (tool: string, args: readonly string[]) => {
    const result = await bed.sandbox.run(tool, [...args]);
    assert.equal(result.code, 0, `${tool} ${args.join(' ')}\n${result.stderr}`);
    return result.stdout;
  };
  const config = JSON.parse(await ok('kubectl', ['config', 'view', '--minify', '--output', 'json'])) as {
    clusters: { cluster: { server: string } }[];
  };
  return {
    ...bed,
    server: config.clusters[0]!.cluster.server,
    cli: (args, options = {}) =>
      runCli(args, { timeoutMs: 90_000, ...options, env: { ...bed.env, ...VALID_INPUTS, ...options.env } }),
    helm: (args) => ok('helm', args),
    kubectl: (args) => ok('kubectl', args),
  };
}

/** A real `deploy --image`: the run completes and its output is copied and verified. Returns the release name. */
export async function deployRun(
  bed: ReleasesBed,
  files: Record<string, string> = { 'calendar.ics': 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n' },
): Promise<string> {
  bed.sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed', files });
  const result = await bed.cli(['deploy', 'caelundas', '--image', IMAGE]);
  assert.equal(result.code, 0, result.output);
  return new RegExp(`Installed release (${RUN_NAME.source})`).exec(result.output)![1]!;
}

export interface InstallRunOptions {
  commit?: string;
  namespace?: string;
  /** A run made before per-run inputs: its Job reads the app's shared Secret, and it has no Secret of its own. */
  legacy?: boolean;
}

/**
 * A run named `release` the way deploy makes it — its own inputs Secret first, then `helm install` with deploy's
 * values files and set-strings — or, with `legacy`, the way deploy made runs before per-run inputs.
 */
export async function installRun(
  bed: ReleasesBed,
  release: string,
  behavior: Partial<JobBehavior> = { outcome: 'succeed' },
  options: InstallRunOptions = {},
): Promise<void> {
  const namespace = options.namespace ?? NS;
  bed.sim.setJobBehavior({ name: release, namespace }, behavior);
  const manifest = await bed.kubectl(['create', 'namespace', namespace, '--dry-run=client', '--output', 'json']);
  const applied = await bed.sandbox.run('kubectl', ['apply', '--filename', '-'], { input: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  const secret = options.legacy ? SHARED_SECRET : `${release}-inputs`;
  await applyInputsSecret(bed, secret, namespace, options.legacy ? {} : { 'app.kubernetes.io/instance': release });
  await bed.helm([
    'install',
    release,
    path.join(REPO_ROOT, 'charts/kubernetes-job'),
    '--namespace',
    namespace,
    '--values',
    path.join(REPO_ROOT, 'charts/kubernetes-job/values/base.yaml'),
    '--values',
    path.join(REPO_ROOT, 'charts/kubernetes-job/values/caelundas-production.yaml'),
    '--set-string',
    'image.repository=registry.example:5000/tests/caelundas',
    '--set-string',
    'image.tag=1.0.0',
    '--set-string',
    `metadata.gitCommit=${options.commit ?? 'c0ffee0123456789c0ffee0123456789c0ffee01'}`,
    '--set-string',
    `secretEnv.name=${secret}`,
    ...(options.legacy ? [] : ['--set-string', `metadata.runId=run-of-${release}`]),
  ]);
}

/** An inputs Secret as deckhand writes one (labelled managed-by deckhand). */
async function applyInputsSecret(
  bed: ReleasesBed,
  name: string,
  namespace: string,
  labels: Record<string, string>,
): Promise<void> {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'deckhand', 'app.kubernetes.io/part-of': 'caelundas', ...labels },
    },
    stringData: VALID_INPUTS,
  };
  const applied = await bed.sandbox.run('kubectl', ['apply', '--filename', '-'], { input: JSON.stringify(secret) });
  assert.equal(applied.code, 0, applied.stderr);
}

export async function waitForJob(
  bed: ReleasesBed,
  release: string,
  condition: 'Complete' | 'Failed' | 'running',
): Promise<void> {
  await bed.sim.waitFor(
    (sim) => {
      const job = sim.get('batch/v1', 'Job', NS, release) as
        { status?: { active?: number; conditions?: { type: string; status: string }[] } } | undefined;
      if (condition === 'running') return (job?.status?.active ?? 0) > 0;
      return job?.status?.conditions?.some((entry) => entry.type === condition && entry.status === 'True');
    },
    { timeoutMs: 20_000, description: `Job ${release} ${condition}` },
  );
}

export async function waitForBoundPvc(bed: ReleasesBed, release: string): Promise<string> {
  return bed.sim.waitFor(
    (sim) => {
      const pvc = sim.get('v1', 'PersistentVolumeClaim', NS, release) as
        { spec?: { volumeName?: string }; status?: { phase?: string } } | undefined;
      return pvc?.status?.phase === 'Bound' ? pvc.spec?.volumeName : undefined;
    },
    { timeoutMs: 10_000, description: `PVC ${release} bound` },
  );
}

/**
 * What an interrupted helm operation leaves: the release's newest record says pending-*. Helm keeps each revision as
 * a Secret whose `release` field is base64(gzip(JSON)); the status lives both in that JSON and in a label.
 */
export function markPending(
  bed: ReleaseBedLike,
  release: string,
  status: 'pending-install' | 'pending-upgrade',
  options: { asNewRevision?: boolean } = {},
): void {
  const secrets = bed.sim
    .list('v1', 'Secret', NS)
    .filter((secret) => secret.metadata.labels?.['owner'] === 'helm' && secret.metadata.labels?.['name'] === release);
  const newest = secrets.sort(
    (a, b) => Number(b.metadata.labels?.['version']) - Number(a.metadata.labels?.['version']),
  )[0];
  assert.ok(newest, `no helm record for ${release}`);
  const body = JSON.parse(
    gunzipSync(
      Buffer.from(Buffer.from((newest['data'] as { release: string }).release, 'base64').toString('utf8'), 'base64'),
    ).toString('utf8'),
  ) as { version: number; info: { status: string } };
  const version = options.asNewRevision ? body.version + 1 : body.version;
  const encoded = Buffer.from(
    gzipSync(Buffer.from(JSON.stringify({ ...body, version, info: { ...body.info, status } }))).toString('base64'),
  ).toString('base64');
  const name = `sh.helm.release.v1.${release}.v${version}`;
  const { resourceVersion: _rv, uid: _uid, creationTimestamp: _created, ...metadata } = newest.metadata;
  bed.sim.put({
    ...newest,
    metadata: { ...metadata, name, labels: { ...newest.metadata.labels, status, version: String(version) } },
    data: { release: encoded },
  } as KubeObject);
}

type ReleaseBedLike = Pick<ReleasesBed, 'sim'>;

/**
 * A run.json that records a verified copy (what `copy` or `deploy` write), for runs installed by hand: in the run's
 * own folder, or — with `legacy` — where runs were recorded before per-run folders (output/<release>/run.json
 * among the files). `place` overrides what the record says about where the run was.
 */
export async function recordCopied(
  bed: ReleasesBed,
  release: string,
  options: { legacy?: boolean; namespace?: string; place?: { namespace?: string; server?: string } } = {},
): Promise<string> {
  const namespace = options.namespace ?? NS;
  const runDir = options.legacy ? path.join(bed.outputDir, release) : bed.runDir(release, namespace);
  const files = options.legacy ? runDir : path.join(runDir, 'files');
  await mkdir(files, { recursive: true });
  await writeFile(path.join(files, 'kube-sim-output.txt'), 'x');
  await writeFile(
    path.join(runDir, 'run.json'),
    JSON.stringify({
      ...(options.legacy ? {} : { layout: 2, cluster: SIM_CLUSTER }),
      app: 'caelundas',
      release,
      namespace: options.place?.namespace ?? namespace,
      context: 'kube-sim',
      server: options.place?.server ?? bed.server,
      image: { repository: '', tag: '', reference: '' },
      commit: '',
      valuesFiles: [],
      startedAt: '',
      endedAt: '',
      outcome: 'complete',
      copy: { verified: true, files: [{ path: 'kube-sim-output.txt', size: 1 }], totalBytes: 1 },
    }),
  );
  return runDir;
}

export function helmReleases(bed: ReleasesBed): Promise<{ name: string; status: string }[]> {
  return bed
    .helm(['list', '--namespace', NS, '--output', 'json'])
    .then((text) => JSON.parse(text) as { name: string; status: string }[]);
}

/**
 * Runs of caelundas in every state, on the simulated cluster, for the release-operation tests. The first run goes
 * through the real `deploy` (namespace, Secret, install, Job, verified copy, run.json); the others are installed
 * with the real helm straight from the chart with deploy's values (a second each instead of a full deploy), then
 * nudged into the state a test needs: running, failed, Job deleted by its TTL, or stuck in pending-*.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { runCli, REPO_ROOT, type CliOptions, type CliResult } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import type { JobBehavior, KubeObject } from '../../kube-sim/index.ts';

export const NS = 'caelundas';
export const IMAGE = 'registry.example:5000/tests/caelundas:1.0.0';
export const RUN_PATTERN = /caelundas-\d{8}-\d{6}/;

export interface ReleasesBed extends DeployBed {
  /** `tasks.ts …` off a terminal against the simulated cluster. */
  cli(args: readonly string[], options?: CliOptions): Promise<CliResult>;
  helm(args: readonly string[]): Promise<string>;
  kubectl(args: readonly string[]): Promise<string>;
}

export async function createReleasesBed(): Promise<ReleasesBed> {
  const bed = await createDeployBed();
  const ok = async (tool: string, args: readonly string[]) => {
    const result = await bed.sandbox.run(tool, [...args]);
    assert.equal(result.code, 0, `${tool} ${args.join(' ')}\n${result.stderr}`);
    return result.stdout;
  };
  return {
    ...bed,
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
  return RUN_PATTERN.exec(result.output)![0];
}

/** `helm upgrade --install` of a run named `release` with deploy's values files and set-strings. */
export async function installRun(
  bed: ReleasesBed,
  release: string,
  behavior: Partial<JobBehavior> = { outcome: 'succeed' },
  commit = 'c0ffee0123456789c0ffee0123456789c0ffee01',
): Promise<void> {
  bed.sim.setJobBehavior({ name: release }, behavior);
  await bed.helm([
    'upgrade',
    '--install',
    release,
    path.join(REPO_ROOT, 'charts/kubernetes-job'),
    '--namespace',
    NS,
    '--values',
    path.join(REPO_ROOT, 'charts/kubernetes-job/values/base.yaml'),
    '--values',
    path.join(REPO_ROOT, 'charts/kubernetes-job/values/caelundas-production.yaml'),
    '--set-string',
    'image.repository=registry.example:5000/tests/caelundas',
    '--set-string',
    'image.tag=1.0.0',
    '--set-string',
    `metadata.gitCommit=${commit}`,
  ]);
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

/** A run.json that records a verified copy (what `copy` or `deploy` write), for runs installed by hand. */
export async function recordCopied(bed: ReleasesBed, release: string): Promise<void> {
  const dir = path.join(bed.outputDir, release);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'kube-sim-output.txt'), 'x');
  await writeFile(
    path.join(dir, 'run.json'),
    JSON.stringify({
      app: 'caelundas',
      release,
      namespace: NS,
      context: 'x',
      server: 'x',
      image: { repository: '', tag: '', reference: '' },
      commit: '',
      valuesFiles: [],
      startedAt: '',
      endedAt: '',
      outcome: 'complete',
      copy: { verified: true, files: [{ path: 'kube-sim-output.txt', size: 1 }], totalBytes: 1 },
    }),
  );
}

/**
 * Stands in for the Linode CSI driver's external provisioner, which the simulator does not model for this path: a
 * Released volume whose reclaim policy is switched to Delete is removed (on LKE the driver deletes the Linode
 * volume, then the PV). Returns a function that stops it.
 */
export function actAsCsiProvisioner(bed: ReleasesBed): () => void {
  let stopped = false;
  const deleting = new Set<string>();
  const loop = async () => {
    while (!stopped) {
      const volume = await bed.sim
        .waitFor(
          (sim) =>
            stopped ||
            sim.list('v1', 'PersistentVolume').find((pv) => {
              const spec = pv['spec'] as { persistentVolumeReclaimPolicy?: string } | undefined;
              return (
                spec?.persistentVolumeReclaimPolicy === 'Delete' &&
                (pv['status'] as { phase?: string } | undefined)?.phase === 'Released' &&
                !deleting.has(pv.metadata.name!)
              );
            }),
          { timeoutMs: 120_000, description: 'a Released volume with reclaim policy Delete' },
        )
        .catch(() => undefined);
      if (stopped || !volume || volume === true) return;
      deleting.add(volume.metadata.name!);
      await bed.sandbox.run('kubectl', ['delete', 'persistentvolume', volume.metadata.name!, '--wait=false']);
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

export function helmReleases(bed: ReleasesBed): Promise<{ name: string; status: string }[]> {
  return bed
    .helm(['list', '--namespace', NS, '--output', 'json'])
    .then((text) => JSON.parse(text) as { name: string; status: string }[]);
}

/**
 * The kubernetes-job chart installed for real: the real helm 4 against the simulated cluster, with the caelundas
 * values. Proves that `helm --wait --wait-for-jobs` sees the Job complete with its PVC bound, and that an upgrade of
 * the same release with a changed pod template is refused — which is why every deckhand run is its own release.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';
import { BASE_VALUES, CAELUNDAS_VALUES, CHART_DIR } from './helm.ts';

const RELEASE = 'caelundas-20260125-143022';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function installArgs(tag: string, extra: string[] = []): string[] {
  return [
    'upgrade',
    '--install',
    RELEASE,
    CHART_DIR,
    '--namespace',
    'caelundas',
    '--create-namespace',
    '--values',
    BASE_VALUES,
    '--values',
    CAELUNDAS_VALUES,
    '--set-string',
    'image.repository=ghcr.io/example/caelundas',
    '--set-string',
    `image.tag=${tag}`,
    '--set-string',
    'metadata.gitCommit=1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d',
    '--set-string',
    'metadata.timestamp=1769351422',
    ...extra,
  ];
}

const SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  // The run's own inputs Secret, which deckhand creates before the release (the chart's default name for it).
  metadata: { name: `${RELEASE}-inputs`, namespace: 'caelundas' },
  stringData: { START_DATE: '2026-01-01', END_DATE: '2026-12-31', LATITUDE: '40.7', LONGITUDE: '-74.0' },
};

describe('the kubernetes-job chart in a cluster', () => {
  it('installs with --wait --wait-for-jobs: the PVC binds, the Job completes and its output lands on the volume', async () => {
    await withKubeSim(async ({ sim, helmOk, kubectlOk, kubectlJson }) => {
      sim.setJobBehavior(
        { namePrefix: 'caelundas-' },
        { outcome: 'succeed', files: { 'calendar.ics': 'BEGIN:VCALENDAR' } },
      );
      await kubectlOk(['create', 'namespace', 'caelundas']);
      await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(SECRET) });
      await helmOk([
        ...installArgs('sha-1a2b3c4', ['--set-string', `image.digest=${DIGEST}`]),
        '--wait',
        '--wait-for-jobs',
        '--timeout',
        '60s',
      ]);

      const job = await kubectlJson<{
        status: { conditions?: { type: string; status: string }[] };
        spec: { template: { spec: { containers: { image: string }[] } } };
      }>(['get', 'job', RELEASE, '-n', 'caelundas']);
      assert.ok(
        job.status.conditions?.some((condition) => condition.type === 'Complete' && condition.status === 'True'),
      );
      assert.equal(job.spec.template.spec.containers[0]!.image, `ghcr.io/example/caelundas:sha-1a2b3c4@${DIGEST}`);
      const pvc = await kubectlJson<{ status: { phase: string }; metadata: { annotations: Record<string, string> } }>([
        'get',
        'pvc',
        RELEASE,
        '-n',
        'caelundas',
      ]);
      assert.equal(pvc.status.phase, 'Bound');
      assert.equal(pvc.metadata.annotations['helm.sh/resource-policy'], 'keep');
      assert.equal(sim.pvcFiles('caelundas', RELEASE).get('calendar.ics')?.toString(), 'BEGIN:VCALENDAR');
      const releases = JSON.parse(await helmOk(['list', '-n', 'caelundas', '-o', 'json'])) as {
        name: string;
        status: string;
      }[];
      assert.deepEqual(
        releases.map((release) => [release.name, release.status]),
        [[RELEASE, 'deployed']],
      );
    });
  });

  it('refuses an upgrade that changes the Job, and keeps the PVC when the release is uninstalled', async () => {
    await withKubeSim(async ({ sim, helm, helmOk, kubectlOk }) => {
      sim.setJobBehavior({ namePrefix: 'caelundas-' }, { outcome: 'succeed' });
      await kubectlOk(['create', 'namespace', 'caelundas']);
      await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(SECRET) });
      await helmOk(installArgs('sha-1a2b3c4'));

      const upgrade = await helm(installArgs('sha-9f8e7d6'));
      assert.notEqual(upgrade.code, 0, 'a changed pod template cannot be applied to an existing Job');
      assert.match(upgrade.stderr, /field is immutable/);

      await helmOk(['uninstall', RELEASE, '-n', 'caelundas', '--wait']);
      assert.ok(
        sim.get('v1', 'PersistentVolumeClaim', 'caelundas', RELEASE),
        'helm.sh/resource-policy: keep leaves the output volume in place',
      );
      assert.equal(sim.get('batch/v1', 'Job', 'caelundas', RELEASE), undefined);
    });
  });
});

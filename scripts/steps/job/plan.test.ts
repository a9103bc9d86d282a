import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caelundas } from '../../apps/caelundas.ts';
import { isDnsLabel, releaseNameProblem } from '../../lib/names.ts';
import { imageReferenceProblem, parseImageReference } from '../../lib/image-ref.ts';
import { planDeploy, type PlanInput } from './plan.ts';
import { releaseName } from './release-name.ts';

const NOW = new Date('2026-01-25T14:30:22.456Z');
const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';

function input(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    app: caelundas,
    config: {
      repoRoot: '/project',
      image: { registry: 'ghcr.io', owner: 'me' },
      jobTimeoutMs: 600_000,
      outputDir: '/project/output',
      helperImage: 'busybox:1.37.0',
    },
    flags: { rebuild: false, allowDirty: false, cleanup: false },
    namespace: 'caelundas',
    git: { commit: COMMIT, shortCommit: '1a2b3c4', dirty: false, sourceUrl: 'https://github.com/me/project' },
    version: '1.0.0',
    now: NOW,
    ...overrides,
  };
}

describe('the deploy plan', () => {
  it('names each run caelundas-YYYYMMDD-HHMMSS in UTC, a valid release name', () => {
    assert.equal(releaseName('caelundas', NOW), 'caelundas-20260125-143022');
    assert.equal(releaseNameProblem(releaseName('caelundas', NOW)), undefined);
    assert.ok(isDnsLabel(releaseName('caelundas', new Date('2026-12-31T23:59:59Z'))));
  });

  it('tags the image sha-<commit> and the app version, never latest, with OCI labels', () => {
    const plan = planDeploy(input());
    assert.equal(plan.image.repository, 'ghcr.io/me/caelundas');
    assert.equal(plan.image.tag, 'sha-1a2b3c4');
    assert.deepEqual(plan.image.pushTags, ['sha-1a2b3c4', '1.0.0']);
    assert.ok(plan.image.build);
    assert.deepEqual(plan.image.build.labels, {
      'org.opencontainers.image.revision': COMMIT,
      'org.opencontainers.image.created': '2026-01-25T14:30:22.456Z',
      'org.opencontainers.image.source': 'https://github.com/me/project',
      'org.opencontainers.image.version': '1.0.0',
      'org.opencontainers.image.title': 'caelundas',
    });
    assert.equal(plan.image.build.platform, 'linux/amd64');
    assert.ok(!plan.image.pushTags.includes('latest'));
  });

  it('marks an image from a dirty tree as such, with a tag no other build can have, and pushes no version tag', () => {
    const plan = planDeploy(input({ git: { commit: COMMIT, shortCommit: '1a2b3c4', dirty: true } }));
    assert.equal(plan.image.tag, 'sha-1a2b3c4-dirty-20260125-143022');
    assert.deepEqual(plan.image.pushTags, ['sha-1a2b3c4-dirty-20260125-143022']);
  });

  it('passes the image, commit and timestamp to the chart as strings', () => {
    const plan = planDeploy(input());
    assert.deepEqual(plan.setString, {
      'image.repository': 'ghcr.io/me/caelundas',
      'image.tag': 'sha-1a2b3c4',
      'metadata.gitCommit': COMMIT,
      'metadata.timestamp': String(Math.floor(NOW.getTime() / 1000)),
    });
    assert.deepEqual(plan.chart.valuesFiles, [
      'charts/kubernetes-job/values/base.yaml',
      'charts/kubernetes-job/values/caelundas-production.yaml',
    ]);
    assert.equal(plan.outputDir, '/project/output/caelundas-20260125-143022');
  });

  it('uses --image as given, with its digest, and builds nothing', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const plan = planDeploy(
      input({
        flags: {
          image: `registry.example:5000/team/caelundas:2.0.0@${digest}`,
          rebuild: false,
          allowDirty: false,
          cleanup: false,
        },
      }),
    );
    assert.equal(plan.image.build, false);
    assert.equal(plan.image.repository, 'registry.example:5000/team/caelundas');
    assert.equal(plan.image.tag, '2.0.0');
    assert.equal(plan.setString['image.digest'], digest);
  });

  it('refuses --image values without a pinned tag or digest, and the mutable latest', () => {
    assert.equal(imageReferenceProblem('ghcr.io/me/caelundas:1.0.0'), undefined);
    assert.equal(imageReferenceProblem(`ghcr.io/me/caelundas@sha256:${'0'.repeat(64)}`), undefined);
    assert.match(imageReferenceProblem('ghcr.io/me/caelundas')!, /with a tag or digest/);
    assert.match(imageReferenceProblem('ghcr.io/me/caelundas:latest')!, /mutable tag latest/);
    assert.match(imageReferenceProblem('--kubeconfig=/tmp/x')!, /not an image reference/);
    assert.deepEqual(parseImageReference('localhost:5000/x:1'), { repository: 'localhost:5000/x', tag: '1' });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caelundas } from '../../apps/caelundas.ts';
import { isDnsLabel, releaseNameProblem } from '../../lib/names.ts';
import { imageReferenceProblem, parseImageReference } from '../../lib/image-ref.ts';
import { claimReleaseName, planDeploy, type PlanInput } from './plan.ts';
import {
  appOfRelease,
  compareRunNames,
  inputsSecretName,
  isRunReleaseName,
  nextReleaseName,
  releaseFilter,
  releaseName,
  releaseStartedAt,
} from './release-name.ts';

const NOW = new Date('2026-01-25T14:30:22.456Z');
const COMMIT = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const RUN_ID = '6b2c8a5e-1f3d-4e5a-9b7c-0d1e2f3a4b5c';

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
    cluster: 'lke12345',
    runId: RUN_ID,
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

  it('gives a name taken by a run of the same second a short suffix, which every command recognises', () => {
    const base = releaseName('caelundas', NOW);
    assert.equal(nextReleaseName(base), 'caelundas-20260125-143022-2');
    assert.equal(nextReleaseName('caelundas-20260125-143022-2'), 'caelundas-20260125-143022-3');
    assert.equal(nextReleaseName('caelundas-20260125-143022-99'), undefined, 'bounded');
    for (const name of [base, `${base}-2`, `${base}-10`, `${base}-99`]) {
      assert.ok(isRunReleaseName('caelundas', name), name);
      assert.ok(new RegExp(releaseFilter('caelundas')).test(name), name);
      assert.equal(appOfRelease(name), 'caelundas');
      assert.equal(releaseStartedAt('caelundas', name)?.toISOString(), '2026-01-25T14:30:22.000Z');
      assert.equal(releaseNameProblem(name), undefined);
    }
    for (const name of [`${base}-1`, `${base}-100`, `${base}-x`, `${base}-02`, 'caelundas-latest'])
      assert.ok(!isRunReleaseName('caelundas', name), name);
    assert.deepEqual([`${base}-10`, `${base}-2`, base].sort(compareRunNames), [base, `${base}-2`, `${base}-10`]);
  });

  it("names the run's own inputs Secret and output folder after its release, and follows a new name", () => {
    const plan = planDeploy(input());
    assert.equal(plan.inputsSecret, 'caelundas-20260125-143022-inputs');
    assert.equal(plan.setString['secretEnv.name'], 'caelundas-20260125-143022-inputs');
    assert.equal(plan.runDir, '/project/output/lke12345/caelundas/caelundas-20260125-143022');
    assert.equal(plan.filesDir, '/project/output/lke12345/caelundas/caelundas-20260125-143022/files');
    const renamed = claimReleaseName(plan, 'caelundas-20260125-143022-2');
    assert.equal(renamed.release, 'caelundas-20260125-143022-2');
    assert.equal(renamed.inputsSecret, inputsSecretName('caelundas-20260125-143022-2'));
    assert.equal(renamed.setString['secretEnv.name'], 'caelundas-20260125-143022-2-inputs');
    assert.equal(renamed.runDir, '/project/output/lke12345/caelundas/caelundas-20260125-143022-2');
    assert.equal(renamed.runId, RUN_ID, 'the same run, under another name');
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

  it("passes the image, commit, timestamp, run id and the inputs Secret's name to the chart as strings", () => {
    const plan = planDeploy(input());
    assert.deepEqual(plan.setString, {
      'image.repository': 'ghcr.io/me/caelundas',
      'image.tag': 'sha-1a2b3c4',
      'metadata.gitCommit': COMMIT,
      'metadata.timestamp': String(Math.floor(NOW.getTime() / 1000)),
      'metadata.runId': RUN_ID,
      'secretEnv.name': 'caelundas-20260125-143022-inputs',
    });
    assert.deepEqual(plan.chart.valuesFiles, [
      'charts/kubernetes-job/values/base.yaml',
      'charts/kubernetes-job/values/caelundas-production.yaml',
    ]);
  });

  it('plans a dry run without IMAGE_OWNER with the stand-in owner, which passes the reference checks', () => {
    const base = input();
    const plan = planDeploy({ ...base, config: { ...base.config, image: { registry: 'ghcr.io' } } });
    assert.equal(plan.image.repository, 'ghcr.io/your-github-user/caelundas');
    assert.equal(plan.image.standInOwner, true);
    assert.equal(plan.setString['image.repository'], 'ghcr.io/your-github-user/caelundas');
    assert.equal(imageReferenceProblem(`${plan.image.repository}:${plan.image.tag}`), undefined);
    assert.equal(planDeploy(input()).image.standInOwner, undefined, 'a real owner is no stand-in');
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

  it('keeps a digest-only --image exactly as given: no tag is made up for it', () => {
    const given = `registry.example:5000/team/caelundas@sha256:${'cd'.repeat(32)}`;
    const plan = planDeploy(input({ flags: { image: given, rebuild: false, allowDirty: false, cleanup: false } }));
    assert.equal(plan.image.given, given);
    assert.equal(plan.image.tag, undefined);
    assert.equal(plan.setString['image.tag'], undefined);
    assert.equal(plan.setString['image.digest'], `sha256:${'cd'.repeat(32)}`);
  });

  it('refuses --image values without a pinned tag or digest, and the mutable latest', () => {
    assert.equal(imageReferenceProblem('ghcr.io/me/caelundas:1.0.0'), undefined);
    assert.equal(imageReferenceProblem(`ghcr.io/me/caelundas@sha256:${'0'.repeat(64)}`), undefined);
    assert.match(imageReferenceProblem('ghcr.io/me/caelundas')!, /with a tag or digest/);
    assert.match(imageReferenceProblem('ghcr.io/me/caelundas:latest')!, /mutable tag latest/);
    assert.match(imageReferenceProblem('--kubeconfig=/tmp/x')!, /not an image reference/);
    // What the registries (and the chart's schema) refuse is refused here, before anything runs.
    assert.match(
      imageReferenceProblem('ghcr.io/me/caelundas-:1.0.0')!,
      /"ghcr\.io\/me\/caelundas-" is not a valid image name/,
    );
    assert.match(imageReferenceProblem('ghcr-.io/me/caelundas:1.0.0')!, /not a valid image name/);
    assert.match(imageReferenceProblem('ghcr.io/me/cael..undas:1.0.0')!, /not a valid image name/);
    assert.equal(imageReferenceProblem('localhost:5000/tests/my_app__x-y:1.0.0'), undefined);
    assert.deepEqual(parseImageReference('localhost:5000/x:1'), { repository: 'localhost:5000/x', tag: '1' });
  });
});

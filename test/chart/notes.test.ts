/**
 * NOTES.txt is what a person sees after `helm install`: it must name the CLI commands and their raw equivalents
 * for this exact release. Rendered with `helm install --dry-run=client`, which needs no cluster.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BASE_VALUES, CAELUNDAS_VALUES, CHART_DIR, runHelm } from './helm.ts';

const RELEASE = 'caelundas-20260125-143022';

describe('NOTES.txt', () => {
  let notes = '';
  before(async () => {
    const { code, stdout, stderr } = await runHelm([
      'install',
      RELEASE,
      CHART_DIR,
      '--namespace',
      'apps',
      '--dry-run=client',
      '-f',
      BASE_VALUES,
      '-f',
      CAELUNDAS_VALUES,
      '--set-string',
      'image.tag=1.4.2',
    ]);
    assert.equal(code, 0, stderr);
    notes = stdout.slice(stdout.indexOf('NOTES:'));
  });

  it('tells how to follow the logs with the CLI and with kubectl', () => {
    assert.ok(notes.includes(`npx tsx tasks.ts logs caelundas --release ${RELEASE}`), notes);
    assert.ok(notes.includes(`kubectl -n apps logs -f job/${RELEASE}`), notes);
  });

  it('tells how to copy the output with the CLI and with a read-only helper pod', () => {
    assert.ok(notes.includes(`npx tsx tasks.ts copy caelundas --release ${RELEASE}`), notes);
    assert.ok(notes.includes(`"claimName":"${RELEASE}","readOnly":true`), notes);
    assert.ok(notes.includes(`kubectl -n apps cp ${RELEASE}-copy:/output`), notes);
    assert.ok(notes.includes(`kubectl -n apps delete pod ${RELEASE}-copy`), notes);
  });

  it('tells how to uninstall, and that the kept PVC and a retained volume need deleting', () => {
    assert.ok(notes.includes(`npx tsx tasks.ts uninstall caelundas --release ${RELEASE}`), notes);
    assert.ok(notes.includes(`helm uninstall ${RELEASE} -n apps`), notes);
    assert.ok(notes.includes(`kubectl -n apps delete secret ${RELEASE}-inputs   # this run's inputs`), notes);
    assert.ok(notes.includes(`kubectl -n apps delete pvc ${RELEASE}`), notes);
    assert.match(notes, /Released PV/);
  });

  it('gives a helper pod that passes Pod Security "restricted"', () => {
    const overrides = /--overrides='([^']+)'/.exec(notes)?.[1];
    assert.ok(overrides, 'the helper pod overrides are present');
    const pod = JSON.parse(overrides) as {
      spec: {
        securityContext: { runAsNonRoot: boolean; runAsUser: number; seccompProfile: { type: string } };
        containers: Array<{ securityContext: { allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } } }>;
      };
    };
    assert.equal(pod.spec.securityContext.runAsNonRoot, true);
    assert.equal(pod.spec.securityContext.runAsUser, 10001);
    assert.equal(pod.spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    for (const container of pod.spec.containers) {
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
    }
  });
});

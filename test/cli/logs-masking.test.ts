/**
 * Every command that shows pod output masks the app's sensitive inputs: deploy always did, `logs` printed them.
 * The Job here echoes its (sensitive) latitude, as a real program might in a debug line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDeployBed, VALID_INPUTS, type DeployBed } from '../support/deploy-bed.ts';
import { runCli } from '../support/cli.ts';

const CANARY_LATITUDE = '48.8566140277';

describe('logs', () => {
  let bed: DeployBed;
  before(async () => {
    bed = await createDeployBed();
  });
  after(() => bed.close());

  it("masks the app's sensitive inputs in the pod's log, as deploy does", async () => {
    bed.sim.setJobBehavior(
      { namePrefix: 'caelundas-' },
      { outcome: 'succeed', logLines: [`observer at latitude ${CANARY_LATITUDE}`, 'done'] },
    );
    const env = { ...bed.env, ...VALID_INPUTS, LATITUDE: CANARY_LATITUDE };
    const deploy = await runCli(['deploy', 'caelundas', '--image', 'registry.example:5000/tests/caelundas:1.0.0'], {
      env,
    });
    assert.equal(deploy.code, 0, deploy.output);
    assert.ok(!deploy.output.includes(CANARY_LATITUDE), 'deploy masks it');
    const release = /caelundas-\d{8}-\d{6}/.exec(deploy.output)![0];

    const logs = await runCli(['logs', 'caelundas', '--release', release], { env });
    assert.equal(logs.code, 0, logs.output);
    assert.match(logs.stdout, /^observer at latitude \*\*\*$/m);
    assert.ok(!logs.output.includes(CANARY_LATITUDE), 'logs masks it too');
  });
});

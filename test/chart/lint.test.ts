/**
 * `helm lint --strict` (warnings fail too) for the chart alone and for every shipped values layer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_VALUES, CAELUNDAS_VALUES, CHART_DIR, runHelm } from './helm.ts';

const REQUIRED_FOR_CHART_ALONE = ['--set', 'image.repository=ghcr.io/example/report', '--set', 'image.tag=1.4.2'];

describe('helm lint --strict', () => {
  it('passes for the chart alone once the required image is given', async () => {
    const { code, stdout, stderr } = await runHelm(['lint', '--strict', CHART_DIR, ...REQUIRED_FOR_CHART_ALONE]);
    assert.equal(code, 0, stdout + stderr);
    assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('passes with base.yaml', async () => {
    const { code, stdout, stderr } = await runHelm([
      'lint',
      '--strict',
      CHART_DIR,
      '-f',
      BASE_VALUES,
      ...REQUIRED_FOR_CHART_ALONE,
    ]);
    assert.equal(code, 0, stdout + stderr);
  });

  it('passes with base.yaml and caelundas-production.yaml plus the tag the CLI passes', async () => {
    const { code, stdout, stderr } = await runHelm([
      'lint',
      '--strict',
      CHART_DIR,
      '-f',
      BASE_VALUES,
      '-f',
      CAELUNDAS_VALUES,
      '--set-string',
      'image.tag=1.4.2',
    ]);
    assert.equal(code, 0, stdout + stderr);
  });

  it('fails for the caelundas values without a tag, so a forgotten tag cannot reach the cluster', async () => {
    const { code, stdout, stderr } = await runHelm([
      'lint',
      '--strict',
      CHART_DIR,
      '-f',
      BASE_VALUES,
      '-f',
      CAELUNDAS_VALUES,
    ]);
    assert.notEqual(code, 0);
    assert.match(stdout + stderr, /missing property 'tag'/);
  });
});

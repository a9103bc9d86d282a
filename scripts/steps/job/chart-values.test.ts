import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImagePlan } from '../image/build.ts';
import { chartValueInputs, schemaFailureHint } from './chart-values.ts';

const BUILT: ImagePlan = {
  repository: 'ghcr.io/me/caelundas',
  tag: 'sha-1a2b3c4',
  pushTags: ['sha-1a2b3c4'],
  build: { dockerfile: 'Dockerfile', context: '.', platform: 'linux/amd64', labels: {} },
};
const GIVEN: ImagePlan = {
  given: 'ghcr.io/me/caelundas-:1.0.0',
  repository: 'ghcr.io/me/caelundas-',
  tag: '1.0.0',
  pushTags: [],
  build: false,
};
const SET_STRING = {
  'image.repository': 'ghcr.io/me/caelundas-',
  'image.tag': '1.0.0',
  'metadata.runId': 'x',
  'secretEnv.name': 'caelundas-20260125-143022-inputs',
};

describe('the chart schema hint', () => {
  it('names --image for the image values it set', () => {
    assert.equal(
      schemaFailureHint(['image.repository'], SET_STRING, chartValueInputs({ image: GIVEN })),
      'The values do not pass the chart schema; image.repository comes from --image ghcr.io/me/caelundas-:1.0.0: fix that value.',
    );
  });

  it('names IMAGE_REGISTRY and IMAGE_OWNER for a built image', () => {
    assert.deepEqual(chartValueInputs({ image: BUILT }), {
      'image.repository': 'IMAGE_REGISTRY and IMAGE_OWNER (ghcr.io/me/caelundas)',
    });
  });

  it("calls a value deckhand sets itself a bug, and keeps the values-file hint for the files' values", () => {
    const inputs = chartValueInputs({ image: GIVEN });
    assert.equal(
      schemaFailureHint(['metadata.runId', 'resources.limits.memory'], SET_STRING, inputs),
      'The values do not pass the chart schema; metadata.runId is set by deckhand itself: please report this as a bug; fix the values file named above.',
    );
    assert.equal(
      schemaFailureHint([], SET_STRING, inputs),
      'The values do not pass the chart schema; fix the values file named above.',
      'nothing recognised (another helm failure): as before',
    );
  });
});

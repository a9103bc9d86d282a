/**
 * values.schema.json turns mistakes into render failures with a message that names the key. Each case renders the
 * caelundas layers with one mistake and expects helm to refuse with the schema's wording.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASE_VALUES, CAELUNDAS_VALUES, runHelm, templateArgs } from './helm.ts';

const SCHEMA_FAILURE = "values don't meet the specifications of the schema(s)";

async function renderWith(set: string[]): Promise<{ code: number; stderr: string }> {
  return runHelm(templateArgs({ valuesFiles: [BASE_VALUES, CAELUNDAS_VALUES], set }));
}

async function assertRejected(set: string[], message: string): Promise<void> {
  const { code, stderr } = await renderWith(set);
  assert.notEqual(code, 0, `helm accepted --set ${set.join(' --set ')}`);
  assert.ok(stderr.includes(SCHEMA_FAILURE), `schema failure expected, got:\n${stderr}`);
  assert.ok(stderr.includes(message), `expected "${message}" in:\n${stderr}`);
}

describe('values.schema.json', () => {
  it('accepts the caelundas values with a tag (the control case for the rejections below)', async () => {
    const { code, stderr } = await renderWith(['image.tag=1.4.2']);
    assert.equal(code, 0, stderr);
  });

  it('accepts a digest without a tag, and rejects an image with neither', async () => {
    const { code, stderr } = await renderWith([`image.digest=sha256:${'c3'.repeat(32)}`]);
    assert.equal(code, 0, stderr);
    await assertRejected([], "at '/image': missing property 'tag'");
  });

  it('rejects a secretEnv key that is not an environment variable name, and a run id that is not a label value', async () => {
    await assertRejected(['image.tag=1.4.2', 'secretEnv.keys[0]=START-DATE'], "at '/secretEnv/keys/0'");
    await assertRejected(['image.tag=1.4.2', 'metadata.runId=not a label'], "at '/metadata/runId'");
  });

  it('rejects a misspelt key', async () => {
    await assertRejected(['image.tag=1.4.2', 'iamge.tag=x'], "at '': additional properties 'iamge' not allowed");
  });

  it('rejects a misspelt nested key', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'job.backofLimit=1'],
      "at '/job': additional properties 'backofLimit' not allowed",
    );
  });

  it('rejects a wrong type', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'job.backoffLimit=abc'],
      "at '/job/backoffLimit': got string, want integer",
    );
  });

  it('rejects a run without an image tag', async () => {
    await assertRejected([], "at '/image': missing property 'tag'");
  });

  it('rejects the mutable tag latest', async () => {
    await assertRejected(['image.tag=latest'], "at '/image/tag': value must be 'an immutable tag");
  });

  it('rejects an unknown pullPolicy', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'image.pullPolicy=Sometimes'],
      "at '/image/pullPolicy': value must be one of 'Always', 'IfNotPresent', 'Never'",
    );
  });

  it('rejects an uppercase placeholder repository such as ghcr.io/OWNER/caelundas', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'image.repository=ghcr.io/OWNER/caelundas'],
      "at '/image/repository': 'ghcr.io/OWNER/caelundas' does not match pattern",
    );
  });

  it('rejects a digest that is not sha256 with 64 hex digits', async () => {
    await assertRejected(['image.tag=1.4.2', 'image.digest=sha256:abc'], "at '/image/digest'");
  });

  it('rejects a numeric plain env value, which the API server would refuse later', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'env[0].name=RETRIES', 'env[0].value=3'],
      "at '/env/0/value': got number, want string",
    );
  });

  it('rejects running as root or with privilege escalation', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'podSecurityContext.runAsNonRoot=false'],
      "at '/podSecurityContext/runAsNonRoot': value must be true",
    );
    await assertRejected(
      ['image.tag=1.4.2', 'podSecurityContext.runAsUser=0'],
      "at '/podSecurityContext/runAsUser': minimum: got 0, want 1",
    );
    await assertRejected(
      ['image.tag=1.4.2', 'podSecurityContext.runAsNonRoot=null'],
      "at '/podSecurityContext': missing property 'runAsNonRoot'",
    );
    await assertRejected(
      ['image.tag=1.4.2', 'securityContext.allowPrivilegeEscalation=true'],
      "at '/securityContext/allowPrivilegeEscalation': value must be false",
    );
    await assertRejected(
      ['image.tag=1.4.2', 'securityContext.capabilities.drop={NET_RAW}'],
      "at '/securityContext/capabilities/drop'",
    );
  });

  it('rejects exit codes outside 1-255 and an Unconfined seccomp profile', async () => {
    await assertRejected(
      ['image.tag=1.4.2', 'job.podFailurePolicy.failJobOnExitCodes={0}'],
      "at '/job/podFailurePolicy/failJobOnExitCodes/0'",
    );
    await assertRejected(
      ['image.tag=1.4.2', 'podSecurityContext.seccompProfile.type=Unconfined'],
      "at '/podSecurityContext/seccompProfile/type'",
    );
  });
});

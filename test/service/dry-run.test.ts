/**
 * `deploy wpp-bot --dry-run` without a cluster, docker login or inputs: the plan, every command a real run would start
 * (writes shown, not run), and the objects it would create — and nothing changes.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDeployBed, type DeployBed } from '../support/deploy-bed.ts';
import { runCli } from '../support/cli.ts';

describe('deploy wpp-bot --dry-run without a cluster', () => {
  let bed: DeployBed;
  let home: string;
  before(async () => {
    bed = await createDeployBed();
    home = await mkdtemp(path.join(os.tmpdir(), 'deckhand-no-cluster-'));
  });
  after(async () => {
    await rm(home, { recursive: true, force: true });
    await bed.close();
  });

  it('shows the plan, the phases and every write with the images by digest, and changes nothing', async () => {
    const { KUBECONFIG: _kubeconfig, IMAGE_OWNER: _owner, ...env } = bed.env;
    const result = await runCli(['deploy', 'wpp-bot', '--dry-run', '--verbose'], {
      env: { ...env, HOME: home, DECKHAND_STATE_ROOT: home },
      replaceEnv: true,
      timeoutMs: 60_000,
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /no cluster: No kubeconfig at .* \(dry run: cluster reads are skipped\)/);
    assert.match(result.output, /Target: no cluster \(dry run\) · namespace "wpp-bot"/);
    assert.match(
      result.output,
      /A real run needs ELEVENLABS_API_KEY, JWT_SECRET, POSTGRES_PASSWORD \(set them in \.env\.wpp-bot\)/,
    );
    assert.match(
      result.output,
      /2\. ServiceAccount postgres, PersistentVolumeClaim postgres-data, Deployment postgres, Service postgres — then wait until postgres is ready/,
    );
    for (const image of ['wpp-bot', 'wpp-bot-dashboard'])
      assert.match(
        result.output,
        new RegExp(
          `\\[dry run\\] would run: docker (buildx )?build --platform linux/amd64 .*--tag ghcr\\.io/your-github-user/${image}:sha-[0-9a-f]{7}`,
        ),
      );
    assert.equal(
      result.output.match(
        /\[dry run\] would run: kubectl apply --kubeconfig '<kubeconfig>' --context '<context>' --namespace wpp-bot --server-side --field-manager deckhand --force-conflicts --output json --filename - {2}\(with input on stdin, not shown\)/g,
      )?.length,
      4,
      'one apply per phase',
    );
    assert.match(result.output, /Secret wpp-bot-secret: would be created/);
    assert.match(
      result.output,
      /Deployment wpp-bot: would be created, running ghcr\.io\/your-github-user\/wpp-bot:sha-[0-9a-f]{7} \(by the digest its push reports\)/,
    );
    assert.match(result.output, /Deployment postgres: would be created, running postgres:17\.6-bookworm$/m);
    assert.match(result.output, /\[dry run\] would watch: kubectl get deployments .*--watch --output-watch-events/);
    // IMAGE_OWNER is not set: the plan says a stand-in is used, and no registry is asked about the stand-in.
    assert.match(
      result.output,
      /image owner: not set — a stand-in is used for this dry run; set IMAGE_OWNER in \.env for a real run/,
    );
    assert.doesNotMatch(result.output, /docker manifest inspect/);
    assert.doesNotMatch(result.output, /<IMAGE_OWNER>/);
    assert.match(result.output, /Dry run done: nothing was changed\./);
    assert.doesNotMatch(result.output, /Roll-out record/, 'a dry run leaves no record');
  });
});

/**
 * "Try failures without a cluster" (README): each `npm run sim -- --job-behavior caelundas-=OUTCOME` must make
 * `deploy` print the explanation the README promises for it. Each outcome is parsed by the simulator CLI's own
 * parser and applied to an in-process simulator (fast test timings); one runs end to end through the real
 * `npm run sim` process with the README's exact commands.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseJobBehavior } from '../../kube-sim/cli-behaviors.ts';
import { REPO_ROOT } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { createDeployBed, VALID_INPUTS } from '../support/deploy-bed.ts';
import { createSandbox } from '../support/sandbox.ts';

const IMAGE = 'ghcr.io/tests/caelundas:1.0.0';

/** What deploy prints for each outcome: the README's troubleshooting rows, and its exit code. */
const EXPLANATIONS: { outcome: string; timeout?: string; code: number; says: RegExp[] }[] = [
  {
    outcome: 'fail',
    code: 1,
    says: [
      /The program failed 2 times \(backoffLimit 1 reached\); last exit code 1\./,
      /│ Error: something went wrong/,
    ],
  },
  {
    outcome: 'image-pull-error',
    code: 1,
    says: [/The image ghcr\.io\/tests\/caelundas:1\.0\.0 does not exist in the registry/],
  },
  {
    outcome: 'pull-unauthorized',
    code: 1,
    says: [/The registry refused to give ghcr\.io\/tests\/caelundas:1\.0\.0 to the cluster/, /REGISTRY_PULL_TOKEN/],
  },
  { outcome: 'wrong-platform', code: 1, says: [/has no linux\/amd64 variant/, /install docker buildx/] },
  {
    outcome: 'missing-key',
    code: 1,
    says: [/The Secret caelundas\/caelundas-\d{8}-\d{6}(-\d+)?-inputs has no key START_DATE/],
  },
  { outcome: 'oom-killed', code: 1, says: [/ran out of memory \(OOMKilled, exit 137\)/, /resources\.limits\.memory/] },
  { outcome: 'deadline', code: 1, says: [/The Job ran longer than its deadline of 3600 s \(activeDeadlineSeconds\)/] },
  {
    outcome: 'never-finish',
    timeout: '3s',
    code: 1,
    says: [/did not finish within 3\.0 s\./, /It keeps running in the cluster/],
  },
  {
    outcome: 'unschedulable',
    timeout: '3s',
    code: 1,
    says: [
      /did not finish within 3\.0 s: its pod was never scheduled: 0\/3 nodes are available: 3 Insufficient cpu\..*; nothing ran\.$/m,
      /No node has room for the pod/,
    ],
  },
  { outcome: 'disrupted', code: 0, says: [/caelundas run caelundas-\d{8}-\d{6} done\./] },
];

describe('failures scripted with npm run sim', () => {
  for (const { outcome, timeout, code, says } of EXPLANATIONS) {
    it(`--job-behavior caelundas-=${outcome}: deploy explains it`, async () => {
      const bed = await createDeployBed();
      try {
        parseJobBehavior(`caelundas-=${outcome}`).apply(bed.sim);
        const result = await runCli(
          ['deploy', 'caelundas', '--image', IMAGE, ...(timeout ? ['--timeout', timeout] : [])],
          {
            env: { ...bed.env, ...VALID_INPUTS },
            timeoutMs: 90_000,
          },
        );
        assert.equal(result.code, code, result.output);
        for (const pattern of says) assert.match(result.output, pattern);
        if (outcome === 'disrupted') {
          // It did succeed after an eviction, not instead of one.
          const pods = bed.sim.list<{ status?: { conditions?: { type: string; status: string }[] } }>(
            'v1',
            'Pod',
            'caelundas',
          );
          const evicted = pods.filter((pod) =>
            pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True'),
          );
          assert.equal(evicted.length, 1, JSON.stringify(pods.map((pod) => pod.status?.conditions)));
        }
      } finally {
        await bed.close();
      }
    });
  }

  it('runs as the README says: the simulator in one process, deploy against its kubeconfig in another', async () => {
    const sandbox = await createSandbox();
    const bed = await createDeployBed();
    const kubeconfig = path.join(sandbox.dir, 'sim.yaml');
    const sim = sandbox.start(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO_ROOT, 'kube-sim', 'cli.ts'),
        '--kubeconfig',
        kubeconfig,
        '--job-behavior',
        'caelundas-=wrong-platform',
      ],
      // The test runner marks its children; the simulator CLI does not serve inside a test file.
      { cwd: REPO_ROOT, env: { NODE_TEST_CONTEXT: undefined } },
    );
    try {
      const banner = await sim.waitForOutput('Gaps (requests', 20_000);
      assert.match(banner, /Jobs named caelundas-\*: pods fail to pull their image: no variant for linux\/amd64/);
      const result = await runCli(['deploy', 'caelundas', '--image', IMAGE], {
        env: { ...bed.env, ...VALID_INPUTS, KUBECONFIG: kubeconfig },
        timeoutMs: 90_000,
      });
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /Target: context "kube-sim"/);
      assert.match(result.output, /The image ghcr\.io\/tests\/caelundas:1\.0\.0 has no linux\/amd64 variant/);
    } finally {
      const stopped = await sim.stop('SIGINT');
      assert.match(stopped.stdout, /kube-sim stopped\. Requests answered: \d+; gaps: 0\./);
      await bed.close();
      await sandbox.cleanup();
    }
  });
});

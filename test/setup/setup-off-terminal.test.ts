/**
 * `setup` off a terminal, as CI runs it: every missing answer listed at once with exit 2 and nothing written; a bad
 * token (or one without the scopes) refused before anything is saved or created; and with --yes, flags and the
 * environment, the whole way from nothing to a completed caelundas run — then a second run that finds everything
 * done and skips each stage, saying why.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pushStandInTraefik } from '../support/stand-in-traefik.ts';
import { createSandbox } from '../support/sandbox.ts';
import { useRegistry, type Registry } from '../support/registry.ts';
import { BAD_TOKEN, DOMAIN, INPUTS, SETUP_ARGS, TOKEN, createSetupBed, type SetupBed } from './setup-bed.ts';

const ANSWERS = { LINODE_TOKEN: TOKEN, DOMAIN, ACME_EMAIL: 'ops@example.test', ...INPUTS };
const FLAGS = ['--region', 'us-ord', '--node-type', 'g6-standard-2'];

describe('setup off a terminal', { concurrency: 2 }, () => {
  let registry: Registry | undefined;
  let skip: string | undefined;
  let chart = 'oci://127.0.0.1:1/traefik/helm/traefik';
  before(async () => {
    const used = await useRegistry();
    if ('skip' in used) skip = used.skip;
    else {
      registry = used;
      const sandbox = await createSandbox();
      try {
        chart = await pushStandInTraefik(sandbox.bin.helm, registry.host, sandbox.dir, sandbox.env);
      } finally {
        await sandbox.cleanup();
      }
    }
  });
  after(() => registry?.stop());

  const withBed = async (fn: (bed: SetupBed) => Promise<void>, scopes?: string) => {
    const bed = await createSetupBed({ traefikChart: chart, ...(scopes ? { scopes } : {}) });
    try {
      await fn(bed);
    } finally {
      await bed.close();
    }
  };

  const nothingWritten = (bed: SetupBed) => {
    assert.ok(!existsSync(path.join(bed.envDir, '.env')), '.env was written');
    assert.ok(!existsSync(path.join(bed.terraformDir, 'terraform.tfvars')), 'terraform.tfvars was written');
    assert.ok(!existsSync(path.join(bed.stateRoot, '.deckhand')), '.deckhand was written');
    assert.deepEqual(
      bed.terraformCalls().filter((call) => !['output', 'version'].includes(call.argv[0]!)),
      [],
      'terraform only read',
    );
  };

  it('lists every missing answer at once and exits 2, writing nothing', async () => {
    await withBed(async (bed) => {
      const result = await bed.cli([...SETUP_ARGS]);
      assert.equal(result.code, 2, result.output);
      assert.match(
        result.stderr,
        /setup needs 10 answers that nobody is at a terminal to give \(nothing was written\):/,
      );
      for (const name of ['LINODE_TOKEN', 'DOMAIN', 'ACME_EMAIL', 'region', 'node type', 'START_DATE', 'LONGITUDE'])
        assert.match(result.stderr, new RegExp(`^  - ${name}: `, 'm'), name);
      assert.match(result.stderr, /- region: pass --region us-ord, or set region in terraform\/terraform\.tfvars/);
      assert.match(result.stderr, /- confirmation: pass --yes: setup creates an LKE cluster \(billed monthly\)/);
      assert.doesNotMatch(result.stderr, /IMAGE_OWNER|GITHUB_TOKEN/, 'an existing image needs no registry owner');
      nothingWritten(bed);
      assert.deepEqual(bed.api.requests, [], 'the Linode API was not asked yet');
    });
  });

  it('refuses a token the API rejects, and one without the scopes, before anything is saved or created', async () => {
    await withBed(async (bed) => {
      const rejected = await bed.cli([...SETUP_ARGS, ...FLAGS, '--yes'], {
        env: { ...ANSWERS, LINODE_TOKEN: BAD_TOKEN },
      });
      assert.equal(rejected.code, 2, rejected.output);
      assert.match(
        rejected.stderr,
        /The Linode API rejected the token \(401: Invalid Token\)\. It comes from the environment; nothing was written\./,
      );
      assert.ok(!rejected.output.includes(BAD_TOKEN), 'the token was printed');
      assert.ok(bed.api.requests.some((request) => request.path === '/v4/profile'));
      nothingWritten(bed);
    });
    await withBed(async (bed) => {
      const narrow = await bed.cli([...SETUP_ARGS, ...FLAGS, '--yes'], { env: ANSWERS });
      assert.equal(narrow.code, 2, narrow.output);
      assert.match(narrow.stderr, /lacks volumes:read_write \(it has lke:read_write, linodes:read_only\)/);
      nothingWritten(bed);
    }, 'lke:read_write linodes:read_only');
  });

  it('refuses a region without Kubernetes and a node type that is no plan (exit 2, nothing written)', async () => {
    await withBed(async (bed) => {
      const region = await bed.cli([...SETUP_ARGS, '--region', 'us-rno-1', '--node-type', 'g6-standard-2', '--yes'], {
        env: ANSWERS,
      });
      assert.equal(region.code, 2, region.output);
      assert.match(region.stderr, /Region "us-rno-1" \(--region\) does not offer Kubernetes to this account\./);
      assert.match(region.stderr, /Choose one of: us-east, us-ord, br-gru\./);
      const type = await bed.cli([...SETUP_ARGS, '--region', 'us-ord', '--node-type', 'g6-nanode-1', '--yes'], {
        env: ANSWERS,
      });
      assert.equal(type.code, 2, type.output);
      assert.match(type.stderr, /Node type "g6-nanode-1" \(--node-type\) is not a Linode plan LKE can use\./);
      nothingWritten(bed);
    });
  });

  it('--dry-run: plans and shows, writes nothing, applies nothing, and needs no --yes', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      const result = await bed.cli([...SETUP_ARGS, ...FLAGS, '--dry-run'], { env: ANSWERS });
      assert.equal(result.code, 0, result.output);
      assert.match(
        result.output,
        /\[dry run\] would write region = "us-ord", node_type = "g6-standard-2" into .*terraform\.tfvars/,
      );
      assert.match(result.output, /Dry run: nothing was applied\./);
      assert.match(
        result.output,
        /5\/9 Fetch the kubeconfig and record the cluster: skipped, dry run: there is no cluster yet/,
      );
      assert.match(result.output, /── 8\/9 Try the deploy: deploy caelundas --dry-run/);
      assert.match(result.output, /9\/9 Deploy caelundas: skipped, dry run/);
      assert.match(result.output, /Dry run of setup done: nothing was changed\./);
      assert.ok(!existsSync(path.join(bed.envDir, '.env')));
      assert.ok(!existsSync(path.join(bed.terraformDir, 'terraform.tfvars')));
      assert.ok(!existsSync(path.join(bed.stateRoot, '.deckhand')));
      assert.ok(!bed.terraformCalls().some((call) => call.argv[0] === 'apply'), 'terraform applied');
    });
  });

  it('with --yes, flags and the environment: from nothing to a completed run; a second run skips every stage', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      bed.sim.setJobBehavior(
        { namePrefix: 'caelundas-' },
        { outcome: 'succeed', logLines: ['wrote calendar.ics'], files: { 'calendar.ics': 'BEGIN:VCALENDAR\r\n' } },
      );
      const first = await bed.cli([...SETUP_ARGS, ...FLAGS, '--yes'], { env: ANSWERS });
      assert.equal(first.code, 0, first.output);
      assert.ok(!first.output.includes(TOKEN), 'the token was printed');
      // Given in the environment, the answers are not copied into .env; the flags are kept for terraform.
      assert.ok(!existsSync(path.join(bed.envDir, '.env')));
      assert.equal(
        readFileSync(path.join(bed.terraformDir, 'terraform.tfvars'), 'utf8')
          .match(/^(region|node_type) = .*$/gm)
          ?.join('\n'),
        'region = "us-ord"\nnode_type = "g6-standard-2"',
      );
      const calls = bed.terraformCalls().map((call) => call.argv[0]);
      assert.ok(calls.includes('apply'), calls.join(' '));
      assert.ok(
        bed
          .terraformCalls()
          .filter((call) => call.argv[0] === 'plan')
          .every((call) => call.tokenMatches),
      );
      assert.ok(existsSync(path.join(bed.stateRoot, '.deckhand', 'cluster.json')), 'the cluster is recorded');
      assert.ok(bed.sim.get('apps/v1', 'Deployment', 'traefik', 'traefik'), 'Traefik is installed');
      assert.match(
        first.output,
        /7\/9 Point DNS at the load balancer: skipped, api\.example\.test and dashboard\.example\.test resolve to 127\.0\.0\.1/,
      );
      assert.match(first.output, /Dry run done: nothing was changed\./);
      assert.match(first.output, /caelundas run caelundas-\d{8}-\d{6} done\./);
      const runs = readdirSync(bed.outputDir);
      assert.equal(runs.length, 1, runs.join(', '));
      assert.match(first.output, /Setup is complete \(\d stages run, \d already done\)/);

      const applies = calls.filter((call) => call === 'apply').length;
      const second = await bed.cli([...SETUP_ARGS, '--yes'], { env: ANSWERS });
      assert.equal(second.code, 0, second.output);
      for (const [number, reason] of [
        ['2/9 Install the tools', /every tool is there: git .*, helm v4\.1\.4, kubectl v1\.34\.5, terraform 1\.11\.4/],
        ['3/9 Answer the questions and save them', /everything is answered/],
        [String.raw`4/9 Create the cluster \(infra apply\)`, /terraform's state has cluster "deckhand" \(id 424242\)/],
        ['5/9 Fetch the kubeconfig and record the cluster', /"deckhand" is recorded .* and answers: Kubernetes/],
        ['6/9 Install Traefik', /Traefik 41\.3\.0 is deployed; its load balancer is 127\.0\.0\.1/],
        ['8/9 Try the deploy', /caelundas has run: caelundas-\d{8}-\d{6} completed/],
        ['9/9 Deploy caelundas', /caelundas has run/],
      ] as const)
        assert.match(second.output, new RegExp(`✔ ${number}[^\\n]*: skipped, ${reason.source}`), number);
      assert.equal(bed.terraformCalls().filter((call) => call.argv[0] === 'apply').length, applies, 'no second apply');
      assert.equal(readdirSync(bed.outputDir).length, 1, 'no second run');
      assert.match(second.output, /Setup is complete \(1 stage run, 8 already done\)/);

      // doctor sees what setup made: the managed cluster, Traefik with its address, the token.
      const doctor = await bed.cli(['doctor'], { env: ANSWERS });
      assert.match(doctor.stdout, /^✔ traefik +Traefik chart 41\.3\.0, deployed, address 127\.0\.0\.1( · \S+)?$/m);
      assert.match(doctor.stdout, /^✔ cluster guard +the target is the managed cluster "deckhand"$/m);
      assert.match(doctor.stdout, /^✔ linode token +valid \(user deckhand-tester\), scopes \*$/m);
    });
  });
});

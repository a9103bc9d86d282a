/**
 * `deploy wpp-bot` on the test bed, with existing images (no docker needed): the real kubectl applies, watches and
 * undoes against the simulated cluster, whose Deployment controller and scripted pods play the app. One bed, one
 * story: the first roll-out, a deploy that changes nothing, config changes, and roll-outs that fail in the ways the
 * watch must catch early.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../kube-sim/index.ts';
import { REPO_ROOT } from '../support/cli.ts';
import {
  createServiceBed,
  DIGEST_A,
  DIGEST_B,
  DIGEST_C,
  givenImages,
  imageOf,
  NS,
  WPP_BOT_INPUTS,
  type ServiceBed,
} from './bed.ts';

const GOOD = `registry.example:5000/tests/wpp-bot:sha-1111111@${DIGEST_A}`;
const DASHBOARD = `registry.example:5000/tests/wpp-bot-dashboard:sha-1111111@${DIGEST_B}`;

function writes(bed: ServiceBed): string[] {
  return bed.sim.requests
    .filter((request) => !['GET', 'WATCH'].includes(request.method))
    .map((request) => `${request.method} ${request.path}`);
}

function isReady(pod: KubeObject): boolean {
  const conditions =
    (pod['status'] as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

function secretValue(bed: ServiceBed, key: string): string | undefined {
  const data = bed.sim.get<{ data?: Record<string, string> }>('v1', 'Secret', NS, 'wpp-bot-secret')?.data;
  return data?.[key] === undefined ? undefined : Buffer.from(data[key], 'base64').toString('utf8');
}

describe('deploy wpp-bot with existing images', () => {
  let bed: ServiceBed;
  before(async () => {
    bed = await createServiceBed();
  });
  after(async () => {
    await bed.close();
    bed.sim.assertNoGaps();
  });

  it('first roll-out: foundation, then Postgres until ready, then the app by digest, the Ingress last', async () => {
    bed.sim.setDeploymentBehavior({ namespace: NS, name: 'postgres' }, { outcome: 'slow', readyAfterMs: 300 });
    // Observed inside the simulator: how things stood the moment the app's Deployment first existed.
    const whenTheAppAppeared = bed.sim.waitFor(
      (sim) => {
        if (!sim.get('apps/v1', 'Deployment', NS, 'wpp-bot')) return undefined;
        const postgres = sim
          .list('v1', 'Pod', NS)
          .filter((pod) => pod.metadata.labels?.['app.kubernetes.io/name'] === 'postgres');
        return {
          postgresReady: postgres.some(isReady),
          ingress: Boolean(sim.get('networking.k8s.io/v1', 'Ingress', NS, 'wpp-bot')),
        };
      },
      { timeoutMs: 60_000, description: 'the wpp-bot Deployment appears' },
    );
    const result = await bed.deploy(givenImages('sha-1111111'));
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(await whenTheAppAppeared, { postgresReady: true, ingress: false });

    assert.equal(imageOf(bed, 'wpp-bot'), GOOD);
    assert.equal(imageOf(bed, 'dashboard'), DASHBOARD);
    const files = await readFile(path.join(REPO_ROOT, 'k8s/wpp-bot/40-wpp-bot.yaml'), 'utf8');
    assert.match(files, /image: ghcr\.io\/example\/wpp-bot:sha-0000000/, 'the file keeps its placeholder');

    // Every write is a server-side apply by deckhand (or a metadata-only annotation), in dependency order.
    const patches = writes(bed);
    assert.ok(patches.length > 0);
    for (const write of patches.filter((line) => !line.includes('fieldManager=kubectl-annotate')))
      assert.match(write, /^PATCH .*fieldManager=deckhand/);
    const first = (fragment: string) => patches.findIndex((line) => line.includes(fragment));
    assert.ok(first('/namespaces/wpp-bot?') < first('/secrets/wpp-bot-secret'));
    assert.ok(first('/secrets/wpp-bot-secret') < first('/deployments/postgres'));
    assert.ok(first('/deployments/postgres') < first('/deployments/wpp-bot'));
    assert.ok(first('/deployments/wpp-bot') < first('/ingresses/wpp-bot'));

    assert.equal(secretValue(bed, 'JWT_SECRET'), WPP_BOT_INPUTS.JWT_SECRET);
    for (const value of Object.values(WPP_BOT_INPUTS))
      assert.ok(!result.output.includes(value), 'no secret value is printed');
    assert.match(
      result.output,
      /Deployment wpp-bot: created, running registry\.example:5000\/tests\/wpp-bot:sha-1111111@sha256:a{64}/,
    );

    const [revision, image, cause] = bed.revisions('wpp-bot')[0]!;
    assert.deepEqual([revision, image], [1, GOOD]);
    assert.match(
      cause,
      /^deckhand deploy of commit [0-9a-f]{7} by \S+ at \d{4}-\d\d-\d\dT[\d:]+Z: wpp-bot@sha256:aaaaaaaaaaaa; rolled out$/,
    );
    const [record] = await bed.records();
    assert.equal(record!.outcome, 'rolled-out');
    assert.deepEqual(
      record!.deployments.map((item: { name: string; result: string; revision: number }) => [
        item.name,
        item.result,
        item.revision,
      ]),
      [
        ['postgres', 'rolled out', 1],
        ['wpp-bot', 'rolled out', 1],
        ['dashboard', 'rolled out', 1],
      ],
    );
    assert.equal(record!.images[0].reference, GOOD);
  });

  it('a second deploy of the same commit and inputs writes nothing and rolls nothing out', async () => {
    const generations = bed.generations();
    const versions = bed.sim.list('apps/v1', 'Deployment', NS).map((item) => item.metadata.resourceVersion);
    const before = writes(bed).length;
    const result = await bed.deploy(givenImages('sha-1111111'));
    assert.equal(result.code, 0, result.output);
    assert.deepEqual(writes(bed).slice(before), [], 'not one write reached the cluster');
    assert.deepEqual(bed.generations(), generations);
    assert.deepEqual(
      bed.sim.list('apps/v1', 'Deployment', NS).map((item) => item.metadata.resourceVersion),
      versions,
    );
    assert.match(result.output, /Secret wpp-bot-secret: unchanged/);
    assert.match(
      result.output,
      /unchanged: ServiceAccount wpp-bot, PersistentVolumeClaim wpp-bot-data, Deployment wpp-bot, Service wpp-bot, ServiceAccount dashboard, Deployment dashboard, Service dashboard/,
    );
    assert.match(result.output, /wpp-bot is up to date: nothing changed, nothing was rolled out\./);
    assert.doesNotMatch(result.output, /: (created|configured)/);
    const records = await bed.records();
    assert.equal(records.at(-1)!.outcome, 'unchanged');
  });

  it('a dry run against the cluster shows only what would change, and writes nothing', async () => {
    const before = writes(bed).length;
    const other = `registry.example:5000/tests/wpp-bot:sha-3333333@${DIGEST_C}`;
    const result = await bed.deploy(['--image', other, '--image', DASHBOARD, '--dry-run']);
    assert.equal(result.code, 0, result.output);
    assert.match(
      result.output,
      /Deployment wpp-bot: would be updated, running registry\.example:5000\/tests\/wpp-bot:sha-3333333@sha256:c{64}$/m,
    );
    assert.match(
      result.output,
      /unchanged: ServiceAccount wpp-bot, PersistentVolumeClaim wpp-bot-data, Service wpp-bot, ServiceAccount dashboard, Deployment dashboard, Service dashboard/,
    );
    assert.deepEqual(writes(bed).slice(before), []);
  });

  it('a changed Secret value restarts only the Deployments that read it', async () => {
    const start = bed.generations();
    const elevenlabs = await bed.deploy(givenImages('sha-1111111'), {
      ELEVENLABS_API_KEY: 'sk_canary_changed_0123456789',
    });
    assert.equal(elevenlabs.code, 0, elevenlabs.output);
    assert.match(elevenlabs.output, /Secret wpp-bot-secret: updated \(changed: ELEVENLABS_API_KEY\)/);
    assert.deepEqual(bed.generations(), { ...start, 'wpp-bot': start['wpp-bot']! + 1 });
    assert.match(
      bed.revisions('wpp-bot').at(-1)![2],
      /\(the Secret or ConfigMap values it reads changed\); rolled out$/,
    );

    const jwt = await bed.deploy(givenImages('sha-1111111'), {
      ELEVENLABS_API_KEY: 'sk_canary_changed_0123456789',
      JWT_SECRET: 'jwt-canary-changed-0123456789abcdef0123456',
    });
    assert.equal(jwt.code, 0, jwt.output);
    assert.deepEqual(bed.generations(), {
      ...start,
      'wpp-bot': start['wpp-bot']! + 2,
      dashboard: start['dashboard']! + 1,
    });
    assert.equal(imageOf(bed, 'wpp-bot'), GOOD, 'the image stays');
    // Back to the first values: the next tests start from them.
    assert.equal((await bed.deploy(givenImages('sha-1111111'))).code, 0);
  });

  it('serves the public hosts under DOMAIN: the Ingress, its certificate resolver and the URLs the apps read', async () => {
    const result = await bed.deploy(givenImages('sha-1111111'), { DOMAIN: 'acme.dev' });
    assert.equal(result.code, 0, result.output);
    const ingress = bed.sim.get('networking.k8s.io/v1', 'Ingress', NS, 'wpp-bot') as {
      metadata: { annotations?: Record<string, string> };
      spec: { rules: { host: string }[] };
    };
    assert.deepEqual(
      ingress.spec.rules.map((rule) => rule.host),
      ['api.acme.dev', 'dashboard.acme.dev'],
    );
    assert.equal(
      ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.tls.certresolver'],
      'letsencrypt',
    );
    const values = bed.sim
      .list('v1', 'ConfigMap', NS)
      .flatMap((map) => Object.values((map['data'] as Record<string, string> | undefined) ?? {}));
    assert.ok(values.includes('https://dashboard.acme.dev'), values.join(', '));
    assert.ok(!values.some((value) => value.includes('example.com')), values.join(', '));
    assert.match(result.output, /4\. Ingress wpp-bot: api\.acme\.dev, dashboard\.acme\.dev/);
    // Back to the placeholders: the next tests start from them.
    const back = await bed.deploy(givenImages('sha-1111111'));
    assert.equal(back.code, 0, back.output);
    assert.match(back.output, /placeholders: set DOMAIN in \.env/);
  });

  it('a crash-looping image is stopped at its first crash and rolled back to the revision that ran before', async () => {
    const bad = `registry.example:5000/tests/wpp-bot:sha-bad0001@${DIGEST_C}`;
    bed.sim.setDeploymentBehavior(
      { namespace: NS, image: bad },
      { outcome: 'crash-loop', exitCode: 3, logLines: ['starting wpp-bot', 'Error: the ElevenLabs key was refused'] },
    );
    const before = bed.deployment('wpp-bot').metadata.annotations?.['deployment.kubernetes.io/revision'];
    const dashboard = bed.generations()['dashboard'];
    const result = await bed.deploy(['--image', bad, '--image', DASHBOARD]);
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stderr,
      /Deployment wpp-bot did not roll out: The container wpp-bot of the new pod wpp-bot-\S+ keeps crashing: it exited with code 3 \(Error\)/,
    );
    assert.match(
      result.stderr,
      /Last log lines of wpp-bot-\S+:\n {2}│ starting wpp-bot\n {2}│ Error: the ElevenLabs key was refused/,
    );
    assert.match(result.stderr, /Events:\n(.*\n)* {2}│ BackOff: Back-off restarting failed container wpp-bot/);
    assert.match(
      result.stderr,
      new RegExp(`wpp-bot rolled back to revision ${before}, image ${GOOD.replace(/[.:/@]/g, '\\$&')}\\.`),
    );
    assert.equal(result.stderr.match(/Last log lines/g)?.length, 1, 'the diagnosis is printed once');

    assert.equal(imageOf(bed, 'wpp-bot'), GOOD);
    assert.equal((bed.deployment('wpp-bot').status.availableReplicas ?? 0) >= 1, true);
    assert.equal(bed.generations()['dashboard'], dashboard, 'the dashboard was not touched');
    // Stopped in the crash loop (how many restarts the kubelet made by then depends on how fast the watches are), long
    // before the 600 s progress deadline, which the Deployment never reached.
    assert.match(result.stderr, /was restarted \d+ times? \(CrashLoopBackOff\)/);
    assert.ok(!JSON.stringify(bed.deployment('wpp-bot').status).includes('ProgressDeadlineExceeded'));
    const failed = bed.revisions('wpp-bot').find(([, image]) => image === bad);
    assert.match(
      failed![2],
      new RegExp(
        `; failed: The container wpp-bot of the new pod \\S+ keeps crashing: .*; rolled back to revision ${before}$`,
      ),
    );
    const record = (await bed.records()).at(-1)!;
    assert.equal(record.outcome, 'rolled-back');
    assert.deepEqual(record.deployments.find((item: { name: string }) => item.name === 'wpp-bot').rolledBackTo, {
      revision: Number(before),
      images: [GOOD],
    });
  });

  it('a missing Secret key is named, and the roll-out undone', async () => {
    const bad = `registry.example:5000/tests/wpp-bot:sha-bad0002@${DIGEST_C}`;
    bed.sim.setDeploymentBehavior({ namespace: NS, image: bad }, { outcome: 'missing-key' });
    const result = await bed.deploy(['--image', bad, '--image', DASHBOARD]);
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stderr,
      /The Secret wpp-bot\/wpp-bot-secret has no key ELEVENLABS_API_KEY, which Deployment wpp-bot needs\./,
    );
    assert.match(result.stderr, /wpp-bot rolled back to revision \d+, image /);
    assert.equal(imageOf(bed, 'wpp-bot'), GOOD);
  });

  it('with --no-rollback, readiness failing longer than its probe allows is reported and left for a look', async () => {
    const bad = `registry.example:5000/tests/wpp-bot:sha-bad0003@${DIGEST_C}`;
    bed.sim.setDeploymentBehavior(
      { namespace: NS, image: bad },
      { outcome: 'never-ready', logLines: ['listening on :3000', 'database unreachable: connect ECONNREFUSED'] },
    );
    const result = await bed.deploy(['--image', bad, '--image', DASHBOARD, '--no-rollback']);
    assert.equal(result.code, 1, result.output);
    assert.match(
      result.stderr,
      /is not ready: its readiness probe failed \d+ times, more than the 3 its settings allow \(every 10 s after 0 s\)/,
    );
    assert.match(result.stderr, /│ database unreachable: connect ECONNREFUSED/);
    assert.match(
      result.stderr,
      /Left as it is \(--no-rollback\): wpp-bot\. Undo it with npx tsx tasks\.ts rollback wpp-bot --deployment wpp-bot/,
    );
    assert.equal(imageOf(bed, 'wpp-bot'), bad);
    assert.equal((await bed.records()).at(-1)!.outcome, 'failed');
    // The next deploy of the good image goes back to it by itself.
    const again = await bed.deploy(givenImages('sha-1111111'));
    assert.equal(again.code, 0, again.output);
    assert.equal(imageOf(bed, 'wpp-bot'), GOOD);
  });

  it('refuses options of the other kind, and images it cannot place, with exit 2 before anything is written', async () => {
    const before = writes(bed).length;
    const cases: [string[], RegExp][] = [
      [['deploy', 'wpp-bot', '--cleanup'], /--cleanup fits job apps only; wpp-bot is a service\./],
      [
        ['deploy', 'caelundas', '--no-rollback'],
        /--no-rollback fits service apps only; caelundas is a batch Job app\./,
      ],
      [
        ['deploy', 'wpp-bot', '--image', 'registry.example:5000/tests/other:1.0.0'],
        /its repository is not one of wpp-bot's images \(wpp-bot, wpp-bot-dashboard\)/,
      ],
      [
        ['deploy', 'wpp-bot', ...givenImages('1'), '--image', 'wpp-bot=registry.example:5000/x:1'],
        /--image was given 3 times; wpp-bot has 2 images/,
      ],
      [['logs', 'wpp-bot', '--release', 'x'], /--release fits job apps only/],
      [
        ['deploy', 'caelundas', '--image', 'r.example/a/caelundas:1', '--image', 'r.example/b/caelundas:2'],
        /--image was given 2 times; caelundas has one image \(caelundas\)/,
      ],
      [
        ['releases', 'wpp-bot'],
        /"releases" works on batch Job apps \(their runs\); wpp-bot is a service[\s\S]*For a service: status, rollback, restart and logs/,
      ],
      [['uninstall', 'wpp-bot'], /"uninstall" works on batch Job apps/],
      [['status', 'caelundas'], /"status" works on services \(Deployments\); caelundas is a batch Job app/],
    ];
    for (const [args, message] of cases) {
      const result = await bed.cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}\n${result.output}`);
      assert.match(result.stderr, message);
    }
    assert.deepEqual(writes(bed).slice(before), []);
  });
});

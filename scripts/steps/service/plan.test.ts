import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wppBot } from '../../apps/wpp-bot.ts';
import { UsageError } from '../../lib/errors.ts';
import { changeCause, commitOf, shortImage, withOutcome } from './change-cause.ts';
import { loadManifests, phasesOf, retarget } from './manifests.ts';
import { assignPerImage, planService, type ServiceDeployFlags } from './plan.ts';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;
const DIGEST = `sha256:${'d'.repeat(64)}`;
const FLAGS: ServiceDeployFlags = {
  images: [],
  dockerfiles: [],
  buildContexts: [],
  rebuild: false,
  allowDirty: false,
  rollback: true,
};
const GIT = {
  commit: '1a2b3c4d5e6f7a8b',
  shortCommit: '1a2b3c4',
  dirty: false,
  sourceUrl: 'https://github.com/me/deckhand',
};
const CONFIG = { image: { registry: 'ghcr.io', owner: 'me', user: 'me' } };

async function plan(flags: Partial<ServiceDeployFlags> = {}, namespace = 'wpp-bot', domain?: string) {
  return planService({
    app: wppBot,
    config: { ...CONFIG, addons: { domain } },
    flags: { ...FLAGS, ...flags },
    namespace,
    git: GIT,
    versions: { 'wpp-bot': '1.0.0', 'wpp-bot-dashboard': '1.0.0' },
    entries: await loadManifests(REPO_ROOT, wppBot.manifests),
    who: 'alice',
    now: new Date('2026-01-25T14:30:22.123Z'),
  });
}

const names = (objects: readonly { kind: string; metadata: { name: string } }[]) =>
  objects.map((object) => `${object.kind}/${object.metadata.name}`);

describe('the service roll-out plan', () => {
  it('serves the public hosts under DOMAIN: the Ingress rules and TLS hosts, and the URLs the apps are given', async () => {
    const { phases } = await plan({}, 'wpp-bot', 'acme.dev');
    const ingress = phases.ingress[0] as unknown as {
      spec: { rules: { host: string }[]; tls: { hosts: string[] }[] };
    };
    assert.deepEqual(
      ingress.spec.rules.map((rule) => rule.host),
      ['api.acme.dev', 'dashboard.acme.dev'],
    );
    assert.deepEqual(ingress.spec.tls[0]!.hosts, ['api.acme.dev', 'dashboard.acme.dev']);
    const data = phases.foundation
      .filter((object) => object.kind === 'ConfigMap')
      .flatMap((object) => Object.values((object['data'] as Record<string, string> | undefined) ?? {}));
    assert.ok(data.includes('https://dashboard.acme.dev'), data.join(', '));
    assert.ok(data.includes('https://api.acme.dev'), data.join(', '));
    assert.ok(!data.some((value) => value.includes('example.com')), data.join(', '));
    // Without DOMAIN the placeholders stay, as the files have them.
    const placeholders = (await plan()).phases.ingress[0] as unknown as typeof ingress;
    assert.equal(placeholders.spec.rules[0]!.host, 'api.example.com');
  });

  it('groups the manifests: foundation (Namespace first), Postgres with its objects, the app, the Ingress last', async () => {
    const { phases } = await plan();
    assert.equal(names(phases.foundation)[0], 'Namespace/wpp-bot');
    assert.ok(names(phases.foundation).includes('ConfigMap/wpp-bot-config'));
    assert.ok(names(phases.foundation).includes('NetworkPolicy/default-deny-all'));
    assert.deepEqual(names(phases.readyFirst), [
      'ServiceAccount/postgres',
      'PersistentVolumeClaim/postgres-data',
      'Deployment/postgres',
      'Service/postgres',
    ]);
    assert.deepEqual(
      names(phases.app).filter((name) => name.startsWith('Deployment/')),
      ['Deployment/wpp-bot', 'Deployment/dashboard'],
    );
    assert.deepEqual(names(phases.ingress), ['Ingress/wpp-bot']);
  });

  it('builds each image as sha-<commit> plus its version, or takes the one given, matched by its name', async () => {
    const built = await plan();
    assert.deepEqual(
      built.images.map(({ image, plan: p }) => [
        image.name,
        `${p.repository}:${p.tag}`,
        p.pushTags.join(' '),
        p.build && p.build.labels['org.opencontainers.image.title'],
      ]),
      [
        ['wpp-bot', 'ghcr.io/me/wpp-bot:sha-1a2b3c4', 'sha-1a2b3c4 1.0.0', 'wpp-bot'],
        ['wpp-bot-dashboard', 'ghcr.io/me/wpp-bot-dashboard:sha-1a2b3c4', 'sha-1a2b3c4 1.0.0', 'wpp-bot-dashboard'],
      ],
    );
    const given = await plan({ images: [`ghcr.io/other/wpp-bot-dashboard:sha-9999999@${DIGEST}`] });
    assert.equal(given.images[1]!.plan.build, false);
    assert.equal(given.images[1]!.plan.digest, DIGEST);
    assert.ok(given.images[0]!.plan.build, 'the other image is still built');
    const standIn = await planService({ ...(await planInput()), config: { image: { registry: 'ghcr.io' } } });
    assert.deepEqual(
      standIn.images.map(({ plan: p }) => [p.repository, p.standInOwner]),
      [
        ['ghcr.io/your-github-user/wpp-bot', true],
        ['ghcr.io/your-github-user/wpp-bot-dashboard', true],
      ],
      'without IMAGE_OWNER (a dry run): the same stand-in as a Job',
    );
    const dirty = await planService({ ...(await planInput()), git: { ...GIT, dirty: true } });
    assert.deepEqual(dirty.images[0]!.plan.pushTags, ['sha-1a2b3c4-dirty-20260125-143022']);
  });

  it('refuses per-image values it cannot place (exit 2), and a plain Dockerfile applies to every image', () => {
    const usage = (fn: () => unknown) => assert.throws(fn, (error: unknown) => error instanceof UsageError);
    usage(() => assignPerImage(wppBot, ['ghcr.io/me/other:1.0.0'], '--image', { matchReference: true }));
    usage(() => assignPerImage(wppBot, ['nope=ghcr.io/me/wpp-bot:1.0.0'], '--image', { matchReference: true }));
    usage(() => assignPerImage(wppBot, ['ghcr.io/me/wpp-bot:latest'], '--image', { matchReference: true }));
    usage(() =>
      assignPerImage(wppBot, ['ghcr.io/me/wpp-bot:1', 'wpp-bot=ghcr.io/me/wpp-bot:2'], '--image', {
        matchReference: true,
      }),
    );
    assert.deepEqual(
      [...assignPerImage(wppBot, ['wpp-bot=ghcr.io/mirror/bot:1.0.0'], '--image', { matchReference: true })],
      [['wpp-bot', 'ghcr.io/mirror/bot:1.0.0']],
    );
    assert.deepEqual(
      [...assignPerImage(wppBot, ['x/Dockerfile'], '--dockerfile')],
      [
        ['wpp-bot', 'x/Dockerfile'],
        ['wpp-bot-dashboard', 'x/Dockerfile'],
      ],
    );
  });

  it('moves every object (and the viewer binding) to the namespace --namespace names', async () => {
    const entries = retarget(await loadManifests(REPO_ROOT, wppBot.manifests), 'wpp-bot', 'staging');
    const phases = phasesOf(entries, wppBot);
    const all = Object.values(phases).flat();
    assert.ok(all.every((object) => object.kind === 'Namespace' || object.metadata.namespace === 'staging'));
    assert.equal(phases.foundation[0]!.metadata.name, 'staging');
    const binding = all.find((object) => object.kind === 'RoleBinding')!;
    assert.deepEqual(
      (binding['subjects'] as { namespace: string }[]).map((subject) => subject.namespace),
      ['staging'],
    );
  });
});

describe('the change-cause of a revision', () => {
  it('says what, by whom and when, then how it ended, and gives the commit back', () => {
    const cause = changeCause({
      action: 'deploy',
      shortCommit: '1a2b3c4',
      who: 'alice',
      at: '2026-01-25T14:30:22.123Z',
      images: [`ghcr.io/me/wpp-bot:sha-1a2b3c4@${DIGEST}`],
    });
    assert.equal(
      cause,
      'deckhand deploy of commit 1a2b3c4 by alice at 2026-01-25T14:30:22Z: wpp-bot@sha256:dddddddddddd',
    );
    const ended = withOutcome(cause, 'rolled out');
    assert.equal(
      withOutcome(ended, 'failed: x; rolled back to revision 2'),
      `${cause}; failed: x; rolled back to revision 2`,
    );
    assert.equal(commitOf(cause, 'postgres:17.6-bookworm'), '1a2b3c4');
    assert.equal(
      commitOf(undefined, `ghcr.io/me/wpp-bot:sha-abcdef1@${DIGEST}`),
      'abcdef1',
      'the image tag names its commit',
    );
    assert.equal(shortImage('postgres:17.6-bookworm'), 'postgres:17.6-bookworm');
  });
});

async function planInput() {
  return {
    app: wppBot,
    config: CONFIG,
    flags: FLAGS,
    namespace: 'wpp-bot',
    git: GIT,
    versions: { 'wpp-bot': '1.0.0' },
    entries: await loadManifests(REPO_ROOT, wppBot.manifests),
    who: 'alice',
    now: new Date('2026-01-25T14:30:22.123Z'),
  };
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wppBot } from '../../apps/wpp-bot.ts';
import { configChecksum, configRefs, missingKeys, type ConfigData } from './config-refs.ts';
import { isDeployment, loadManifests, type DeploymentManifest } from './manifests.ts';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;

async function wppBotDeployments(): Promise<Record<string, DeploymentManifest>> {
  const entries = await loadManifests(REPO_ROOT, wppBot.manifests);
  const deployments = entries.map((entry) => entry.object).filter(isDeployment);
  return Object.fromEntries(deployments.map((deployment) => [deployment.metadata.name, deployment]));
}

const DATA: ConfigData = {
  secrets: {
    'wpp-bot-secret': { ELEVENLABS_API_KEY: 'k', JWT_SECRET: 'j'.repeat(32), POSTGRES_PASSWORD: 'p'.repeat(16) },
  },
  configMaps: {
    'wpp-bot-config': { PORT: '3000', POSTGRES_USER: 'wppbot', POSTGRES_DB: 'wppbot', CORS_ORIGIN: 'https://a' },
    'dashboard-config': { PORT: '3000' },
  },
};

describe('the config each Deployment reads', () => {
  it('finds env values, envFrom and secret volume items in the wpp-bot manifests', async () => {
    const deployments = await wppBotDeployments();
    const refs = (name: string) =>
      configRefs(deployments[name]!.spec.template.spec).map(
        (ref) => `${ref.kind} ${ref.name}${ref.key ? ` ${ref.key}` : ''}`,
      );
    assert.deepEqual(refs('wpp-bot'), [
      'Secret wpp-bot-secret ELEVENLABS_API_KEY',
      'Secret wpp-bot-secret JWT_SECRET',
      'Secret wpp-bot-secret POSTGRES_PASSWORD',
      'ConfigMap wpp-bot-config',
    ]);
    assert.deepEqual(refs('postgres'), [
      'ConfigMap wpp-bot-config POSTGRES_USER',
      'ConfigMap wpp-bot-config POSTGRES_DB',
      'Secret wpp-bot-secret POSTGRES_PASSWORD',
    ]);
    assert.deepEqual(refs('dashboard'), ['Secret wpp-bot-secret JWT_SECRET', 'ConfigMap dashboard-config']);
  });

  it('changes a checksum only when data that Deployment reads changes', async () => {
    const deployments = await wppBotDeployments();
    const sums = (data: ConfigData) =>
      Object.fromEntries(
        Object.entries(deployments).map(([name, deployment]) => [
          name,
          configChecksum(configRefs(deployment.spec.template.spec), data),
        ]),
      );
    const before = sums(DATA);
    const withSecret = (key: string, value: string): ConfigData => ({
      ...DATA,
      secrets: { 'wpp-bot-secret': { ...DATA.secrets['wpp-bot-secret'], [key]: value } },
    });
    const changed = (data: ConfigData) => {
      const after = sums(data);
      return Object.keys(before)
        .filter((name) => before[name] !== after[name])
        .sort();
    };
    assert.deepEqual(changed(DATA), []);
    assert.deepEqual(changed(withSecret('ELEVENLABS_API_KEY', 'other')), ['wpp-bot']);
    assert.deepEqual(changed(withSecret('JWT_SECRET', 'x'.repeat(32))), ['dashboard', 'wpp-bot']);
    assert.deepEqual(changed(withSecret('POSTGRES_PASSWORD', 'q'.repeat(16))), ['postgres', 'wpp-bot']);
    // postgres reads two keys of wpp-bot-config; wpp-bot reads all of it (envFrom).
    const cors = {
      ...DATA,
      configMaps: {
        ...DATA.configMaps,
        'wpp-bot-config': { ...DATA.configMaps['wpp-bot-config'], CORS_ORIGIN: 'https://b' },
      },
    };
    assert.deepEqual(changed(cors), ['wpp-bot']);
    assert.match(before['wpp-bot']!, /^[0-9a-f]{32}$/);
    assert.ok(!before['wpp-bot']!.includes('j'.repeat(8)), 'a hash, not the values');
  });

  it('reads no managed data: no checksum; a key nobody writes is found before anything is applied', () => {
    const spec = {
      containers: [
        {
          name: 'app',
          env: [
            { name: 'A', valueFrom: { secretKeyRef: { name: 'wpp-bot-secret', key: 'OPENAI_KEY' } } },
            { name: 'B', valueFrom: { secretKeyRef: { name: 'wpp-bot-secret', key: 'MAYBE', optional: true } } },
            { name: 'C', valueFrom: { configMapKeyRef: { name: 'wpp-bot-config', key: 'NOPE' } } },
            { name: 'D', valueFrom: { secretKeyRef: { name: 'tls-from-elsewhere', key: 'tls.crt' } } },
          ],
        },
      ],
      volumes: [
        { name: 'p', projected: { sources: [{ configMap: { name: 'dashboard-config', items: [{ key: 'PORT' }] } }] } },
      ],
    };
    assert.deepEqual(missingKeys(configRefs(spec), DATA), [
      'key OPENAI_KEY of Secret wpp-bot-secret',
      'key NOPE of ConfigMap wpp-bot-config',
    ]);
    assert.equal(configChecksum(configRefs({ containers: [{ name: 'x' }] }), DATA), undefined);
    assert.equal(
      configChecksum(configRefs({ containers: [{ name: 'x', envFrom: [{ secretRef: { name: 'not-ours' } }] }] }), DATA),
      undefined,
    );
  });
});

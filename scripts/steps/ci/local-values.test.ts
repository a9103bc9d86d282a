import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fakeRunner, type FakeAnswer } from '../../../test/support/fake-runner.ts';
import { writeManagedCluster } from '../../lib/cluster-state.ts';
import { loadConfig, type GlobalFlags } from '../../lib/config.ts';
import { SecretMasker } from '../../lib/redact.ts';
import { chooseKubeconfig, findLocalValues, type LocalValueContext } from './local-values.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const MINIFIED = [
  'apiVersion: v1',
  'clusters:',
  '- cluster:',
  '    server: https://lke.example:443',
  '  name: lke1',
  'contexts:',
  '- context: { cluster: lke1, user: lke1-admin }',
  '  name: lke1-ctx',
  'current-context: lke1-ctx',
  'kind: Config',
  'users:',
  '- name: lke1-admin',
  '  user:',
  '    token: cluster-token-0123456789',
  '',
].join('\n');
const CONFIG_VIEW = 'kubectl config view --minify --flatten --raw --output yaml';

interface Setup {
  env?: Record<string, string>;
  files?: Record<string, string>;
  flags?: Partial<GlobalFlags>;
  managed?: { kubeconfig: string; context: string };
  kubectl?: (command: string) => FakeAnswer | undefined;
}

function setup(options: Setup = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deckhand-ci-values-'));
  dirs.push(dir);
  // `{dir}` in a path stands for this test's folder.
  const here = (text: string) => text.replaceAll('{dir}', dir);
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(path.join(dir, name), text);
  if (options.managed) {
    mkdirSync(path.join(dir, '.deckhand'));
    writeManagedCluster(dir, {
      label: 'deckhand',
      server: 'https://lke.example:443',
      recordedAt: 'now',
      context: options.managed.context,
      kubeconfig: here(options.managed.kubeconfig),
    });
  }
  const masker = new SecretMasker();
  const flags: GlobalFlags = { dryRun: false, verbose: false, yes: false, ...options.flags };
  const env = Object.fromEntries(Object.entries(options.env ?? {}).map(([key, value]) => [key, here(value)]));
  const config = loadConfig({ repoRoot: dir, flags, env, interactive: false, masker });
  const shell = fakeRunner(
    options.kubectl ?? ((command) => (command === CONFIG_VIEW ? { stdout: MINIFIED } : undefined)),
  );
  const ctx: LocalValueContext = {
    config,
    masker,
    shell,
    flags: { kubeconfig: flags.kubeconfig, context: flags.context },
  };
  return { dir, ctx, shell, masker, file: (name: string) => path.join(dir, name) };
}

describe('which kubeconfig KUBE_CONFIG is made from', () => {
  it('takes --kubeconfig from this command line first, then the managed cluster, then KUBECONFIG; never ~/.kube/config', () => {
    const managed = { kubeconfig: '/home/me/.kube/deckhand-kubeconfig.yaml', context: 'lke1-ctx' };
    const explicit = setup({ managed, flags: { kubeconfig: '/tmp/given.yaml' }, env: { KUBECONFIG: '/tmp/env.yaml' } });
    assert.deepEqual(chooseKubeconfig(explicit.ctx), {
      file: '/tmp/given.yaml',
      source: '--kubeconfig',
      context: undefined,
    });
    const fromRecord = setup({ managed, env: { KUBECONFIG: '/tmp/env.yaml' } });
    assert.deepEqual(chooseKubeconfig(fromRecord.ctx), {
      file: managed.kubeconfig,
      context: 'lke1-ctx',
      source: 'the managed cluster "deckhand"',
    });
    const fromEnvironment = setup({ env: { KUBECONFIG: '/tmp/env.yaml', DECKHAND_CONTEXT: 'c' } });
    assert.deepEqual(chooseKubeconfig(fromEnvironment.ctx), {
      file: '/tmp/env.yaml',
      context: 'c',
      source: 'KUBECONFIG',
    });
    assert.equal(chooseKubeconfig(setup().ctx), undefined);
  });

  it('is one context, flattened by kubectl, base64-encoded; the value and its credentials are masked at once', async () => {
    const { ctx, shell, masker, file } = setup({
      files: { 'k.yaml': 'clusters: []\n' },
      managed: { kubeconfig: '{dir}/k.yaml', context: 'lke1-ctx' },
    });
    assert.equal(masker.size, 0);
    const values = await findLocalValues(ctx, ['KUBE_CONFIG']);
    const expected = Buffer.from(MINIFIED).toString('base64');
    assert.deepEqual(values.get('KUBE_CONFIG'), {
      status: 'found',
      value: expected,
      source: `the managed cluster "deckhand": ${file('k.yaml')}, context lke1-ctx`,
    });
    assert.deepEqual(shell.calls, [CONFIG_VIEW]);
    assert.equal(masker.mask(`a ${expected} b cluster-token-0123456789`), 'a *** b ***');
  });

  it('says how to get one when there is none, or kubectl is missing, or kubectl cannot read it', async () => {
    const none = await findLocalValues(setup().ctx, ['KUBE_CONFIG']);
    assert.match(JSON.stringify(none.get('KUBE_CONFIG')), /"status":"missing".*npx tsx tasks\.ts kubeconfig/);
    const gone = await findLocalValues(setup({ env: { KUBECONFIG: '/nonexistent/k.yaml' } }).ctx, ['KUBE_CONFIG']);
    assert.match(JSON.stringify(gone.get('KUBE_CONFIG')), /no file at \/nonexistent\/k\.yaml \(KUBECONFIG\)/);

    const withFile = (kubectl: Setup['kubectl']) =>
      setup({ kubectl, files: { 'k.yaml': 'clusters: []\n' }, env: { KUBECONFIG: '{dir}/k.yaml' } });
    const noKubectl = await findLocalValues(withFile(() => ({ exitCode: 127 })).ctx, ['KUBE_CONFIG']);
    assert.match(JSON.stringify(noKubectl.get('KUBE_CONFIG')), /"status":"missing".*install kubectl/);
    const noContext = await findLocalValues(
      withFile(() => ({ exitCode: 1, stderr: 'error: context "x" does not exist' })).ctx,
      ['KUBE_CONFIG'],
    );
    assert.deepEqual(
      {
        status: noContext.get('KUBE_CONFIG')!.status,
        problem: (noContext.get('KUBE_CONFIG') as { problem: string }).problem,
      },
      { status: 'invalid', problem: 'kubectl could not read it: error: context "x" does not exist' },
    );
  });
});

describe('app inputs and tokens', () => {
  it("reads an app's inputs as deploy does (environment, the app's env file, .env), naming where each came from", async () => {
    const { ctx, masker } = setup({
      env: { LATITUDE: '12.5' },
      files: { '.env.caelundas': 'LATITUDE=1.5\nLONGITUDE=-3.25\n', '.env': 'JWT_SECRET=' + 'j'.repeat(40) + '\n' },
    });
    const values = await findLocalValues(ctx, ['LATITUDE', 'LONGITUDE', 'JWT_SECRET', 'POSTGRES_PASSWORD']);
    assert.deepEqual(values.get('LATITUDE'), { status: 'found', value: '12.5', source: 'the environment' });
    assert.deepEqual(values.get('LONGITUDE'), { status: 'found', value: '-3.25', source: '.env.caelundas' });
    assert.deepEqual(values.get('JWT_SECRET'), { status: 'found', value: 'j'.repeat(40), source: '.env' });
    assert.equal(values.get('POSTGRES_PASSWORD')!.status, 'missing');
    assert.match(
      (values.get('POSTGRES_PASSWORD') as { howToProvide: string }).howToProvide,
      /^set POSTGRES_PASSWORD in \.env\.wpp-bot or the environment \(.*e\.g\. the output of `openssl rand -hex 24`\)$/,
    );
    assert.equal(masker.mask('12.5 -3.25'), '*** ***');
  });

  it("checks a value with the app's own validator and never repeats it", async () => {
    const { ctx } = setup({ files: { '.env.wpp-bot': 'JWT_SECRET=too-short\n' } });
    const value = (await findLocalValues(ctx, ['JWT_SECRET'])).get('JWT_SECRET')!;
    assert.equal(value.status, 'invalid');
    assert.doesNotMatch(JSON.stringify(value), /too-short/);
    assert.match(JSON.stringify(value), /"source":"\.env\.wpp-bot","problem":"expected at least 32 characters/);
  });

  it('reads a token from the configuration (environment, then .env), and knows when it does not keep a value', async () => {
    const { ctx, masker } = setup({ files: { '.env': 'REGISTRY_PULL_TOKEN=ghp_pullTokenFromDotenv\n' } });
    const values = await findLocalValues(ctx, ['REGISTRY_PULL_TOKEN', 'SLACK_WEBHOOK']);
    assert.deepEqual(values.get('REGISTRY_PULL_TOKEN'), {
      status: 'found',
      value: 'ghp_pullTokenFromDotenv',
      source: '.env',
    });
    assert.equal(masker.mask('ghp_pullTokenFromDotenv'), '***');
    assert.deepEqual(values.get('SLACK_WEBHOOK'), {
      status: 'missing',
      howToProvide: 'deckhand does not keep this value: set it by hand (the command is below)',
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LocalValue } from './local-values.ts';
import { handCommands, renderReport, renderTable, type SecretRow, type SecretsView } from './secrets-view.ts';
import type { WorkflowSecret } from './workflow-secrets.ts';

const secret = (name: string, workflows: string[], optional = false): WorkflowSecret => ({
  name,
  optional,
  uses: workflows.map((workflow) => ({ workflow, job: 'deploy', environment: 'production', optional })),
});
const found = (value: string, source: string): LocalValue => ({ status: 'found', value, source });
const missing: LocalValue = { status: 'missing', howToProvide: 'set it in .env.wpp-bot', reason: 'not in any file' };

const ROWS: SecretRow[] = [
  {
    secret: secret('KUBE_CONFIG', ['deploy-caelundas.yml', 'deploy-wpp-bot.yml']),
    local: found('a3ViZWNvbmZpZy12YWx1ZQ==', 'the managed cluster "deckhand": /home/me/.kube/k.yaml, context lke1-ctx'),
    onGitHub: false,
  },
  {
    secret: secret('JWT_SECRET', ['deploy-wpp-bot.yml']),
    local: found('jwt-value-0123456789', '.env.wpp-bot'),
    onGitHub: true,
  },
  { secret: secret('ELEVENLABS_API_KEY', ['deploy-wpp-bot.yml']), local: missing, onGitHub: false },
  {
    secret: secret('REGISTRY_PULL_TOKEN', ['deploy-caelundas.yml'], true),
    local: { status: 'invalid', source: '.env', problem: 'expected a token', howToProvide: 'set it in .env' },
  },
];

const VIEW: SecretsView = {
  environment: 'production',
  repo: { owner: 'acme', name: 'deckhand' },
  rows: ROWS,
  kubeconfig: { file: '/home/me/.kube/k.yaml', context: 'lke1-ctx', source: 'the managed cluster "deckhand"' },
  given: { repo: 'acme/deckhand' },
};

describe('ci secrets output', () => {
  it('lines the table up: name, required or optional, on GitHub, used by, where the value is', () => {
    assert.equal(
      renderTable(ROWS),
      [
        'SECRET               NEEDED    ON GITHUB  USED BY                           LOCAL VALUE',
        'KUBE_CONFIG          required  not set    deploy-caelundas, deploy-wpp-bot  found: the managed cluster "deckhand": /home/me/.kube/k.yaml, context lke1-ctx',
        'JWT_SECRET           required  set        deploy-wpp-bot                    found: .env.wpp-bot',
        'ELEVENLABS_API_KEY   required  not set    deploy-wpp-bot                    missing',
        'REGISTRY_PULL_TOKEN  optional  ?          deploy-caelundas                  invalid: .env (expected a token)',
      ].join('\n'),
    );
  });

  it('gives a by-hand command for what GitHub lacks, the value on stdin: KUBE_CONFIG piped from kubectl', () => {
    assert.deepEqual(handCommands(VIEW), [
      'kubectl config view --kubeconfig /home/me/.kube/k.yaml --context lke1-ctx --minify --flatten --raw --output yaml | base64 | gh secret set KUBE_CONFIG --env production --repo acme/deckhand',
      'gh secret set ELEVENLABS_API_KEY --env production --repo acme/deckhand',
      'gh secret set REGISTRY_PULL_TOKEN --env production --repo acme/deckhand',
    ]);
    const { repo: _, ...unknownRepo } = VIEW;
    assert.equal(
      handCommands({ ...unknownRepo, rows: [ROWS[2]!] })[0],
      'gh secret set ELEVENLABS_API_KEY --env production --repo OWNER/NAME',
    );
  });

  it('never prints a value, says how to provide what is missing, and how to set the rest with deckhand', () => {
    const report = renderReport(VIEW);
    assert.ok(!report.includes('a3ViZWNvbmZpZy12YWx1ZQ=='));
    assert.ok(!report.includes('jwt-value-0123456789'));
    assert.match(report, /for environment "production" \(acme\/deckhand, values never shown\)/);
    assert.match(report, /^ {2}ELEVENLABS_API_KEY: set it in \.env\.wpp-bot \(not in any file\)$/m);
    assert.match(report, /^ {2}REGISTRY_PULL_TOKEN \(optional\): set it in \.env$/m);
    assert.match(report, /asks first\): npx tsx tasks\.ts ci secrets --set --repo acme\/deckhand$/m);
    assert.match(report, /never put a value on the command line:\n {2}kubectl config view/);
  });

  it('says so when GitHub has every secret', () => {
    const report = renderReport({ ...VIEW, rows: [ROWS[1]!] });
    assert.match(report, /GitHub has every one of them in "production"\.$/);
    assert.doesNotMatch(report, /by hand/);
  });
});

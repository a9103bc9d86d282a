import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  environmentsOf,
  loadWorkflowSecrets,
  mergeSecretUses,
  secretReferences,
  secretUsesOf,
  usedBy,
} from './workflow-secrets.ts';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the secrets a workflow uses', () => {
  it('finds every secrets.NAME inside ${{ }} (dot or bracket, any case, several per expression), not GITHUB_TOKEN', () => {
    assert.deepEqual(secretReferences('${{ secrets.kube_config }}'), ['KUBE_CONFIG']);
    assert.deepEqual(secretReferences('${{ secrets.A || secrets[\'B\'] }} and ${{ secrets["C"] }}'), ['A', 'B', 'C']);
    assert.deepEqual(secretReferences('${{ secrets.GITHUB_TOKEN }}'), []);
    assert.deepEqual(secretReferences('secrets.NOT_AN_EXPRESSION'), []);
    assert.deepEqual(secretReferences('${{ inputs.secrets }}'), []);
  });

  it('knows the job, its environment and whether the entry is marked "# Optional:", wherever the reference is', () => {
    const workflow = [
      'on: push',
      'env:',
      '  # Optional: reaches every job',
      '  EVERYWHERE: ${{ secrets.EVERYWHERE }}',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - uses: some/action@0123456789abcdef0123456789abcdef01234567',
      '        with:',
      '          token: ${{ secrets.ACTION_TOKEN }}',
      '  deploy:',
      '    environment: { name: staging, url: https://example.com }',
      "    if: ${{ secrets.GATE != '' }}",
      '    steps:',
      '      - env:',
      '          # Optional: the first entry of a map keeps its comment elsewhere in the YAML tree',
      '          FIRST: ${{ secrets.FIRST }}',
      '          # Sensitive, and not optional',
      '          SECOND: ${{ secrets.SECOND }}',
      '        run: echo',
    ].join('\n');
    const uses = secretUsesOf(workflow, 'x.yml').map(
      (use) => `${use.name} ${use.job} ${use.environment ?? '-'} ${use.optional ? 'optional' : 'required'}`,
    );
    assert.deepEqual(uses, [
      'EVERYWHERE build - optional',
      'EVERYWHERE deploy staging optional',
      'ACTION_TOKEN build - required',
      'GATE deploy staging required',
      'FIRST deploy staging optional',
      'SECOND deploy staging required',
    ]);
  });

  it('merges uses by name: optional only when every use says so, required ones first', () => {
    const merged = mergeSecretUses([
      { name: 'TOKEN', workflow: 'a.yml', job: 'j', optional: true },
      { name: 'KEY', workflow: 'a.yml', job: 'j', optional: false },
      { name: 'PULL', workflow: 'a.yml', job: 'j', optional: true },
      { name: 'TOKEN', workflow: 'b.yaml', job: 'j', optional: false },
      { name: 'PULL', workflow: 'b.yaml', job: 'j', optional: true },
    ]);
    assert.deepEqual(
      merged.map((secret) => [secret.name, secret.optional, usedBy(secret).join(',')]),
      [
        ['TOKEN', false, 'a,b'],
        ['KEY', false, 'a'],
        ['PULL', true, 'a,b'],
      ],
    );
  });

  it('refuses a workflow that is not valid YAML, naming it', () => {
    assert.throws(() => secretUsesOf('jobs: [unclosed', 'broken.yml'), /broken\.yml is not valid YAML/);
  });
});

describe("the repository's own workflows", () => {
  const secrets = loadWorkflowSecrets(REPO_ROOT);

  it('need these secrets, all in production, REGISTRY_PULL_TOKEN optional', () => {
    assert.deepEqual(
      secrets.map((secret) => `${secret.name}${secret.optional ? ' (optional)' : ''}: ${usedBy(secret).join(', ')}`),
      [
        'KUBE_CONFIG: deploy-caelundas, deploy-wpp-bot',
        'LATITUDE: deploy-caelundas',
        'LONGITUDE: deploy-caelundas',
        'ELEVENLABS_API_KEY: deploy-wpp-bot',
        'JWT_SECRET: deploy-wpp-bot',
        'POSTGRES_PASSWORD: deploy-wpp-bot',
        'REGISTRY_PULL_TOKEN (optional): deploy-caelundas, deploy-wpp-bot',
      ],
    );
    assert.deepEqual(environmentsOf(secrets), ['production']);
  });

  it('agree with the table in docs/github-actions.md: the same secrets, the same ones optional', () => {
    const docs = readFileSync(path.join(REPO_ROOT, 'docs', 'github-actions.md'), 'utf8');
    const section = docs.slice(docs.indexOf('**Add the secrets to that environment**'));
    const rows = section
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /^\| `[A-Z_]+`/.test(line));
    const documented = rows.flatMap((row) => {
      const [names, usedByCell] = row.split('|').slice(1, 3) as [string, string];
      const optional = /optional/.test(usedByCell);
      return [...names.matchAll(/`([A-Z_]+)`/g)].map((match) => `${match[1]}${optional ? ' (optional)' : ''}`);
    });
    const fromWorkflows = secrets.map((secret) => `${secret.name}${secret.optional ? ' (optional)' : ''}`);
    assert.ok(documented.length > 0, 'the docs table was found');
    assert.deepEqual([...documented].sort(), [...fromWorkflows].sort());
  });
});

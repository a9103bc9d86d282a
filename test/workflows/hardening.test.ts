/**
 * The hardening of .github/workflows (issue 16, item 4), checked on the real files — and each check run on a copy of
 * a real file broken in exactly the way it guards against, to prove it still fails when it should.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  CHECKS,
  consistentPins,
  ignoredScripts,
  loadWorkflows,
  parseWorkflow,
  REPO_ROOT,
  WORKFLOWS_DIR,
  type Check,
} from './workflow-checks.ts';

const workflows = loadWorkflows();
const text = (file: string) => readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');

/** The real file with one change; the change must apply, or the test would prove nothing. */
function broken(file: string, from: string | RegExp, to: string): string {
  const original = text(file);
  if (typeof from === 'string')
    assert.equal(original.split(from).length - 1, 1, `the mutation of ${file} must match exactly once: ${from}`);
  const changed = original.replace(from, to);
  assert.notEqual(changed, original, `the mutation of ${file} did not apply: ${String(from)}`);
  return changed;
}

interface Mutation {
  check: string;
  what: string;
  file: string;
  from: string | RegExp;
  to: string;
  expect: RegExp;
}

const MUTATIONS: readonly Mutation[] = [
  {
    check: 'pinnedActions',
    what: 'a tag instead of a commit',
    file: 'deploy-caelundas.yml',
    from: /actions\/checkout@[0-9a-f]{40} # v[\d.]+/,
    to: 'actions/checkout@v7',
    expect: /actions\/checkout@v7 is not pinned by a full commit SHA/,
  },
  {
    check: 'pinnedActions',
    what: 'a short SHA',
    file: 'ci.yml',
    from: /(actions\/setup-node@[0-9a-f]{7})[0-9a-f]{33}/,
    to: '$1',
    expect: /not pinned by a full commit SHA/,
  },
  {
    check: 'pinnedActions',
    what: 'a SHA without its version',
    file: 'deploy-wpp-bot.yml',
    from: /(docker\/login-action@[0-9a-f]{40}) # v[\d.]+/,
    to: '$1',
    expect: /has no "# vX\.Y\.Z" comment/,
  },
  {
    check: 'leastPrivilege',
    what: 'write-all at the top',
    file: 'ci.yml',
    from: 'permissions: {}',
    to: 'permissions: write-all',
    expect: /top-level permissions must be \{\} or read-only/,
  },
  {
    check: 'leastPrivilege',
    what: 'packages: write where nothing is pushed',
    file: 'ci.yml',
    from: '      contents: read\n',
    to: '      contents: read\n      packages: write\n',
    expect: /packages: write is more than it needs \(it does not log in to push\)/,
  },
  {
    check: 'leastPrivilege',
    what: 'contents: write on a deploy',
    file: 'deploy-wpp-bot.yml',
    from: '      contents: read\n',
    to: '      contents: write\n',
    expect: /contents: write is more than it needs/,
  },
  {
    check: 'leastPrivilege',
    what: 'a job without its own permissions',
    file: 'deploy-caelundas.yml',
    from: /    permissions:\n      contents: read\n      packages: write\n/,
    to: '',
    expect: /no permissions map of its own/,
  },
  {
    check: 'deploysNeverCancelled',
    what: 'cancel-in-progress on the deploy',
    file: 'deploy-wpp-bot.yml',
    from: 'cancel-in-progress: false',
    to: 'cancel-in-progress: true',
    expect: /must say cancel-in-progress: false/,
  },
  {
    check: 'deploysNeverCancelled',
    what: 'no concurrency group',
    file: 'deploy-caelundas.yml',
    from: /    concurrency:\n      group: deploy-production-caelundas\n      cancel-in-progress: false\n/,
    to: '',
    expect: /needs a concurrency group/,
  },
  {
    check: 'deploysNeverCancelled',
    what: 'a cancelling workflow-level group',
    file: 'deploy-wpp-bot.yml',
    from: '\njobs:\n',
    to: '\nconcurrency:\n  group: wpp\n  cancel-in-progress: true\n\njobs:\n',
    expect: /workflow-level concurrency could cancel the deploy job deploy/,
  },
  {
    check: 'jobTimeouts',
    what: 'no timeout',
    file: 'deploy-wpp-bot.yml',
    from: '    timeout-minutes: 30\n',
    to: '',
    expect: /timeout-minutes must be a number from 1 to 120 \(got undefined\)/,
  },
  {
    check: 'jobTimeouts',
    what: 'the 6-hour default spelled out',
    file: 'ci.yml',
    from: 'timeout-minutes: 45',
    to: 'timeout-minutes: 360',
    expect: /got 360/,
  },
  {
    check: 'productionEnvironment',
    what: 'a deploy outside the environment',
    file: 'deploy-caelundas.yml',
    from: '    environment: production\n',
    to: '',
    expect: /outside the production environment/,
  },
  {
    check: 'productionEnvironment',
    what: 'a secret in a job without one',
    file: 'ci.yml',
    from: '      - name: Run .ci/run\n',
    to: '      - name: Run .ci/run\n        env:\n          TOKEN: ${{ secrets.LINODE_TOKEN }}\n',
    expect: /reads secrets \(LINODE_TOKEN\) outside the production environment/,
  },
  {
    check: 'noExpressionsInRun',
    what: 'a step output inside run',
    file: 'deploy-caelundas.yml',
    from: '--release "$RELEASE"',
    to: '--release "${{ steps.deploy.outputs.release }}"',
    expect: /an expression inside run:/,
  },
  {
    check: 'noExpressionsInRun',
    what: 'an input inside run',
    file: 'deploy-caelundas.yml',
    from: 'status=0\n',
    to: 'status=0\n          echo "${{ inputs.start_date }}"\n',
    expect: /step "Deploy caelundas": an expression inside run:/,
  },
  {
    check: 'kubeconfigLifecycle',
    what: 'a removal that a failure skips',
    file: 'deploy-wpp-bot.yml',
    from: /(- name: Remove the kubeconfig\n)\s+if: \$\{\{ always\(\) \}\}\n/,
    to: '$1',
    expect: /must run with if: always\(\)/,
  },
  {
    check: 'kubeconfigLifecycle',
    what: 'no removal',
    file: 'deploy-caelundas.yml',
    from: /      - name: Remove the kubeconfig\n.*\n.*runner-kubeconfig\.sh remove\n\n/,
    to: '',
    expect: /nothing removes the kubeconfig/,
  },
  {
    check: 'kubeconfigLifecycle',
    what: 'written into the workspace by hand',
    file: 'deploy-caelundas.yml',
    from: 'run: bash .github/scripts/runner-kubeconfig.sh write',
    to: 'run: printf \'%s\' "$KUBE_CONFIG" | base64 -d > kubeconfig.yaml',
    expect: /must go to "bash \.github\/scripts\/runner-kubeconfig\.sh write"/,
  },
  {
    check: 'kubeconfigLifecycle',
    what: 'removed before the clean-up uses it',
    file: 'deploy-caelundas.yml',
    from: /(      # Instead of `deploy --cleanup`[\s\S]*?--kubeconfig "\$KUBECONFIG"\n\n)(      - name: Remove the kubeconfig\n.*\n.*remove\n\n)/,
    to: '$2$1',
    expect: /removed before a step that still uses it/,
  },
  {
    check: 'kubeconfigLifecycle',
    what: 'in the job env',
    file: 'deploy-wpp-bot.yml',
    from: '    permissions:\n      contents: read\n',
    to: '    env:\n      KUBE_CONFIG: ${{ secrets.KUBE_CONFIG }}\n    permissions:\n      contents: read\n',
    expect: /KUBE_CONFIG may only be a step's env/,
  },
  {
    check: 'noSecretEcho',
    what: 'set -x before a secret',
    file: 'deploy-wpp-bot.yml',
    from: '          status=0\n',
    to: '          set -x\n          status=0\n',
    expect: /shell tracing \(set -x\) would print secrets/,
  },
  {
    check: 'noSecretEcho',
    what: 'an echoed secret',
    file: 'deploy-wpp-bot.yml',
    from: '          status=0\n',
    to: '          echo "key is ${ELEVENLABS_API_KEY}"\n          status=0\n',
    expect: /prints the secret ELEVENLABS_API_KEY/,
  },
  {
    check: 'noSecretEcho',
    what: 'a secret in the workflow env',
    file: 'deploy-caelundas.yml',
    from: '\ndefaults:\n',
    to: '\nenv:\n  LATITUDE: ${{ secrets.LATITUDE }}\n\ndefaults:\n',
    expect: /secrets in the workflow-level env reach every step/,
  },
  {
    check: 'noSecretEcho',
    what: 'all secrets at once',
    file: 'deploy-caelundas.yml',
    from: 'REPOSITORY_OWNER: ${{ github.repository_owner }}',
    to: 'ALL: ${{ toJSON(secrets) }}',
    expect: /passes all secrets at once/,
  },
  {
    check: 'nodeFromNvmrc',
    what: 'a version typed in',
    file: 'ci.yml',
    from: 'node-version-file: .nvmrc',
    to: 'node-version: 22',
    expect: /setup-node must read node-version-file: \.nvmrc/,
  },
  {
    check: 'nodeFromNvmrc',
    what: "the runner's own Node",
    file: 'deploy-wpp-bot.yml',
    from: /      - name: Set up Node \(\.nvmrc\)\n(.*\n){5}/,
    to: '',
    expect: /runs Node before \(or without\) actions\/setup-node/,
  },
  {
    check: 'ghcrLoginWithJobToken',
    what: 'a personal token',
    file: 'deploy-wpp-bot.yml',
    from: 'password: ${{ secrets.GITHUB_TOKEN }}',
    to: 'password: ${{ secrets.GHCR_PAT }}',
    expect: /password must be the job token/,
  },
  {
    check: 'ghcrLoginWithJobToken',
    what: 'another registry',
    file: 'deploy-caelundas.yml',
    from: 'registry: ghcr.io',
    to: 'registry: docker.io',
    expect: /registry must be ghcr\.io/,
  },
  {
    check: 'ghcrLoginWithJobToken',
    what: 'the token handed to the toolkit',
    file: 'deploy-caelundas.yml',
    from: 'REPOSITORY_OWNER: ${{ github.repository_owner }}',
    to: 'GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}',
    expect: /the job token is in a script's env/,
  },
  {
    check: 'ghcrLoginWithJobToken',
    what: 'docker login in a script',
    file: 'deploy-wpp-bot.yml',
    from: '          status=0\n',
    to: '          docker login ghcr.io -u me --password-stdin <"$RUNNER_TEMP/t"\n          status=0\n',
    expect: /logs in with docker login in a script/,
  },
  {
    check: 'checkoutWithoutCredentials',
    what: 'credentials kept',
    file: 'ci.yml',
    from: 'persist-credentials: false',
    to: 'persist-credentials: true',
    expect: /checkout needs persist-credentials: false/,
  },
  {
    check: 'checkoutWithoutCredentials',
    what: 'the default',
    file: 'deploy-wpp-bot.yml',
    from: /        with:\n          persist-credentials: false\n/,
    to: '',
    expect: /checkout needs persist-credentials: false/,
  },
  {
    check: 'noDangerousTriggers',
    what: 'pull_request_target',
    file: 'ci.yml',
    from: '  pull_request:\n',
    to: '  pull_request_target:\n',
    expect: /the pull_request_target trigger/,
  },
  {
    check: 'buildxBeforeDeploy',
    what: 'no buildx',
    file: 'deploy-wpp-bot.yml',
    from: /      - name: Set up docker buildx\n.*\n\n/,
    to: '',
    expect: /deploys without docker\/setup-buildx-action/,
  },
];

describe('the workflows', () => {
  it('are the three of issue 16', () => {
    assert.deepEqual(
      workflows.map((workflow) => workflow.file),
      ['ci.yml', 'deploy-caelundas.yml', 'deploy-wpp-bot.yml'],
    );
  });

  for (const [name, check] of Object.entries(CHECKS)) {
    it(`pass ${name}`, () => {
      for (const workflow of workflows) assert.deepEqual(check(workflow), [], workflow.file);
    });
  }

  it('pin each action to the same commit and version in every file', () => {
    assert.deepEqual(consistentPins(workflows), []);
  });

  it('run only scripts that are committed with them (none git-ignored)', () => {
    assert.deepEqual(ignoredScripts(workflows), []);
  });

  it('set up Node 24: .nvmrc, which setup-node reads, names major 24', () => {
    assert.equal(readFileSync(path.join(REPO_ROOT, '.nvmrc'), 'utf8').trim(), '24');
  });
});

describe('each check fails on a workflow broken the way it guards against', () => {
  it('every check has at least one broken workflow below', () => {
    assert.deepEqual(
      Object.keys(CHECKS).filter((name) => !MUTATIONS.some((mutation) => mutation.check === name)),
      [],
    );
  });

  for (const mutation of MUTATIONS) {
    it(`${mutation.check}: ${mutation.what} (${mutation.file})`, () => {
      const check: Check = CHECKS[mutation.check]!;
      const problems = check(parseWorkflow(broken(mutation.file, mutation.from, mutation.to), mutation.file));
      assert.ok(
        problems.some((problem) => mutation.expect.test(problem)),
        `expected ${mutation.expect} among:\n${problems.join('\n') || '(no problems)'}`,
      );
    });
  }

  it('ignoredScripts: a script whose name .gitignore matches (kubeconfig*)', () => {
    const renamed = parseWorkflow(
      text('deploy-wpp-bot.yml').replaceAll('.github/scripts/runner-kubeconfig.sh', '.github/scripts/kubeconfig.sh'),
      'deploy-wpp-bot.yml',
    );
    assert.deepEqual(ignoredScripts([renamed]), [
      '.github/scripts/kubeconfig.sh is git-ignored: a checkout will not have it',
    ]);
  });

  it('consistentPins: one file bumped, the other not', () => {
    const bumped = parseWorkflow(
      broken('deploy-wpp-bot.yml', /(actions\/checkout@)[0-9a-f]{40} # v[\d.]+/, `$1${'a'.repeat(40)} # v9.9.9`),
      'deploy-wpp-bot.yml',
    );
    const others = workflows.filter((workflow) => workflow.file !== 'deploy-wpp-bot.yml');
    const problems = consistentPins([...others, bumped]);
    assert.ok(
      problems.some((problem) => /^actions\/checkout: deploy-wpp-bot\.yml pins a{40} # v9\.9\.9/.test(problem)),
      problems.join('\n'),
    );
  });
});

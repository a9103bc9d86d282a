/**
 * `ci secrets` end to end: deckhand's real entry point, the real GitHub CLI (Debian's gh 2.23 in CI) and the real
 * kubectl, against a loopback stand-in of the GitHub REST API (test/support/github-api-server.ts) that gh reaches as
 * a GitHub Enterprise host over HTTPS. The stand-in opens every sealed box, so each test checks the value that
 * arrived — and that it never appeared in gh's argv, in deckhand's output or in any file.
 *
 * Without gh these tests are skipped with the reason; DECKHAND_REQUIRE_GH=1 (.ci/run sets it) makes that a failure.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { ensureKubeBinaries, type KubeBinaries } from '../support/binaries.ts';
import { baseEnv, runCli, type CliResult } from '../support/cli.ts';
import { KEYS, startCliInPty } from '../support/pty.ts';
import { startGitHubApiServer, type GitHubApiServer } from '../support/github-api-server.ts';
import { tempDirs } from '../support/temp.ts';
import { createProject, filesContaining, findOnPath, recordingGh, type ProjectFixture } from './project-fixture.ts';

const execFileAsync = promisify(execFile);
export const REQUIRE_GH_ENV = 'DECKHAND_REQUIRE_GH';
const REAL_GH = findOnPath('gh');
const skip =
  REAL_GH || process.env[REQUIRE_GH_ENV] === '1' ? false : 'gh (the GitHub CLI) is not installed: apt-get install gh';

const TOKEN = 'ghp_standInToken0123456789abcdefABCDEF';
const REPO = 'acme/deckhand';
const ENVIRONMENT = 'production';
const ALL = [
  'KUBE_CONFIG',
  'LATITUDE',
  'LONGITUDE',
  'ELEVENLABS_API_KEY',
  'JWT_SECRET',
  'POSTGRES_PASSWORD',
  'REGISTRY_PULL_TOKEN',
];

describe('ci secrets with the real gh against a GitHub API stand-in', { skip }, () => {
  const newDir = tempDirs('ci-secrets');
  let bin: KubeBinaries;
  const servers: GitHubApiServer[] = [];

  before(async () => {
    if (!REAL_GH) throw new Error(`${REQUIRE_GH_ENV}=1 but gh is not on PATH: install it (apt-get install gh)`);
    bin = await ensureKubeBinaries();
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  interface Bed {
    project: ProjectFixture;
    server: GitHubApiServer;
    ghLog: string;
    run(args: readonly string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
    /** The same, on a terminal. */
    runInPty(args: readonly string[]): ReturnType<typeof startCliInPty>;
    /** Every value that must stay secret, by name (the app inputs, the tokens, the KUBE_CONFIG value). */
    needles(): Promise<Record<string, string>>;
    /** What KUBE_CONFIG must be: the managed context alone, flattened, base64 — as the real kubectl makes it. */
    expectedKubeConfig(): Promise<string>;
    puts(): string[];
  }

  async function bed(
    options: { omit?: Parameters<typeof createProject>[1]; existing?: string[]; environments?: string[] } = {},
  ): Promise<Bed> {
    const project = createProject(newDir(), options.omit);
    const server = await startGitHubApiServer({
      token: TOKEN,
      repositories: [
        {
          owner: 'acme',
          name: 'deckhand',
          environments: Object.fromEntries(
            (options.environments ?? [ENVIRONMENT]).map((name) => [name, { secrets: options.existing ?? [] }]),
          ),
        },
      ],
    });
    servers.push(server);
    const ghBin = path.join(project.dir, 'gh-bin');
    const ghLog = path.join(project.dir, 'gh-argv.log');
    recordingGh(ghBin, REAL_GH!, ghLog);
    const env: NodeJS.ProcessEnv = {
      ...project.env,
      PATH: [ghBin, bin.binDir, process.env.PATH].join(path.delimiter),
      GH_HOST: server.host,
      GH_ENTERPRISE_TOKEN: TOKEN,
      SSL_CERT_FILE: server.caFile,
    };
    const expectedKubeConfig = async () => {
      const { stdout } = await execFileAsync(bin.kubectl, [
        'config',
        'view',
        '--kubeconfig',
        project.kubeconfig,
        '--context',
        project.managedContext,
        '--minify',
        '--flatten',
        '--raw',
      ]);
      return Buffer.from(stdout).toString('base64');
    };
    return {
      project,
      server,
      ghLog,
      run: (args, extraEnv) => runCli(['ci', 'secrets', ...args], { env: { ...env, ...extraEnv }, timeoutMs: 90_000 }),
      runInPty: (args) =>
        startCliInPty(['ci', 'secrets', ...args], { env: { ...baseEnv(), ...env }, watchdogMs: 90_000 }),
      async needles() {
        const { clusterToken, otherClusterToken, ...inputs } = project.values;
        return { ...inputs, clusterToken, otherClusterToken, KUBE_CONFIG: await expectedKubeConfig() };
      },
      expectedKubeConfig,
      puts: () =>
        server.requests.filter((request) => request.method === 'PUT').map((request) => request.path.split('/').pop()!),
    };
  }

  /** No secret value in deckhand's output, in what gh was started with, or in any file but the user's own. */
  async function assertNoLeak(test: Bed, result: CliResult): Promise<void> {
    const needles = await test.needles();
    for (const [name, value] of Object.entries(needles)) {
      assert.ok(!result.output.includes(value), `deckhand printed the value of ${name}`);
    }
    const argv = existsSync(test.ghLog) ? readFileSync(test.ghLog, 'utf8') : '';
    for (const [name, value] of Object.entries(needles)) assert.ok(!argv.includes(value), `gh's argv held ${name}`);
    assert.deepEqual(filesContaining(test.project.dir, needles, test.project.sourceFiles), []);
  }

  it('--set --yes sets every secret in the environment, each value arriving intact over stdin', async () => {
    const test = await bed({ existing: ['KUBE_CONFIG'] });
    const result = await test.run(['--set', '--yes', '--repo', REPO, '--verbose']);
    assert.equal(result.code, 0, result.output);

    const { values } = test.project;
    for (const name of ALL.slice(1)) {
      assert.equal(test.server.secretValue(REPO, ENVIRONMENT, name), values[name as keyof typeof values], name);
    }
    const kubeConfig = test.server.secretValue(REPO, ENVIRONMENT, 'KUBE_CONFIG')!;
    assert.equal(kubeConfig, await test.expectedKubeConfig());
    const uploaded = parse(Buffer.from(kubeConfig, 'base64').toString('utf8')) as {
      'current-context': string;
      contexts: unknown[];
      users: { user: { token: string } }[];
    };
    assert.equal(uploaded['current-context'], test.project.managedContext);
    assert.equal(uploaded.contexts.length, 1, 'only the managed context goes to GitHub');
    assert.equal(uploaded.users[0]!.user.token, values.clusterToken);

    assert.deepEqual(test.puts().sort(), [...ALL].sort());
    assert.ok(test.server.requests.every((request) => request.authorized));
    assert.deepEqual(test.server.unexpected, []);
    assert.match(
      result.stderr,
      /This sets 7 secrets in environment production of acme\/deckhand, overwriting existing values/,
    );
    assert.match(result.stderr, /\$ gh secret set LATITUDE --env production --repo acme\/deckhand/);
    assert.match(result.stderr, /LATITUDE set \(value from \.env\.caelundas\)/);
    assert.match(result.stderr, /KUBE_CONFIG set \(value from the managed cluster "deckhand"/);
    await assertNoLeak(test, result);
  });

  it('without --set prints the table, what GitHub has, and the by-hand commands, setting nothing', async () => {
    const test = await bed({ omit: ['ELEVENLABS_API_KEY'], existing: ['JWT_SECRET', 'KUBE_CONFIG'] });
    const result = await test.run(['--repo', REPO]);
    assert.equal(result.code, 0, result.output);
    const row = (name: string) => result.stdout.split('\n').find((line) => line.startsWith(`${name} `)) ?? '';
    assert.match(row('JWT_SECRET'), /^JWT_SECRET\s+required\s+set\s+deploy-wpp-bot\s+found: \.env\.wpp-bot$/);
    assert.match(row('ELEVENLABS_API_KEY'), /required\s+not set\s+deploy-wpp-bot\s+missing$/);
    assert.match(row('REGISTRY_PULL_TOKEN'), /optional\s+not set\s+deploy-caelundas, deploy-wpp-bot\s+found: \.env$/);
    assert.match(row('KUBE_CONFIG'), /set\s+deploy-caelundas, deploy-wpp-bot\s+found: the managed cluster "deckhand"/);
    assert.match(result.stdout, /ELEVENLABS_API_KEY: set ELEVENLABS_API_KEY in \.env\.wpp-bot or the environment/);
    assert.match(result.stdout, /^ {2}gh secret set ELEVENLABS_API_KEY --env production --repo acme\/deckhand$/m);
    assert.doesNotMatch(result.stdout, /gh secret set JWT_SECRET/, 'GitHub has it: no by-hand command');
    assert.match(result.stdout, /npx tsx tasks\.ts ci secrets --set --repo acme\/deckhand/);
    assert.deepEqual(test.puts(), []);
    assert.deepEqual(test.server.unexpected, []);
    await assertNoLeak(test, result);
  });

  it('--set stops before setting anything when a required secret has no value here and none on GitHub', async () => {
    const test = await bed({ omit: ['ELEVENLABS_API_KEY', 'REGISTRY_PULL_TOKEN'] });
    const result = await test.run(['--set', '--yes', '--repo', REPO]);
    assert.equal(result.code, 2, result.output);
    assert.match(result.stderr, /no value here and none on GitHub \(nothing was set\)/);
    assert.match(result.stderr, /ELEVENLABS_API_KEY: set ELEVENLABS_API_KEY in \.env\.wpp-bot/);
    assert.match(result.stderr, /or set it by hand: gh secret set ELEVENLABS_API_KEY --env production --repo acme/);
    assert.doesNotMatch(result.stderr, /REGISTRY_PULL_TOKEN:/, 'an optional secret does not stop it');
    assert.deepEqual(test.puts(), []);
    await assertNoLeak(test, result);
  });

  it('--set leaves a required secret GitHub already has, and a missing optional one, as they are', async () => {
    const test = await bed({ omit: ['ELEVENLABS_API_KEY', 'REGISTRY_PULL_TOKEN'], existing: ['ELEVENLABS_API_KEY'] });
    const result = await test.run(['--set', '--yes', '--repo', REPO]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stderr, /ELEVENLABS_API_KEY: no value here; GitHub has one — left as it is/);
    assert.match(result.stderr, /REGISTRY_PULL_TOKEN \(optional\): no value here — left as it is on GitHub/);
    assert.deepEqual(
      test.puts().sort(),
      ALL.filter((name) => name !== 'ELEVENLABS_API_KEY' && name !== 'REGISTRY_PULL_TOKEN').sort(),
    );
    assert.equal(test.server.secretValue(REPO, ENVIRONMENT, 'ELEVENLABS_API_KEY'), undefined, 'not overwritten');
    await assertNoLeak(test, result);
  });

  it('--set off a terminal without --yes says what it would do and exits 2, setting nothing', async () => {
    const test = await bed();
    const result = await test.run(['--set', '--repo', REPO]);
    assert.equal(result.code, 2, result.output);
    assert.match(
      result.stderr,
      /This sets 7 secrets in environment production of acme\/deckhand, overwriting existing values: KUBE_CONFIG, LATITUDE/,
    );
    assert.match(result.stderr, /nobody is at a terminal/);
    assert.match(result.stderr, /pass --yes/);
    assert.deepEqual(test.puts(), []);
  });

  it('--set on a terminal asks first: no sets nothing, yes sets every value', async () => {
    const test = await bed();
    const question =
      /This sets 7 secrets in environment production of acme\/deckhand, overwriting existing values: [^]*Go on\?/;
    const refused = test.runInPty(['--set', '--repo', REPO]);
    await refused.waitFor(question);
    refused.type(`n${KEYS.enter}`);
    const no = await refused.exited;
    assert.equal(no.exitCode, 130, no.screen);
    assert.match(no.screen, /Nothing was set: you answered no/);
    assert.deepEqual(test.puts(), []);

    const accepted = test.runInPty(['--set', '--repo', REPO]);
    await accepted.waitFor(question);
    accepted.type(`y${KEYS.enter}`);
    const yes = await accepted.exited;
    assert.equal(yes.exitCode, 0, yes.screen);
    assert.deepEqual(test.puts().sort(), [...ALL].sort());
    assert.equal(test.server.secretValue(REPO, ENVIRONMENT, 'JWT_SECRET'), test.project.values.JWT_SECRET);
    for (const [name, value] of Object.entries(await test.needles()))
      assert.ok(!yes.screen.includes(value), `the terminal showed ${name}`);
  });

  it('--set --dry-run prints each gh command, the value shown as going to stdin, and sets nothing', async () => {
    const test = await bed();
    const result = await test.run(['--set', '--dry-run', '--repo', REPO]);
    assert.equal(result.code, 0, result.output);
    for (const name of ALL) {
      assert.ok(
        result.stderr.includes(
          `[dry run] would run: gh secret set ${name} --env production --repo acme/deckhand  (with input on stdin, not shown)`,
        ),
        `${name}:\n${result.stderr}`,
      );
    }
    assert.match(result.stderr, /Dry run done: nothing was changed/);
    assert.deepEqual(test.puts(), []);
    await assertNoLeak(test, result);
  });

  it('names the missing GitHub environment and how to create it', async () => {
    const test = await bed({ environments: ['staging'] });
    const setting = await test.run(['--set', '--yes', '--repo', REPO]);
    assert.equal(setting.code, 1, setting.output);
    assert.match(setting.stderr, /GitHub has no environment "production" in acme\/deckhand/);
    assert.match(setting.stderr, /Settings → Environments → New environment → production/);
    assert.deepEqual(test.puts(), []);

    const listing = await test.run(['--repo', REPO]);
    assert.equal(listing.code, 0, listing.output);
    assert.match(listing.stdout, /^KUBE_CONFIG\s+required\s+\?/m);
    assert.match(listing.stderr, /GitHub has no environment "production"/);
  });

  it('says gh is not logged in when GitHub refuses its token', async () => {
    const test = await bed();
    const setting = await test.run(['--set', '--yes', '--repo', REPO], { GH_ENTERPRISE_TOKEN: 'ghp_wrong' });
    assert.equal(setting.code, 1, setting.output);
    assert.match(setting.stderr, new RegExp(`gh is not logged in to ${test.server.host.replace('.', '\\.')}`));
    assert.match(setting.stderr, /authentication failed/);
    assert.match(setting.stderr, /gh auth login --hostname 127\.0\.0\.1:\d+/);
    assert.deepEqual(test.puts(), []);
    assert.ok(test.server.requests.every((request) => !request.authorized));
  });
});

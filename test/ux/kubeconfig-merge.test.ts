/**
 * A KUBECONFIG that lists several files, checked against the real kubectl: for every context of the merge, the one
 * file deckhand passes with --kubeconfig must give kubectl exactly what KUBECONFIG=a:b:c gives it (`config view
 * --minify --flatten` reads the certificate files too, so relative paths are checked as well); `ci secrets` gets the
 * same file. Then a real command (`releases`) runs through such a merge against the simulated cluster.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { loadConfig } from '../../scripts/lib/config.ts';
import { singleKubeconfig } from '../../scripts/lib/kubeconfig-files.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import { resolveTarget } from '../../scripts/lib/target.ts';
import { ensureKubeBinaries, type KubeBinaries } from '../support/binaries.ts';
import { runCli } from '../support/cli.ts';
import { createDeployBed, type DeployBed } from '../support/deploy-bed.ts';
import { tempDirs } from '../support/temp.ts';

const execFileAsync = promisify(execFile);
const tempDir = tempDirs('kubeconfig-merge');

/** Three files whose names overlap: each later definition of a name must lose, whole. */
function writeFiles(dir: string): string[] {
  const file = (name: string, document: object, certs: Record<string, string> = {}) => {
    const folder = path.join(dir, name);
    for (const [relative, text] of Object.entries(certs)) {
      mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
      writeFileSync(path.join(folder, relative), text);
    }
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'config'), stringify(document), { mode: 0o600 });
    return path.join(folder, 'config');
  };
  return [
    file(
      'one',
      {
        clusters: [{ name: 'shared', cluster: { server: 'https://one.example', 'certificate-authority': 'ca.crt' } }],
        users: [{ name: 'admin', user: { 'client-certificate': 'pki/admin.crt', 'client-key': 'pki/admin.key' } }],
        contexts: [{ name: 'dev', context: { cluster: 'shared', user: 'admin', namespace: 'one' } }],
      },
      { 'ca.crt': 'ca of one', 'pki/admin.crt': 'cert of one', 'pki/admin.key': 'key of one' },
    ),
    file(
      'two',
      {
        'current-context': 'prod',
        clusters: [
          { name: 'shared', cluster: { server: 'https://two.example' } },
          { name: 'prod-cluster', cluster: { server: 'https://prod.example', 'certificate-authority': 'prod-ca.crt' } },
        ],
        users: [
          { name: 'admin', user: { token: 'token-of-two' } },
          { name: 'deployer', user: { token: 'deployer-token' } },
        ],
        contexts: [
          { name: 'dev', context: { cluster: 'prod-cluster', user: 'deployer' } },
          { name: 'prod', context: { cluster: 'prod-cluster', user: 'admin' } },
          { name: 'own', context: { cluster: 'prod-cluster', user: 'deployer' } },
        ],
      },
      { 'prod-ca.crt': 'ca of prod' },
    ),
    file('three', {
      'current-context': 'ignored',
      users: [{ name: 'deployer', user: { token: 'deployer-of-three' } }],
      contexts: [{ name: 'staging', context: { cluster: 'shared', user: 'deployer' } }],
    }),
  ];
}

describe('a KUBECONFIG of several files', () => {
  let kube: KubeBinaries;
  before(async () => {
    kube = await ensureKubeBinaries();
  });

  const view = async (env: NodeJS.ProcessEnv, args: string[]) => {
    const { stdout } = await execFileAsync(
      kube.kubectl,
      ['config', 'view', '--minify', '--flatten', '--raw', '-o', 'json', ...args],
      { env: { PATH: process.env.PATH, HOME: env.HOME, ...env } },
    );
    return JSON.parse(stdout) as { contexts: unknown[]; clusters: unknown[]; users: unknown[] };
  };

  it('gives kubectl, through the one file deckhand passes, what kubectl itself merges, for every context', async () => {
    const dir = tempDir();
    const files = writeFiles(dir);
    const list = files.join(path.delimiter);
    for (const context of [undefined, 'dev', 'prod', 'own', 'staging']) {
      const config = loadConfig({
        repoRoot: dir,
        flags: { dryRun: false, verbose: false, yes: false, ...(context ? { context } : {}) },
        env: { KUBECONFIG: list },
        interactive: false,
        masker: new SecretMasker(),
      });
      const target = resolveTarget(config, { defaultNamespace: 'ns', explicitFlags: {}, homeDir: dir });
      const expected = await view({ KUBECONFIG: list, HOME: dir }, context ? ['--context', context] : []);
      const actual = await view({ HOME: dir }, ['--kubeconfig', target.kubeconfig, '--context', target.context]);
      const label = context ?? '(current-context)';
      assert.deepEqual(actual.contexts, expected.contexts, label);
      assert.deepEqual(actual.clusters, expected.clusters, label);
      assert.deepEqual(actual.users, expected.users, label);
      // What `ci secrets` hands to `kubectl config view --minify --flatten` for KUBE_CONFIG: the same.
      const single = singleKubeconfig(list, context, dir);
      assert.equal(single.context, target.context, label);
      const flattened = await view({ HOME: dir }, ['--kubeconfig', single.file, '--context', single.context!]);
      assert.deepEqual(flattened, actual, label);
    }
  });

  describe('against the simulated cluster', () => {
    let bed: DeployBed;
    before(async () => {
      bed = await createDeployBed();
    });
    after(async () => {
      await bed?.close();
    });

    it('runs a command whose context and cluster come from one file and the winning user from another', async () => {
      const dir = tempDir();
      // Over HTTPS kubectl sends the token (never over plain HTTP), so a wrong one is refused with 401.
      const { url, caPem } = await bed.sim.https();
      mkdirSync(path.join(dir, 'team'));
      mkdirSync(path.join(dir, 'me'));
      writeFileSync(path.join(dir, 'team', 'sim-ca.crt'), caPem);
      const contexts = path.join(dir, 'team', 'config');
      const credentials = path.join(dir, 'me', 'config');
      writeFileSync(
        contexts,
        stringify({
          'current-context': 'sim',
          contexts: [{ name: 'sim', context: { cluster: 'sim-cluster', user: 'sim-user' } }],
          // Relative to this file's folder, as kubectl reads it.
          clusters: [{ name: 'sim-cluster', cluster: { server: url, 'certificate-authority': 'sim-ca.crt' } }],
          // Loses to the earlier file's sim-user; sent, this token would be refused.
          users: [{ name: 'sim-user', user: { token: 'a-token-the-cluster-refuses' } }],
        }),
        { mode: 0o600 },
      );
      writeFileSync(credentials, stringify({ users: [{ name: 'sim-user', user: { token: 'kube-sim-token' } }] }), {
        mode: 0o600,
      });
      const run = (list: string[]) =>
        runCli(['releases', 'caelundas', '--json'], { env: { ...bed.env, KUBECONFIG: list.join(path.delimiter) } });
      const merged = await run([credentials, contexts]);
      assert.equal(merged.code, 0, merged.output);
      assert.deepEqual(JSON.parse(merged.stdout), []);
      // The other order gives the refused token the win: the check above can fail.
      const reversed = await run([contexts, credentials]);
      assert.notEqual(reversed.code, 0, reversed.output);
      // kubectl says "Unauthorized", helm "asked for the client to provide credentials": whichever asked first.
      assert.match(reversed.output, /Unauthorized|provide credentials/);
    });
  });
});

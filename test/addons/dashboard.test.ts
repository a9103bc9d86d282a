/**
 * `dashboard install | token` end to end with the real helm and kubectl against the simulated cluster: a stand-in
 * Headlamp chart from a chart repository on loopback, and tokens issued by the simulator's TokenRequest API, whose
 * RBAC is checked the way a cluster answers it — `kubectl auth can-i --as` and the token itself used as credentials.
 * Every argv deckhand's children get is recorded (a wrapper in front of helm and kubectl on PATH), so "the token is
 * nowhere else" covers command lines too, beside stdout, stderr and every file written.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serveStandInHeadlamp, type ChartRepository } from '../support/stand-in-headlamp.ts';
import { createAddonsBed, filesContaining, type AddonsBed } from '../support/addons-bed.ts';
import { KEYS, startCliInPty } from '../support/pty.ts';
import { createSandbox } from '../support/sandbox.ts';

const APP_NAMESPACE = `
apiVersion: v1
kind: Namespace
metadata: {name: wpp-bot}
---
apiVersion: v1
kind: Secret
metadata: {name: wpp-bot-secret, namespace: wpp-bot}
stringData: {POSTGRES_PASSWORD: not-for-viewers}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: wpp-bot-config, namespace: wpp-bot}
data: {LOG_LEVEL: info}
`;

const MUTATING = /^(POST|PUT|PATCH|DELETE)$/;

/** A folder with `helm` and `kubectl` wrappers that log their argv, one line per call, then run the real ones. */
async function argvRecorder(binDir: string): Promise<{ dir: string; log: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-argv-'));
  const log = path.join(dir, 'argv.log');
  for (const tool of ['helm', 'kubectl']) {
    const wrapper = path.join(dir, tool);
    await writeFile(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "${tool} $*" >> '${log}'\nexec '${path.join(binDir, tool)}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
  }
  await writeFile(log, '');
  return { dir, log };
}

describe('dashboard install and token', { concurrency: 3 }, () => {
  let repo: ChartRepository;
  let repoDir: string;
  before(async () => {
    const sandbox = await createSandbox();
    repoDir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-headlamp-'));
    try {
      repo = await serveStandInHeadlamp(sandbox.bin.helm, repoDir, sandbox.env);
    } finally {
      await sandbox.cleanup();
    }
  });
  after(async () => {
    await repo?.stop();
    await rm(repoDir, { recursive: true, force: true });
  });

  const withBed = async (fn: (bed: AddonsBed, argvLog: string) => Promise<void>) => {
    const bed = await createAddonsBed({ DECKHAND_HEADLAMP_CHART_REPO: repo.url });
    const recorder = await argvRecorder(bed.sandbox.bin.binDir);
    bed.env['PATH'] = `${recorder.dir}${path.delimiter}${bed.env['PATH']}`;
    try {
      await fn(bed, recorder.log);
    } finally {
      await bed.close();
      await rm(recorder.dir, { recursive: true, force: true });
    }
    bed.sim.assertNoGaps();
  };

  const canI = async (bed: AddonsBed, args: string[]): Promise<string> => {
    const result = await bed.sandbox.run(bed.sandbox.bin.kubectl, ['auth', 'can-i', ...args]);
    return result.stdout.trim();
  };

  test('install turns the chart’s cluster-admin binding off, runs restricted, and a re-run changes nothing', async () => {
    await withBed(async (bed) => {
      const first = await bed.cli(['dashboard', 'install']);
      assert.equal(first.code, 0, first.output);
      assert.ok(
        repo.requests.some((request) => request.endsWith('index.yaml')),
        'helm read the repository index',
      );
      assert.equal(
        bed.sim.get('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', undefined, 'headlamp-admin'),
        undefined,
      );
      assert.deepEqual(
        bed.sim
          .list<{ subjects?: { name: string }[] }>('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding')
          .filter((binding) => (binding.subjects ?? []).some((subject) => subject.name === 'headlamp')),
        [],
        'nothing binds Headlamp cluster-wide',
      );
      assert.equal(
        bed.sim.get('v1', 'Namespace', undefined, 'headlamp')?.metadata.labels?.['pod-security.kubernetes.io/enforce'],
        'restricted',
      );
      const deployment = bed.sim.get<{
        spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
      }>('apps/v1', 'Deployment', 'headlamp', 'headlamp');
      const container = deployment!.spec.template.spec.containers[0]!.securityContext;
      assert.deepEqual(
        [container['readOnlyRootFilesystem'], container['allowPrivilegeEscalation'], container['runAsNonRoot']],
        [true, false, true],
      );
      assert.match(
        first.output,
        /Reach it: kubectl port-forward --kubeconfig \S+ --context kube-sim -n headlamp service\/headlamp 8080:80/,
      );

      const before = bed.sim.requests.length;
      const second = await bed.cli(['dashboard', 'install']);
      assert.equal(second.code, 0, second.output);
      assert.deepEqual(
        bed.sim.requests
          .slice(before)
          .filter((r) => MUTATING.test(r.method))
          .map((r) => `${r.method} ${r.path}`),
        [],
      );
      assert.match(second.output, /Headlamp unchanged: chart 0\.45\.0 with these values, revision 1/);
    });
  });

  test('token: a view-only, namespaced ServiceAccount; the token alone on stdout and nowhere else', async () => {
    await withBed(async (bed, argvLog) => {
      await bed.kubectlOk(['apply', '-f', '-'], APP_NAMESPACE);
      const result = await bed.cli(['dashboard', 'token', 'wpp-bot', '--verbose']);
      assert.equal(result.code, 0, result.output);
      assert.equal(bed.sim.issuedTokens.length, 1);
      const issued = bed.sim.issuedTokens[0]!;
      assert.deepEqual(
        [issued.namespace, issued.serviceAccount, issued.expirationSeconds],
        ['wpp-bot', 'headlamp-viewer', 3600],
      );
      assert.equal(result.stdout, `${issued.token}\n`, 'stdout is the token and nothing else');

      // Nowhere else: stderr (with --verbose), every argv, every file deckhand or the tools wrote.
      assert.ok(!result.stderr.includes(issued.token), 'not on stderr');
      assert.ok(!result.stderr.includes('***'), 'not even masked: nothing tried to print it');
      const argv = await readFile(argvLog, 'utf8');
      assert.match(argv, /^kubectl create token headlamp-viewer .*--duration 3600s --output json$/m);
      assert.ok(!argv.includes(issued.token), 'never on a command line');
      assert.deepEqual(await filesContaining(bed.dir, issued.token), []);
      assert.deepEqual(
        (await filesContaining(bed.sandbox.dir, issued.token)).filter((file) => file !== argvLog),
        [],
      );
      assert.match(result.stderr, /Token for headlamp-viewer: read-only: .*Valid until 20\d\d-/);
      assert.match(result.stderr, /Reach the dashboard: kubectl port-forward .* -n headlamp service\/headlamp 8080:80/);
      assert.match(result.stderr, /Headlamp is not installed yet: npx tsx tasks\.ts dashboard install/);

      // What the account may do, as the API server answers it.
      const as = ['--as', 'system:serviceaccount:wpp-bot:headlamp-viewer'];
      const answers = [];
      for (const question of [
        'list pods',
        'get pods/log',
        'list configmaps',
        'get secrets',
        'list secrets',
        'create pods/exec',
        'create pods/portforward',
        'delete pods',
        'create rolebindings.rbac.authorization.k8s.io',
      ]) {
        answers.push([question, await canI(bed, [...question.split(' '), '-n', 'wpp-bot', ...as])]);
      }
      assert.deepEqual(answers, [
        ['list pods', 'yes'],
        ['get pods/log', 'yes'],
        ['list configmaps', 'yes'],
        ['get secrets', 'no'],
        ['list secrets', 'no'],
        ['create pods/exec', 'no'],
        ['create pods/portforward', 'no'],
        ['delete pods', 'no'],
        ['create rolebindings.rbac.authorization.k8s.io', 'no'],
      ]);
      assert.equal(await canI(bed, ['list', 'pods', '-n', 'kube-system', ...as]), 'no', 'another namespace');
      assert.equal(await canI(bed, ['list', 'pods', '--all-namespaces', ...as]), 'no', 'cluster-wide');
      const binding = bed.sim.get<{ roleRef: { kind: string; name: string } }>(
        'rbac.authorization.k8s.io/v1',
        'RoleBinding',
        'wpp-bot',
        'headlamp-viewer',
      );
      assert.deepEqual(binding?.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' });

      // The token itself, used as credentials (over HTTPS, as clients send tokens only over TLS).
      const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'deckhand-viewer-'));
      try {
        const kubeconfig = path.join(elsewhere, 'viewer.kubeconfig');
        await bed.sim.writeTokenKubeconfig(kubeconfig, issued.token, { namespace: 'wpp-bot' });
        const asViewer = (args: string[]) =>
          bed.sandbox.run(bed.sandbox.bin.kubectl, ['--kubeconfig', kubeconfig, ...args]);
        const configMaps = await asViewer(['get', 'configmaps', '-o', 'name']);
        assert.equal(configMaps.code, 0, configMaps.stderr);
        assert.match(configMaps.stdout, /configmap\/wpp-bot-config/);
        const secret = await asViewer(['get', 'secret', 'wpp-bot-secret']);
        assert.match(secret.stderr, /secrets "wpp-bot-secret" is forbidden/);
      } finally {
        await rm(elsewhere, { recursive: true, force: true });
      }

      // Another token: the account and binding are there already; only the TokenRequest is a write.
      const before = bed.sim.requests.length;
      const again = await bed.cli(['dashboard', 'token', 'wpp-bot', '--duration', '30m']);
      assert.equal(again.code, 0, again.output);
      const writes = bed.sim.requests
        .slice(before)
        .filter((r) => MUTATING.test(r.method) && !r.path.includes('accessreviews'));
      assert.deepEqual(
        writes.map((r) => `${r.method} ${r.path.split('?')[0]}`),
        ['POST /api/v1/namespaces/wpp-bot/serviceaccounts/headlamp-viewer/token'],
      );
      assert.equal(bed.sim.issuedTokens[1]?.expirationSeconds, 1800);
      assert.equal(again.stdout, `${bed.sim.issuedTokens[1]?.token}\n`);
    });
  });

  test('--admin needs a confirmation (off a terminal: --yes) and then grants the admin role in the namespace only', async () => {
    await withBed(async (bed) => {
      await bed.kubectlOk(['apply', '-f', '-'], APP_NAMESPACE);
      const refused = await bed.cli(['dashboard', 'token', 'wpp-bot', '--admin']);
      assert.equal(refused.code, 2, refused.output);
      assert.match(
        refused.stderr,
        /confirmation for an admin token: pass --yes \(it grants full control of the namespace\)/,
      );
      assert.deepEqual(
        [bed.sim.issuedTokens.length, bed.sim.get('v1', 'ServiceAccount', 'wpp-bot', 'headlamp-admin')],
        [0, undefined],
      );

      const granted = await bed.cli(['dashboard', 'token', 'wpp-bot', '--admin', '--yes']);
      assert.equal(granted.code, 0, granted.output);
      assert.equal(granted.stdout, `${bed.sim.issuedTokens[0]?.token}\n`);
      const as = ['--as', 'system:serviceaccount:wpp-bot:headlamp-admin'];
      assert.equal(await canI(bed, ['get', 'secrets', '-n', 'wpp-bot', ...as]), 'yes');
      assert.equal(await canI(bed, ['list', 'pods', '-n', 'kube-system', ...as]), 'no', 'still one namespace');
    });
  });

  test('on a terminal, --admin asks first, saying what the token grants; no means no token', async () => {
    await withBed(async (bed) => {
      await bed.kubectlOk(['apply', '-f', '-'], APP_NAMESPACE);
      const { CI: _ci, ...env } = bed.env;
      const ask = async (answer: string) => {
        const session = startCliInPty(['dashboard', 'token', 'wpp-bot', '--admin'], { env, watchdogMs: 60_000 });
        try {
          await session.waitFor(
            /A token from --admin grants full control of the namespace: read every Secret in it .* in namespace wpp-bot, for 60 minutes, to whoever holds it\. Issue it\?/s,
          );
          session.type(`${answer}${KEYS.enter}`);
          return await session.exited;
        } finally {
          session.kill();
        }
      };
      const declined = await ask('n');
      assert.equal(declined.exitCode, 2, declined.screen);
      assert.match(declined.screen, /No admin token issued/);
      assert.equal(bed.sim.issuedTokens.length, 0);
      const accepted = await ask('y');
      assert.equal(accepted.exitCode, 0, accepted.screen);
      assert.equal(bed.sim.issuedTokens[0]?.serviceAccount, 'headlamp-admin');
      assert.ok(
        accepted.screen.includes(bed.sim.issuedTokens[0]!.token),
        'the token, on the terminal that asked for it',
      );
    });
  });

  test('a viewer someone bound to more than view gets no token', async () => {
    await withBed(async (bed) => {
      await bed.kubectlOk(['apply', '-f', '-'], APP_NAMESPACE);
      assert.equal((await bed.cli(['dashboard', 'token', 'wpp-bot'])).code, 0);
      await bed.kubectlOk([
        'create',
        'rolebinding',
        'too-much',
        '-n',
        'wpp-bot',
        '--clusterrole',
        'edit',
        '--serviceaccount',
        'wpp-bot:headlamp-viewer',
      ]);
      const result = await bed.cli(['dashboard', 'token', 'wpp-bot']);
      assert.equal(result.code, 1, result.output);
      assert.match(
        result.stderr,
        /headlamp-viewer may get secrets, create pods\/exec in wpp-bot: something besides its view binding grants it more\. No token was issued\./,
      );
      assert.equal(result.stdout, '');
      assert.equal(bed.sim.issuedTokens.length, 1, 'only the first');
    });
  });

  test('dry runs read the cluster, print what they would do, and issue nothing', async () => {
    await withBed(async (bed) => {
      await bed.kubectlOk(['apply', '-f', '-'], APP_NAMESPACE);
      const before = bed.sim.requests.length;
      const token = await bed.cli(['dashboard', 'token', 'wpp-bot', '--dry-run']);
      assert.equal(token.code, 0, token.output);
      assert.equal(token.stdout, '');
      assert.match(token.stderr, /\[dry run\] would run: kubectl apply .*--namespace wpp-bot --server-side/);
      assert.match(token.stderr, /\[dry run\] would run: kubectl create token headlamp-viewer .*--duration 3600s/);
      const install = await bed.cli(['dashboard', 'install', '--dry-run']);
      assert.equal(install.code, 0, install.output);
      assert.match(
        install.output,
        /\[dry run\] would run: helm upgrade --install headlamp headlamp --version 0\.45\.0 --repo http:\/\/127\.0\.0\.1:\d+\//,
      );
      assert.deepEqual(
        bed.sim.requests
          .slice(before)
          .filter((r) => MUTATING.test(r.method))
          .map((r) => r.path),
        [],
      );
      assert.equal(bed.sim.issuedTokens.length, 0);
    });
  });
});

/**
 * Proof that ServiceAccount tokens and RBAC in kube-sim answer the real kubectl 1.34.5 as a cluster does:
 * `kubectl create token` (JWT claims, duration, the server's cap, a missing account), the built-in aggregated
 * `view` / `edit` ClusterRoles, `kubectl auth can-i` with impersonation (`--as system:serviceaccount:NS:SA`), and a
 * token used as credentials getting exactly what its RoleBinding grants.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';
import { withKubeSim, type SimCluster } from '../support/kube-sim-harness.ts';

const VIEWER = `
apiVersion: v1
kind: Namespace
metadata: {name: wpp-bot}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: dashboard-viewer, namespace: wpp-bot}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dashboard-viewer, namespace: wpp-bot}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: dashboard-viewer, namespace: wpp-bot}
---
apiVersion: v1
kind: Secret
metadata: {name: app-env, namespace: wpp-bot}
stringData: {DATABASE_URL: postgres://x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: wpp-bot}
data: {LOG_LEVEL: info}
`;

const AS_VIEWER = ['--as', 'system:serviceaccount:wpp-bot:dashboard-viewer'];

interface Claims {
  sub: string;
  exp: number;
  iat: number;
  aud: string[];
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid: string } };
}

function claimsOf(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Claims;
}

async function canI(cluster: SimCluster, args: string[]): Promise<string> {
  const result = await cluster.kubectl(['auth', 'can-i', ...args]);
  // kubectl answers yes (exit 0) or no (exit 1) on stdout.
  assert.equal(
    result.code,
    result.stdout.startsWith('yes') ? 0 : 1,
    `${args.join(' ')}: ${result.stdout}${result.stderr}`,
  );
  return result.stdout.trim();
}

/** A kubeconfig (0600) whose user is the token, over HTTPS (clients send credentials only over TLS). */
async function tokenKubeconfig(cluster: SimCluster, token: string): Promise<string> {
  const file = path.join(cluster.sandbox.dir, 'viewer.kubeconfig');
  await cluster.sim.writeTokenKubeconfig(file, token, { namespace: 'wpp-bot' });
  return file;
}

describe('ServiceAccount tokens and RBAC with the real kubectl', { concurrency: 4 }, () => {
  test('kubectl create token issues a signed JWT for the ServiceAccount with the requested duration', async () => {
    await withKubeSim(async (cluster) => {
      const { kubectl, kubectlOk, sim } = cluster;
      await kubectlOk(['apply', '-f', '-'], { input: VIEWER });
      const token = (
        await kubectlOk(['create', 'token', 'dashboard-viewer', '-n', 'wpp-bot', '--duration', '1h'])
      ).trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'header.payload.signature');
      const claims = claimsOf(token);
      const account = sim.get('v1', 'ServiceAccount', 'wpp-bot', 'dashboard-viewer');
      assert.equal(claims.sub, 'system:serviceaccount:wpp-bot:dashboard-viewer');
      assert.deepEqual(claims['kubernetes.io'], {
        namespace: 'wpp-bot',
        serviceaccount: { name: 'dashboard-viewer', uid: account?.metadata.uid },
      });
      assert.equal(claims.exp - claims.iat, 3600);
      const [header, payload, signature] = token.split('.');
      assert.ok(
        verify(
          'RSA-SHA256',
          Buffer.from(`${header}.${payload}`),
          createPublicKey(sim.tokenPublicKey()),
          Buffer.from(signature ?? '', 'base64url'),
        ),
        'the signature verifies',
      );
      assert.deepEqual(
        sim.issuedTokens.map((t) => [t.namespace, t.serviceAccount, t.token, t.expirationSeconds]),
        [['wpp-bot', 'dashboard-viewer', token, 3600]],
      );

      const missing = await kubectl(['create', 'token', 'nobody', '-n', 'wpp-bot']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
      const tooShort = await kubectl(['create', 'token', 'dashboard-viewer', '-n', 'wpp-bot', '--duration', '5m']);
      assert.equal(tooShort.code, 1);
      assert.match(
        tooShort.stderr,
        /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/,
      );
      assert.equal(sim.issuedTokens.length, 1, 'refused requests issue nothing');
    });
  });

  test('the server may shorten the duration, and says so in the TokenRequest status', async () => {
    await withKubeSim(
      async ({ kubectlOk }) => {
        await kubectlOk(['apply', '-f', '-'], { input: VIEWER });
        const request = JSON.parse(
          await kubectlOk(['create', 'token', 'dashboard-viewer', '-n', 'wpp-bot', '--duration', '2h', '-o', 'json']),
        ) as { spec: { expirationSeconds: number }; status: { token: string; expirationTimestamp: string } };
        assert.equal(request.spec.expirationSeconds, 1800);
        const claims = claimsOf(request.status.token);
        assert.equal(claims.exp - claims.iat, 1800);
        assert.equal(new Date(request.status.expirationTimestamp).getTime() / 1000, claims.exp);
      },
      { maxTokenExpirationSeconds: 1800 },
    );
  });

  test('kubectl auth can-i --as the ServiceAccount: view in its namespace only, no Secrets, no exec, no RBAC objects', async () => {
    await withKubeSim(async (cluster) => {
      await cluster.kubectlOk(['apply', '-f', '-'], { input: VIEWER });
      const asked: Array<[string, string]> = [];
      for (const question of [
        'list pods',
        'get deployments.apps',
        'watch jobs.batch',
        'get pods/log',
        'list configmaps',
        'list secrets',
        'get secrets/app-env',
        'create pods/exec',
        'create pods/portforward',
        'list rolebindings.rbac.authorization.k8s.io',
        'delete pods',
        'create deployments.apps',
      ]) {
        asked.push([question, await canI(cluster, [...question.split(' '), '-n', 'wpp-bot', ...AS_VIEWER])]);
      }
      assert.deepEqual(asked, [
        ['list pods', 'yes'],
        ['get deployments.apps', 'yes'],
        ['watch jobs.batch', 'yes'],
        ['get pods/log', 'yes'],
        ['list configmaps', 'yes'],
        ['list secrets', 'no'],
        ['get secrets/app-env', 'no'],
        ['create pods/exec', 'no'],
        ['create pods/portforward', 'no'],
        ['list rolebindings.rbac.authorization.k8s.io', 'no'],
        ['delete pods', 'no'],
        ['create deployments.apps', 'no'],
      ]);
      assert.equal(await canI(cluster, ['list', 'pods', '-n', 'default', ...AS_VIEWER]), 'no', 'another namespace');
      assert.equal(await canI(cluster, ['list', 'pods', '--all-namespaces', ...AS_VIEWER]), 'no', 'cluster-wide');
      assert.equal(await canI(cluster, ['list', 'secrets', '-n', 'wpp-bot']), 'yes', 'the admin may');

      const listed = await cluster.kubectlOk(['auth', 'can-i', '--list', '-n', 'wpp-bot', ...AS_VIEWER]);
      assert.match(listed, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
      assert.doesNotMatch(listed, /^secrets\s/m);

      // The same account bound to edit may read Secrets and exec: the aggregated roles differ as on a cluster.
      await cluster.kubectlOk([
        'create',
        'rolebinding',
        'dashboard-editor',
        '-n',
        'wpp-bot',
        '--clusterrole',
        'edit',
        '--serviceaccount',
        'wpp-bot:dashboard-viewer',
      ]);
      assert.equal(await canI(cluster, ['list', 'secrets', '-n', 'wpp-bot', ...AS_VIEWER]), 'yes');
      assert.equal(await canI(cluster, ['create', 'pods/exec', '-n', 'wpp-bot', ...AS_VIEWER]), 'yes');
      assert.equal(
        await canI(cluster, ['create', 'rolebindings.rbac.authorization.k8s.io', '-n', 'wpp-bot', ...AS_VIEWER]),
        'no',
        'edit has no RBAC objects',
      );
    });
  });

  test('the built-in view role is aggregated and follows new aggregate-to-view roles', async () => {
    await withKubeSim(async ({ kubectlJson, kubectlOk, sim }) => {
      const view = await kubectlJson<{ rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }>([
        'get',
        'clusterrole',
        'view',
      ]);
      const resources = view.rules.flatMap((r) => r.resources);
      assert.ok(resources.includes('pods') && resources.includes('configmaps') && resources.includes('deployments'));
      assert.ok(
        !resources.includes('secrets') && !resources.includes('pods/exec') && !resources.includes('rolebindings'),
      );
      await kubectlOk(['apply', '-f', '-'], {
        input:
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: traefik-view\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}\nrules:\n- {apiGroups: [traefik.io], resources: [ingressroutes], verbs: [get, list, watch]}\n',
      });
      await sim.waitFor(
        () =>
          JSON.stringify(sim.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, 'view')).includes(
            'ingressroutes',
          ),
        { description: 'view aggregates traefik-view' },
      );
      const edit = sim.get<{ rules: Array<{ resources: string[] }> }>(
        'rbac.authorization.k8s.io/v1',
        'ClusterRole',
        undefined,
        'edit',
      );
      assert.ok(
        edit?.rules.some((r) => r.resources.includes('ingressroutes')),
        'edit includes view',
      );
    });
  });

  test('a token as credentials gets what its binding grants and a 403 for the rest; a deleted account ends it', async () => {
    await withKubeSim(async (cluster) => {
      const { kubectl, kubectlOk } = cluster;
      await kubectlOk(['apply', '-f', '-'], { input: VIEWER });
      const token = (await kubectlOk(['create', 'token', 'dashboard-viewer', '-n', 'wpp-bot'])).trim();
      const kubeconfig = await tokenKubeconfig(cluster, token);
      const asViewer = (args: string[]) => kubectl(['--kubeconfig', kubeconfig, ...args]);
      const configMaps = await asViewer(['get', 'configmaps', '-o', 'name']);
      assert.equal(configMaps.code, 0, configMaps.stderr);
      assert.match(configMaps.stdout, /configmap\/app-config/);
      const secrets = await asViewer(['get', 'secrets']);
      assert.equal(secrets.code, 1);
      assert.match(
        secrets.stderr,
        /secrets is forbidden: User "system:serviceaccount:wpp-bot:dashboard-viewer" cannot list resource "secrets" in API group "" in the namespace "wpp-bot"/,
      );
      const secret = await asViewer(['get', 'secret', 'app-env']);
      assert.match(
        secret.stderr,
        /secrets "app-env" is forbidden: User "system:serviceaccount:wpp-bot:dashboard-viewer" cannot get resource "secrets"/,
      );
      const elsewhere = await asViewer(['get', 'pods', '-n', 'kube-system']);
      assert.match(elsewhere.stderr, /pods is forbidden: .* in the namespace "kube-system"/);
      const whoami = await asViewer(['auth', 'whoami', '-o', 'json']);
      assert.equal(
        (JSON.parse(whoami.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username,
        'system:serviceaccount:wpp-bot:dashboard-viewer',
      );

      await kubectlOk(['delete', 'serviceaccount', 'dashboard-viewer', '-n', 'wpp-bot']);
      const after = await asViewer(['get', 'configmaps']);
      assert.equal(after.code, 1);
      assert.match(after.stderr, /You must be logged in to the server \(Unauthorized\)/);
    });
  });
});

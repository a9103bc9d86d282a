/**
 * Proof that the real kubectl 1.34.5 works against kube-sim for what deckhand's pipelines run: apply (client-side
 * three-way and server-side), get with selectors, diff, describe, rollout restart/status, delete and wait.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';

interface Item {
  kind?: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface List {
  items: Item[];
}

const PLATFORM_MANIFESTS = `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: web
---
apiVersion: v1
kind: Secret
metadata: {name: shop-env, namespace: shop}
stringData:
  DATABASE_URL: postgres://db/shop
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: deployer, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer-reads, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: shop-node-reader}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: shop-node-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: shop-node-reader}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config, namespace: shop}
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Service
metadata: {name: shop, namespace: shop}
spec:
  selector: {app: shop}
  ports:
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: shop, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: shop-ingress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: shop}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: shop}}
  template:
    metadata: {labels: {app: shop}}
    spec:
      containers:
      - name: shop
        image: ghcr.io/example/shop:1.0.0
        envFrom:
        - secretRef: {name: shop-env}
        - configMapRef: {name: shop-config}
---
apiVersion: v1
kind: Pod
metadata: {name: toolbox, namespace: shop, labels: {role: tools}}
spec:
  containers:
  - {name: sh, image: busybox:1.36, command: [sleep, infinity]}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: shop-fast}
provisioner: linodebs.csi.linode.com
reclaimPolicy: Retain
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: shop-archive}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  csi: {driver: linodebs.csi.linode.com, volumeHandle: 123-archive}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: shop-data, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: shop-fast
  resources: {requests: {storage: 10Gi}}
`;

describe('kubectl against kube-sim', { concurrency: 4 }, () => {
  test('apply creates every kind the pipelines use, then re-applies client-side and server-side', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson, sim }) => {
      const created = await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      assert.equal(
        created
          .trim()
          .split('\n')
          .filter((l) => l.endsWith(' created')).length,
        16,
        created,
      );
      await kubectlOk(['wait', '--for=condition=Available', 'deployment/shop', '-n', 'shop', '--timeout=10s']);

      const again = await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      assert.match(again, /configmap\/shop-config unchanged/);
      assert.match(again, /deployment\.apps\/shop unchanged/);

      const changed = PLATFORM_MANIFESTS.replace('LOG_LEVEL: info', 'LOG_LEVEL: debug').replace(
        'replicas: 2',
        'replicas: 3',
      );
      const serverSide = await kubectlOk(
        ['apply', '--server-side', '--field-manager=deckhand', '--force-conflicts', '-f', '-'],
        { input: changed },
      );
      assert.match(serverSide, /configmap\/shop-config serverside-applied/);
      assert.ok(
        sim.requests.some(
          (r) => r.contentType === 'application/apply-patch+yaml' && r.path.includes('fieldManager=deckhand'),
        ),
      );

      const ns = await kubectlJson<Item>(['get', 'namespace', 'shop']);
      assert.deepEqual(ns.metadata.labels, { team: 'web', 'kubernetes.io/metadata.name': 'shop' });
      const secret = await kubectlJson<Item>(['get', 'secret', 'shop-env', '-n', 'shop']);
      assert.equal(Buffer.from(secret.data?.['DATABASE_URL'] ?? '', 'base64').toString(), 'postgres://db/shop');
      const config = await kubectlJson<Item>(['get', 'configmap', 'shop-config', '-n', 'shop']);
      assert.equal(config.data?.['LOG_LEVEL'], 'debug');
      await kubectlOk(['rollout', 'status', 'deployment/shop', '-n', 'shop', '--timeout=10s']);
      const deployment = await kubectlJson<Item>(['get', 'deployment', 'shop', '-n', 'shop']);
      assert.deepEqual([deployment.spec?.['replicas'], deployment.status?.['readyReplicas']], [3, 3]);
      const service = await kubectlJson<Item>(['get', 'service', 'shop', '-n', 'shop']);
      assert.match(String(service.spec?.['clusterIP']), /^10\.128\.\d+\.\d+$/);
      const pv = await kubectlJson<Item>(['get', 'pv', 'shop-archive']);
      assert.equal(pv.status?.['phase'], 'Available');
      const pvc = await kubectlJson<Item>(['get', 'pvc', 'shop-data', '-n', 'shop']);
      assert.equal(pvc.status?.['phase'], 'Bound');
    });
  });

  test('get filters by label selector and field selector, including events by involved object', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson }) => {
      await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/toolbox', '-n', 'shop', '--timeout=10s']);
      const tools = await kubectlJson<List>(['get', 'pods', '-n', 'shop', '-l', 'role=tools']);
      assert.deepEqual(
        tools.items.map((p) => p.metadata.name),
        ['toolbox'],
      );
      const notTools = await kubectlJson<List>(['get', 'pods', '-n', 'shop', '-l', 'role!=tools,app in (shop)']);
      assert.ok(notTools.items.length === 2 && notTools.items.every((p) => p.metadata.labels?.['app'] === 'shop'));
      const byName = await kubectlJson<List>([
        'get',
        'pods',
        '-A',
        '--field-selector',
        'metadata.name=toolbox,status.phase=Running',
      ]);
      assert.deepEqual(
        byName.items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
        ['shop/toolbox'],
      );
      const events = await kubectlJson<{ items: Array<{ reason: string; involvedObject: { name: string } }> }>([
        'get',
        'events',
        '-n',
        'shop',
        '--field-selector',
        'involvedObject.name=toolbox',
      ]);
      assert.ok(events.items.length > 0 && events.items.every((e) => e.involvedObject.name === 'toolbox'));
      assert.ok(events.items.some((e) => e.reason === 'Scheduled') && events.items.some((e) => e.reason === 'Started'));
      const described = await kubectlOk(['describe', 'pod', 'toolbox', '-n', 'shop']);
      assert.match(described, /Status:\s+Running/);
      assert.match(described, /Successfully assigned shop\/toolbox to lke/);
    });
  });

  test('typed create commands and auth checks, whose bodies kubectl sends as protobuf, work', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson }) => {
      await kubectlOk(['create', 'namespace', 'tools']);
      await kubectlOk(['create', 'serviceaccount', 'ci', '-n', 'tools']);
      await kubectlOk(['create', 'configmap', 'settings', '-n', 'tools', '--from-literal=mode=fast']);
      await kubectlOk([
        'create',
        'secret',
        'docker-registry',
        'ghcr',
        '-n',
        'tools',
        '--docker-server=ghcr.io',
        '--docker-username=bot',
        '--docker-password=s3cret',
      ]);
      const pull = await kubectlJson<Item & { type: string }>(['get', 'secret', 'ghcr', '-n', 'tools']);
      assert.equal(pull.type, 'kubernetes.io/dockerconfigjson');
      const dockerConfig = JSON.parse(Buffer.from(pull.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as {
        auths: Record<string, { username: string }>;
      };
      assert.equal(dockerConfig.auths['ghcr.io']?.username, 'bot');
      const settings = await kubectlJson<Item>(['get', 'configmap', 'settings', '-n', 'tools']);
      assert.deepEqual(settings.data, { mode: 'fast' });
      assert.equal((await kubectlOk(['auth', 'can-i', 'create', 'pods', '-n', 'tools'])).trim(), 'yes');
      assert.match(await kubectlOk(['auth', 'whoami']), /kube-sim-admin/);
    });
  });

  test('diff exits 1 with the change and 0 when the cluster already matches', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk, sim }) => {
      await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      const same = await kubectl(['diff', '-f', '-'], { input: PLATFORM_MANIFESTS });
      assert.equal(same.code, 0, same.stderr + same.stdout);
      const different = await kubectl(['diff', '-f', '-'], {
        input: PLATFORM_MANIFESTS.replace('LOG_LEVEL: info', 'LOG_LEVEL: trace'),
      });
      assert.equal(different.code, 1, different.stderr);
      assert.match(different.stdout, /-\s+LOG_LEVEL: info\n\+\s+LOG_LEVEL: trace/);
      assert.equal(
        (sim.get('v1', 'ConfigMap', 'shop', 'shop-config')?.['data'] as Record<string, string>)['LOG_LEVEL'],
        'info',
        'diff is a dry run',
      );
    });
  });

  test('rollout restart rolls a Deployment onto a new ReplicaSet and rollout status waits for it', async () => {
    await withKubeSim(async ({ kubectlOk, kubectlJson }) => {
      await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      await kubectlOk(['rollout', 'status', 'deployment/shop', '-n', 'shop', '--timeout=10s']);
      const restarted = await kubectlOk(['rollout', 'restart', 'deployment/shop', '-n', 'shop']);
      assert.match(restarted, /deployment\.apps\/shop restarted/);
      const status = await kubectlOk(['rollout', 'status', 'deployment/shop', '-n', 'shop', '--timeout=10s']);
      assert.match(status, /successfully rolled out/);
      const deployment = await kubectlJson<Item>(['get', 'deployment', 'shop', '-n', 'shop']);
      assert.equal(deployment.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
      assert.equal(deployment.status?.['observedGeneration'], 2);
      const sets = await kubectlJson<List>(['get', 'replicasets', '-n', 'shop', '-l', 'app=shop']);
      const replicas = sets.items
        .map((rs) => [rs.metadata.annotations?.['deployment.kubernetes.io/revision'], rs.spec?.['replicas']])
        .sort();
      assert.deepEqual(replicas, [
        ['1', 0],
        ['2', 2],
      ]);
      const pods = await kubectlJson<List>([
        'get',
        'pods',
        '-n',
        'shop',
        '-l',
        'app=shop',
        '--field-selector',
        'status.phase=Running',
      ]);
      assert.equal(pods.items.length, 2);
    });
  });

  test('a Deployment whose pods miss their Secret never becomes available and rollout status fails at the deadline', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk, kubectlJson }) => {
      const manifest = PLATFORM_MANIFESTS.replace('replicas: 2', 'replicas: 1\n  progressDeadlineSeconds: 1').replace(
        'secretRef: {name: shop-env}',
        'secretRef: {name: shop-env-missing}',
      );
      await kubectlOk(['apply', '-f', '-'], { input: manifest });
      const status = await kubectl(['rollout', 'status', 'deployment/shop', '-n', 'shop', '--timeout=10s']);
      assert.equal(status.code, 1);
      assert.match(status.stderr, /deployment "shop" exceeded its progress deadline/);
      const pods = await kubectlJson<List>(['get', 'pods', '-n', 'shop', '-l', 'app=shop']);
      const waiting = (
        pods.items[0]?.status?.['containerStatuses'] as Array<{
          state: { waiting?: { reason: string; message: string } };
        }>
      )[0]?.state.waiting;
      assert.deepEqual(waiting, {
        reason: 'CreateContainerConfigError',
        message: 'secret "shop-env-missing" not found',
      });
    });
  });

  test('delete waits for objects to go, wait --for=delete agrees, and --ignore-not-found tolerates missing ones', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk, sim }) => {
      await kubectlOk(['apply', '-f', '-'], { input: PLATFORM_MANIFESTS });
      await kubectlOk(['wait', '--for=condition=Ready', 'pod/toolbox', '-n', 'shop', '--timeout=10s']);
      const waiter = kubectl(['wait', '--for=delete', 'pod/toolbox', '-n', 'shop', '--timeout=10s']);
      await kubectlOk(['delete', 'pod', 'toolbox', '-n', 'shop', '--wait']);
      assert.equal((await waiter).code, 0);
      assert.equal(sim.get('v1', 'Pod', 'shop', 'toolbox'), undefined);
      const missing = await kubectl(['delete', 'secret', 'nope', '-n', 'shop']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /secrets "nope" not found/);
      await kubectlOk(['delete', 'secret', 'nope', '-n', 'shop', '--ignore-not-found']);

      await kubectlOk(['delete', 'namespace', 'shop', '--wait', '--timeout=20s']);
      assert.equal(sim.get('v1', 'Namespace', undefined, 'shop'), undefined);
      assert.deepEqual(sim.list('apps/v1', 'Deployment', 'shop'), [], 'namespace deletion cascades to its contents');
      assert.deepEqual(sim.list('v1', 'Pod', 'shop'), []);
    });
  });
});

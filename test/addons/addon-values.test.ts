/**
 * The values files in k8s/addons, checked against the keys the real charts document. The charts cannot be fetched
 * here, so the keys were read in their sources and are written down below with where; every key the files set must
 * be one of them (or inside a value the chart passes through whole, such as a securityContext), and every key written
 * down must be used, so the list stays the truth about the files. Then what the values mean: HTTP→HTTPS, one
 * replica, acme.json 0600 on a volume, restricted security contexts, NodeBalancer annotations as strings, and no
 * cluster-admin for Headlamp.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_HELPER_IMAGE } from '../../scripts/lib/config.ts';
import { HEADLAMP } from '../../scripts/steps/cluster/dashboard.ts';
import { ACME_STORAGE, TRAEFIK } from '../../scripts/steps/cluster/ingress-plan.ts';
import { REPO_ROOT } from '../support/cli.ts';

/**
 * traefik/traefik-helm-chart at commit a8a66d0 ("publish 41.3.0", 2026-08-21): traefik/values.yaml, values.schema.json,
 * EXAMPLES.md and templates/. A key ending in `*` takes a whole Kubernetes or Traefik object (the chart copies it).
 */
const TRAEFIK_KEYS: Record<string, string> = {
  'deployment.replicas': 'values.yaml `deployment.replicas` (default 1); templates/deployment.yaml',
  'deployment.initContainers*':
    'values.yaml `deployment.initContainers`; EXAMPLES.md "volume-permissions" for acme.json (#396)',
  'updateStrategy.type': 'values.yaml `updateStrategy.type`; the schema allows only type and rollingUpdate',
  'ports.web.http.redirections.entryPoint.to': 'EXAMPLES.md "Redirect permanently traffic from http to https"',
  'ports.web.http.redirections.entryPoint.scheme': 'same',
  'ports.web.http.redirections.entryPoint.permanent': 'same',
  'ports.websecure.http.tls.enabled': 'values.yaml `ports.websecure.http.tls.enabled` (default true)',
  'certificatesResolvers.letsencrypt.acme.httpChallenge.entryPoint':
    "values.yaml `certificatesResolvers: {}` rendered as --certificatesresolvers.* (templates/_podtemplate.tpl); the keys are Traefik's: doc.traefik.io/reference/install-configuration/tls/certificate-resolvers/acme",
  'persistence.enabled': 'values.yaml `persistence.enabled` (to store acme.json)',
  'persistence.size': 'values.yaml `persistence.size`',
  'persistence.accessMode': 'values.yaml `persistence.accessMode`',
  'podSecurityContext*':
    'values.yaml `podSecurityContext`; EXAMPLES.md adds fsGroup 65532 + fsGroupChangePolicy OnRootMismatch',
  'securityContext*': 'values.yaml `securityContext`',
  'resources*': 'values.yaml `resources`',
  'ingressClass.enabled': 'values.yaml `ingressClass.enabled`; the schema has additionalProperties: false here',
  'ingressClass.name': 'values.yaml `ingressClass.name`',
  'providers.kubernetesIngress.publishedService.enabled':
    'values.yaml `providers.kubernetesIngress.publishedService.enabled`',
  'service.spec.type':
    'values.yaml `service.spec.type` (an old-style `service.type` is ignored: templates/_service.tpl)',
  'service.annotations*': 'values.yaml `service.annotations` (cloud provider settings)',
};

/** What deckhand sets on the command line, also Traefik's ACME keys (same sources). */
const TRAEFIK_SET_KEYS = ['email', 'caServer', 'storage'].map((key) => `certificatesResolvers.letsencrypt.acme.${key}`);

/** kubernetes-sigs/headlamp at commit 6d2b42c (tag v0.45.0): charts/headlamp/values.yaml and values.schema.json. */
const HEADLAMP_KEYS: Record<string, string> = {
  'clusterRoleBinding.create':
    'values.yaml `clusterRoleBinding.create` (default true, with clusterRoleName cluster-admin)',
  'serviceAccount.create': 'values.yaml `serviceAccount.create`',
  replicaCount: 'values.yaml `replicaCount`',
  'podSecurityContext*': 'values.yaml `podSecurityContext`',
  'securityContext*': 'values.yaml `securityContext` (readOnlyRootFilesystem adds an emptyDir at /tmp)',
  'resources*': 'values.yaml `resources`',
  'service.type': 'values.yaml `service.type`',
  'service.port': 'values.yaml `service.port`',
};

/** Every leaf of a values tree, as dotted paths. */
function leaves(value: unknown, prefix = ''): string[] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key));
  }
  return [prefix];
}

/** The leaves no documented key covers, and the documented keys no leaf uses. */
function checkKeys(values: unknown, documented: Record<string, string>): { undocumented: string[]; unused: string[] } {
  const keys = Object.keys(documented);
  const covers = (key: string, leaf: string) =>
    key.endsWith('*') ? leaf === key.slice(0, -1) || leaf.startsWith(`${key.slice(0, -1)}.`) : leaf === key;
  const found = leaves(values);
  return {
    undocumented: found.filter((leaf) => !keys.some((key) => covers(key, leaf))),
    unused: keys.filter((key) => !found.some((leaf) => covers(key, leaf))),
  };
}

function readValues(file: string): Record<string, any> {
  return parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as Record<string, any>;
}

function assertRestricted(context: Record<string, any>, what: string): void {
  assert.equal(context['allowPrivilegeEscalation'], false, `${what}: no privilege escalation`);
  assert.deepEqual(context['capabilities'], { drop: ['ALL'] }, `${what}: no capabilities`);
  assert.equal(context['readOnlyRootFilesystem'], true, `${what}: read-only root`);
}

describe('k8s/addons/traefik/values.yaml', () => {
  const values = readValues(TRAEFIK.valuesFile);

  it("uses only keys Traefik's chart 41.3.0 documents, and the list uses every key it names", () => {
    assert.deepEqual(checkKeys(values, TRAEFIK_KEYS), { undocumented: [], unused: [] });
  });

  it('the check catches what the chart would ignore or refuse (it can fail)', () => {
    const wrong = { ...values, service: { type: 'LoadBalancer' }, logs: { general: { level: 'INFO' } } };
    assert.deepEqual(checkKeys(wrong, TRAEFIK_KEYS).undocumented, ['service.type', 'logs.general.level']);
  });

  it('redirects HTTP to HTTPS permanently, serves TLS on websecure, and solves ACME on web', () => {
    assert.deepEqual(values['ports'].web.http.redirections.entryPoint, {
      to: 'websecure',
      scheme: 'https',
      permanent: true,
    });
    assert.equal(values['ports'].websecure.http.tls.enabled, true);
    assert.deepEqual(values['certificatesResolvers'][TRAEFIK.resolver].acme, { httpChallenge: { entryPoint: 'web' } });
    for (const key of TRAEFIK_SET_KEYS) assert.ok(key.startsWith(`certificatesResolvers.${TRAEFIK.resolver}.acme.`));
  });

  it('keeps acme.json on a ReadWriteOnce volume, 0600 for Traefik’s user, with one replica and Recreate', () => {
    assert.equal(values['deployment'].replicas, 1);
    assert.equal(values['updateStrategy'].type, 'Recreate');
    assert.deepEqual(values['persistence'], { enabled: true, size: '10Gi', accessMode: 'ReadWriteOnce' });
    const init = values['deployment'].initContainers[0];
    assert.equal(init.image, DEFAULT_HELPER_IMAGE, 'the pinned busybox deckhand uses elsewhere');
    const script = init.command.join(' ');
    for (const file of Object.values(ACME_STORAGE)) {
      assert.ok(script.includes(`touch`) && script.includes(file), `${file} is created`);
      assert.match(script, new RegExp(`chmod 600 [^&]*${file.replace(/\./g, '\\.')}`), `${file} is 0600`);
    }
    assert.deepEqual(init.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
    assert.equal(
      init.securityContext.runAsUser,
      values['podSecurityContext'].runAsUser,
      'the file belongs to the user Traefik runs as',
    );
    assert.equal(values['podSecurityContext'].fsGroup, 65532);
    assert.equal(values['podSecurityContext'].fsGroupChangePolicy, 'OnRootMismatch');
  });

  it('runs restricted: non-root, runtime seccomp, no escalation, no capabilities, read-only root, resources set', () => {
    const pod = values['podSecurityContext'];
    assert.deepEqual([pod.runAsNonRoot, pod.seccompProfile], [true, { type: 'RuntimeDefault' }]);
    assertRestricted(values['securityContext'], 'traefik');
    const init = values['deployment'].initContainers[0].securityContext;
    assertRestricted(init, 'volume-permissions');
    assert.deepEqual([init.runAsNonRoot, init.seccompProfile], [true, { type: 'RuntimeDefault' }]);
    assert.ok(
      values['resources'].requests.cpu && values['resources'].requests.memory && values['resources'].limits.memory,
    );
  });

  it('makes a NodeBalancer with Linode annotations whose values are strings', () => {
    assert.equal(values['service'].spec.type, 'LoadBalancer');
    const annotations = Object.entries(values['service'].annotations as Record<string, unknown>);
    assert.ok(annotations.length >= 2);
    for (const [key, value] of annotations) {
      assert.match(key, /^service\.beta\.kubernetes\.io\/linode-loadbalancer-[a-z0-9-]+$/);
      assert.equal(typeof value, 'string', `${key} must be a string`);
    }
    assert.equal(
      values['service'].annotations['service.beta.kubernetes.io/linode-loadbalancer-default-protocol'],
      'tcp',
    );
    assert.equal(values['ingressClass'].name, 'traefik', 'the class k8s/wpp-bot/60-ingress.yaml names');
  });
});

describe('k8s/addons/headlamp/values.yaml', () => {
  const values = readValues(HEADLAMP.valuesFile);

  it('uses only keys Headlamp’s chart 0.45.0 documents, and the list uses every key it names', () => {
    assert.deepEqual(checkKeys(values, HEADLAMP_KEYS), { undocumented: [], unused: [] });
  });

  it('turns the cluster-admin binding off, stays inside the cluster, and runs restricted', () => {
    assert.equal(values['clusterRoleBinding'].create, false);
    assert.deepEqual(values['service'], { type: 'ClusterIP', port: HEADLAMP.servicePort });
    assertRestricted(values['securityContext'], 'headlamp');
    assert.deepEqual(values['podSecurityContext'].seccompProfile, { type: 'RuntimeDefault' });
    assert.equal(values['podSecurityContext'].runAsNonRoot, true);
  });
});

/**
 * Proof that CustomResourceDefinitions work in kube-sim as in a cluster, with the real kubectl 1.34.5 and helm
 * 4.1.4: CRDs applied server-side (as Traefik's chart README does) become Established, discovery serves their group,
 * custom resources are applied, listed, patched and deleted by kubectl, a chart with `crds/` and a custom resource
 * installs, upgrades and uninstalls, and deleting a CRD deletes its resources.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { withKubeSim } from '../support/kube-sim-harness.ts';

function crd(kind: string, plural: string, shortNames: string[] = []): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.traefik.io}
spec:
  group: traefik.io
  names: {kind: ${kind}, listKind: ${kind}List, plural: ${plural}, singular: ${kind.toLowerCase()}, shortNames: ${JSON.stringify(shortNames)}}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;
}

const CRDS = [
  crd('IngressRoute', 'ingressroutes'),
  crd('Middleware', 'middlewares'),
  crd('TLSOption', 'tlsoptions'),
].join('---\n');

const ROUTE = `apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata: {name: api, namespace: default}
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(\`api.example.com\`)
    kind: Rule
    services: [{name: wpp-bot, port: 80}]
`;

describe('CustomResourceDefinitions in kube-sim with the real kubectl and helm', { concurrency: 3 }, () => {
  test('CRDs applied server-side are Established and their resources work with kubectl', async () => {
    await withKubeSim(async ({ kubectl, kubectlJson, kubectlOk, sim }) => {
      await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: CRDS });
      await kubectlOk([
        'wait',
        '--for=condition=Established',
        'crd/ingressroutes.traefik.io',
        'crd/middlewares.traefik.io',
        'crd/tlsoptions.traefik.io',
        '--timeout=10s',
      ]);
      const status = (
        await kubectlJson<{ status: { acceptedNames: { kind: string; listKind: string }; storedVersions: string[] } }>([
          'get',
          'crd',
          'ingressroutes.traefik.io',
        ])
      ).status;
      assert.deepEqual(
        [status.acceptedNames.kind, status.acceptedNames.listKind, status.storedVersions],
        ['IngressRoute', 'IngressRouteList', ['v1alpha1']],
      );
      const resources = await kubectlOk(['api-resources', '--api-group=traefik.io', '-o', 'name']);
      assert.deepEqual(resources.trim().split('\n').sort(), [
        'ingressroutes.traefik.io',
        'middlewares.traefik.io',
        'tlsoptions.traefik.io',
      ]);

      await kubectlOk(['apply', '-f', '-'], { input: ROUTE });
      await kubectlOk(['apply', '-f', '-'], { input: ROUTE.replace('port: 80', 'port: 8080') });
      await kubectlOk(['apply', '--server-side', '-f', '-'], {
        input:
          'apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata: {name: redirect, namespace: default}\nspec:\n  redirectScheme: {scheme: https, permanent: true}\n',
      });
      const routes = await kubectlJson<{
        items: Array<{
          metadata: { name: string; generation: number };
          spec: { routes: Array<{ services: Array<{ port: number }> }> };
        }>;
      }>(['get', 'ingressroutes']);
      assert.deepEqual(
        routes.items.map((r) => [r.metadata.name, r.spec.routes[0]?.services[0]?.port, r.metadata.generation]),
        [['api', 8080, 2]],
      );
      assert.equal(sim.get('traefik.io/v1alpha1', 'Middleware', 'default', 'redirect')?.['spec'] !== undefined, true);
      await kubectlOk(['label', 'middleware.traefik.io/redirect', 'tier=edge']);
      assert.equal(
        sim.get('traefik.io/v1alpha1', 'Middleware', 'default', 'redirect')?.metadata.labels?.['tier'],
        'edge',
      );
      await kubectlOk(['delete', 'ingressroute', 'api', '--wait']);
      assert.equal(sim.get('traefik.io/v1alpha1', 'IngressRoute', 'default', 'api'), undefined);

      // Deleting a CRD deletes its resources, and the kind leaves discovery.
      await kubectlOk(['delete', 'crd', 'middlewares.traefik.io', '--wait', '--timeout=10s']);
      const gone = await kubectl(['get', 'middlewares.traefik.io']);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /the server doesn't have a resource type "middlewares"/);
      await kubectlOk(['apply', '--server-side', '-f', '-'], { input: crd('Middleware', 'middlewares') });
      await kubectlOk(['wait', '--for=condition=Established', 'crd/middlewares.traefik.io', '--timeout=10s']);
      assert.equal(
        await kubectlOk(['get', 'middlewares.traefik.io', '-A', '-o', 'name']),
        '',
        'the old resources went with their CRD',
      );
    });
  });

  test('a chart with crds/ and a custom resource installs, upgrades and uninstalls with helm', async () => {
    await withKubeSim(async ({ helmOk, kubectlJson, sandbox, sim }) => {
      const chart = path.join(sandbox.dir, 'ingress');
      await mkdir(path.join(chart, 'crds'), { recursive: true });
      await mkdir(path.join(chart, 'templates'), { recursive: true });
      await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: ingress\nversion: 1.0.0\n');
      await writeFile(path.join(chart, 'values.yaml'), 'scheme: https\n');
      await writeFile(path.join(chart, 'crds', 'middlewares.yaml'), crd('Middleware', 'middlewares'));
      await writeFile(
        path.join(chart, 'templates', 'middleware.yaml'),
        'apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: redirect\nspec:\n  redirectScheme: {scheme: {{ .Values.scheme }}, permanent: true}\n',
      );
      await helmOk(['install', 'edge', chart, '-n', 'traefik', '--create-namespace', '--wait', '--timeout', '30s']);
      const installed = await kubectlJson<{
        spec: { redirectScheme: { scheme: string } };
        metadata: { labels: Record<string, string> };
      }>(['get', 'middleware', 'redirect', '-n', 'traefik']);
      assert.equal(installed.spec.redirectScheme.scheme, 'https');
      assert.equal(installed.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
      await helmOk(['upgrade', 'edge', chart, '-n', 'traefik', '--set', 'scheme=http', '--wait', '--timeout', '30s']);
      assert.equal(
        (
          sim.get('traefik.io/v1alpha1', 'Middleware', 'traefik', 'redirect')?.['spec'] as {
            redirectScheme: { scheme: string };
          }
        ).redirectScheme.scheme,
        'http',
      );
      await helmOk(['uninstall', 'edge', '-n', 'traefik', '--wait']);
      assert.equal(sim.get('traefik.io/v1alpha1', 'Middleware', 'traefik', 'redirect'), undefined);
      assert.ok(
        sim.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'middlewares.traefik.io'),
        'helm leaves CRDs in place',
      );
    });
  });
});

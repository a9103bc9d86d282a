/**
 * Schema validation in kube-sim, proven with the real kubectl 1.34.5 and helm 4.1.4: k8s/wpp-bot and the
 * kubernetes-job chart pass as they are; a typo'd field and a wrongly typed value are refused with the real API
 * server's messages by client-side apply (POST and strategic-merge patch), server-side apply and helm; `--validate`
 * (fieldValidation) Warn and Ignore let unknown fields through as warnings or silently, dropped from the object;
 * helm's client-side apply, which asks for no validation, gets the server's default: a warning.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO_ROOT } from '../support/binaries.ts';
import { withKubeSim } from '../support/kube-sim-harness.ts';
import { BASE_VALUES, CAELUNDAS_VALUES, CHART_DIR } from '../chart/helm.ts';

const WPP_BOT = path.join(REPO_ROOT, 'k8s', 'wpp-bot');

function deployment(options: { containerExtra?: string; replicas?: string } = {}): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: ${options.replicas ?? '1'}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ghcr.io/acme/web:1.0.0
${options.containerExtra ?? ''}`;
}

const TYPO = '        imagePullPolicyy: Always\n';

describe('schema validation against the real clients', { concurrency: 4 }, () => {
  test('k8s/wpp-bot applies cleanly client-side and server-side, and re-applies unchanged', async () => {
    await withKubeSim(async ({ sim, kubectl, kubectlOk }) => {
      const clientSide = await kubectl(['apply', '-f', WPP_BOT]);
      assert.equal(clientSide.code, 0, clientSide.stderr);
      assert.doesNotMatch(
        clientSide.stderr,
        /Warning|unknown field/,
        'no field of the manifests is unknown to the schema',
      );
      assert.equal(clientSide.stdout.trim().split('\n').length, 24, clientSide.stdout);
      const serverSide = await kubectl([
        'apply',
        '--server-side',
        '--field-manager=deckhand',
        '--force-conflicts',
        '-f',
        WPP_BOT,
      ]);
      assert.equal(serverSide.code, 0, serverSide.stderr);
      assert.doesNotMatch(serverSide.stderr, /Warning/);
      assert.ok(
        sim.requests.some((r) => r.path.includes('fieldValidation=Strict')),
        'kubectl asked for strict validation',
      );
      const unchanged = await kubectlOk(['apply', '-f', WPP_BOT]);
      assert.match(unchanged, /deployment\.apps\/wpp-bot unchanged/);
    });
  });

  test('the kubernetes-job chart installs with no warning, through server-side and client-side apply', async () => {
    await withKubeSim(async ({ sim, helm, kubectlOk }) => {
      sim.setJobBehavior({}, { outcome: 'succeed' });
      await kubectlOk(['create', 'namespace', 'caelundas']);
      const install = (release: string, extra: string[] = []) =>
        helm([
          'upgrade',
          '--install',
          release,
          CHART_DIR,
          '-n',
          'caelundas',
          '--values',
          BASE_VALUES,
          '--values',
          CAELUNDAS_VALUES,
          '--set-string',
          'image.repository=ghcr.io/example/caelundas',
          '--set-string',
          'image.tag=sha-1a2b3c4',
          ...extra,
        ]);
      for (const [release, extra] of [
        ['caelundas-ssa', []],
        ['caelundas-csa', ['--server-side=false']],
      ] as const) {
        const result = await install(release, [...extra]);
        assert.equal(result.code, 0, result.stderr);
        assert.doesNotMatch(result.stderr, /Warning|unknown field/, result.stderr);
      }
      assert.ok(sim.get('batch/v1', 'Job', 'caelundas', 'caelundas-csa'));
    });
  });

  test("a typo'd field is refused by client-side apply (create and patch) and server-side apply, in the real words", async () => {
    await withKubeSim(async ({ kubectl, kubectlOk }) => {
      const create = await kubectl(['apply', '-f', '-'], { input: deployment({ containerExtra: TYPO }) });
      assert.equal(create.code, 1);
      assert.equal(
        create.stderr,
        'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"\n',
      );

      await kubectlOk(['apply', '-f', '-'], { input: deployment() });
      const patch = await kubectl(['apply', '-f', '-'], {
        input: deployment({ containerExtra: `${TYPO}        portz: []\n` }),
      });
      assert.equal(patch.code, 1);
      assert.match(
        patch.stderr,
        /error when patching "STDIN": strict decoding error: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy", unknown field "spec\.template\.spec\.containers\[0\]\.portz"\n$/,
      );

      const serverSide = await kubectl(['apply', '--server-side', '-f', '-'], {
        input: deployment({ containerExtra: TYPO }),
      });
      assert.equal(serverSide.code, 1);
      assert.equal(
        serverSide.stderr,
        'Error from server: failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="web"].imagePullPolicyy: field not declared in schema\n',
      );
    });
  });

  test('a wrongly typed value is refused by client-side and server-side apply', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk }) => {
      const create = await kubectl(['apply', '-f', '-'], { input: deployment({ replicas: '"2"' }) });
      assert.equal(create.code, 1);
      assert.match(
        create.stderr,
        /Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32\n$/,
      );
      const port = await kubectl(['apply', '-f', '-'], {
        input: deployment({ containerExtra: '        ports: [{containerPort: "3000"}]\n' }),
      });
      assert.match(
        port.stderr,
        /json: cannot unmarshal string into Go struct field ContainerPort\.spec\.template\.spec\.containers\.ports\.containerPort of type int32\n$/,
      );

      const serverSide = await kubectl(['apply', '--server-side', '-f', '-'], {
        input: deployment({ replicas: '"2"' }),
      });
      assert.equal(serverSide.code, 1);
      assert.equal(
        serverSide.stderr,
        'Error from server: failed to create typed patch object (shop/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string\n',
      );

      await kubectlOk(['apply', '-f', '-'], { input: deployment() });
      const patched = await kubectl(['apply', '-f', '-'], { input: deployment({ replicas: '"2"' }) });
      assert.equal(patched.code, 1);
      assert.match(
        patched.stderr,
        /^The request is invalid: patch: Invalid value: "map\[.*replicas:2.*\]": unrecognized type: int32\n$/s,
      );
    });
  });

  test('missing required fields and unsupported values are 422 Invalid with the fields named', async () => {
    await withKubeSim(async ({ kubectl }) => {
      const noName = await kubectl(['apply', '-f', '-'], {
        input: deployment()
          .replace('      - name: web\n        image:', '      - image:')
          .replace(
            'image: ghcr.io/acme/web:1.0.0',
            'image: ghcr.io/acme/web:1.0.0\n        imagePullPolicy: Sometimes',
          ),
      });
      assert.equal(noName.code, 1);
      assert.match(
        noName.stderr,
        /The Deployment "web" is invalid: \n\* spec\.template\.spec\.containers\[0\]\.name: Required value\n\* spec\.template\.spec\.containers\[0\]\.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"\n$/,
      );
    });
  });

  test('--validate=warn lets an unknown field through as a warning, --validate=false silently; the field is dropped', async () => {
    await withKubeSim(async ({ sim, kubectl }) => {
      const warned = await kubectl(['apply', '--validate=warn', '-f', '-'], {
        input: deployment({ containerExtra: TYPO }),
      });
      assert.equal(warned.code, 0, warned.stderr);
      assert.match(
        warned.stderr,
        /^Warning: unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"$/m,
      );
      const stored = sim.get<{ spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }>(
        'apps/v1',
        'Deployment',
        'shop',
        'web',
      );
      assert.equal(stored?.spec.template.spec.containers[0]?.['imagePullPolicyy'], undefined);
      const ignored = await kubectl(['create', '--validate=false', '-f', '-'], {
        input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: quiet, namespace: shop}\ndatta: {a: b}\n',
      });
      assert.equal(ignored.code, 0, ignored.stderr);
      assert.equal(ignored.stderr, '');
      assert.equal(sim.get('v1', 'ConfigMap', 'shop', 'quiet')?.['datta'], undefined);
    });
  });

  test('every kind the project writes is checked: Secret, Pod, Event, ReplicaSet, Job, PVC and the wpp-bot kinds', async () => {
    await withKubeSim(async ({ kubectl, kubectlOk }) => {
      await kubectlOk(['create', 'namespace', 'kinds']);
      const cases: Array<[string, string, string]> = [
        [
          'Secret',
          'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kinds}\nstringdata: {a: b}\n',
          'stringdata',
        ],
        [
          'Pod',
          'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kinds}\nspec:\n  containers: [{name: c, image: busybox, comand: [sh]}]\n',
          'spec.containers[0].comand',
        ],
        [
          'Event',
          'apiVersion: v1\nkind: Event\nmetadata: {name: e, namespace: kinds}\ninvolvedObject: {kind: Pod, name: p, namespace: kinds}\nreason: Test\nmesage: hi\n',
          'mesage',
        ],
        [
          'ReplicaSet',
          'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: r, namespace: kinds}\nspec:\n  replica: 1\n  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: busybox}]}}\n',
          'spec.replica',
        ],
        [
          'Job',
          'apiVersion: batch/v1\nkind: Job\nmetadata: {name: j, namespace: kinds}\nspec:\n  backofLimit: 1\n  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}\n',
          'spec.backofLimit',
        ],
        [
          'PersistentVolumeClaim',
          'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c, namespace: kinds}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {request: {storage: 1Gi}}\n',
          'spec.resources.request',
        ],
        [
          'ServiceAccount',
          'apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: sa, namespace: kinds}\nautomountServiceAccountTokens: false\n',
          'automountServiceAccountTokens',
        ],
        [
          'Service',
          'apiVersion: v1\nkind: Service\nmetadata: {name: svc, namespace: kinds}\nspec:\n  ports: [{port: 80, targetport: 8080}]\n',
          'spec.ports[0].targetport',
        ],
        [
          'Ingress',
          'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: kinds}\nspec:\n  ingressClass: traefik\n',
          'spec.ingressClass',
        ],
        [
          'NetworkPolicy',
          'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: kinds}\nspec:\n  podSelector: {}\n  policyType: [Ingress]\n',
          'spec.policyType',
        ],
        [
          'Role',
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: kinds}\nrules: [{apiGroups: [""], resource: [pods], verbs: [get]}]\n',
          'rules[0].resource',
        ],
        [
          'RoleBinding',
          'apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: rb, namespace: kinds}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}\nsubject: []\n',
          'subject',
        ],
        [
          'ConfigMap',
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: kinds, label: {a: b}}\n',
          'metadata.label',
        ],
        ['Namespace', 'apiVersion: v1\nkind: Namespace\nmetadata: {name: typo}\nspecs: {}\n', 'specs'],
      ];
      for (const [kind, yaml, field] of cases) {
        const result = await kubectl(['create', '-f', '-'], { input: yaml });
        assert.equal(result.code, 1, `${kind} with an unknown field was accepted`);
        assert.match(
          result.stderr,
          new RegExp(
            `${kind} in version "v1" cannot be handled as a ${kind}: strict decoding error: unknown field "${field.replace(/[[\].]/g, '\\$&')}"`,
          ),
          kind,
        );
      }
    });
  });

  test("helm upgrade --install refuses a typo'd field server-side (client-side it only warns, as helm asks for no validation) and a wrongly typed value both ways", async () => {
    await withKubeSim(async ({ sim, sandbox, helm }) => {
      const chart = path.join(sandbox.dir, 'broken');
      await mkdir(path.join(chart, 'templates'), { recursive: true });
      await writeFile(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: broken\nversion: 0.1.0\n');
      await writeFile(path.join(chart, 'values.yaml'), 'replicas: 1\n');
      await writeFile(
        path.join(chart, 'templates', 'deployment.yaml'),
        deployment({
          replicas: '{{ .Values.replicas }}',
          containerExtra: '{{- if .Values.typo }}\n        imagePullPolicyy: Always\n{{- end }}\n',
        })
          .split('---\n')[1]
          ?.replace('namespace: shop', 'namespace: {{ .Release.Namespace }}') ?? '',
      );
      const install = (release: string, extra: string[]) =>
        helm(['upgrade', '--install', release, chart, '-n', 'shop', '--create-namespace', ...extra]);

      const typoSsa = await install('typo-ssa', ['--set', 'typo=true']);
      assert.equal(typoSsa.code, 1, typoSsa.stdout + typoSsa.stderr);
      assert.match(
        typoSsa.stderr,
        /failed to create typed patch object \(shop\/web; apps\/v1, Kind=Deployment\): \.spec\.template\.spec\.containers\[name="web"\]\.imagePullPolicyy: field not declared in schema/,
      );
      const typeSsa = await install('type-ssa', ['--set-string', 'replicas=two']);
      assert.equal(typeSsa.code, 1, typeSsa.stdout + typeSsa.stderr);
      assert.match(typeSsa.stderr, /\.spec\.replicas: expected numeric \(int or float\), got string/);

      // Client-side, helm sends no fieldValidation, so the server's default applies: a warning, the field dropped.
      const typoCsa = await install('typo-csa', ['--set', 'typo=true', '--server-side=false']);
      assert.equal(typoCsa.code, 0, typoCsa.stdout + typoCsa.stderr);
      assert.match(
        typoCsa.stderr,
        /Warning: unknown field \\"spec\.template\.spec\.containers\[0\]\.imagePullPolicyy\\"/,
      );
      await helm(['uninstall', 'typo-csa', '-n', 'shop']);
      assert.ok(
        sim.requests.some(
          (r) => r.method === 'POST' && r.path === '/apis/apps/v1/namespaces/shop/deployments?fieldManager=helm',
        ),
      );
      const typeCsa = await install('type-csa', ['--set-string', 'replicas=two', '--server-side=false']);
      assert.equal(typeCsa.code, 1, typeCsa.stdout + typeCsa.stderr);
      assert.match(
        typeCsa.stderr,
        /json: cannot unmarshal string into Go struct field DeploymentSpec\.spec\.replicas of type int32/,
      );
    });
  });
});

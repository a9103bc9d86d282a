/**
 * A stand-in for Headlamp's chart, which cannot be fetched here (no internet): the real chart's name and pinned
 * version, its defaults for the values deckhand sets — among them `clusterRoleBinding.create: true` with
 * cluster-admin, which the template renders as the real chart does, so turning it off is what the tests see — served
 * from a classic chart repository (index.yaml and the archive) over HTTP on loopback.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { HEADLAMP } from '../../scripts/steps/cluster/dashboard.ts';
import { writeChart } from './stand-in-traefik.ts';

const execFileAsync = promisify(execFile);

const HEADLAMP_VALUES = `replicaCount: 1
image:
  registry: ghcr.io
  repository: headlamp-k8s/headlamp
  tag: ""
clusterRoleBinding:
  create: true
  clusterRoleName: cluster-admin
serviceAccount:
  create: true
  name: ""
podSecurityContext: {}
securityContext:
  runAsNonRoot: true
  privileged: false
  runAsUser: 100
  runAsGroup: 101
resources: {}
service:
  type: ClusterIP
  port: 80
`;

const HEADLAMP_TEMPLATES: Record<string, string> = {
  'templates/serviceaccount.yaml': `{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
{{- end }}
`,
  'templates/clusterrolebinding.yaml': `{{- if .Values.clusterRoleBinding.create -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ .Release.Name }}-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ .Values.clusterRoleBinding.clusterRoleName }}
subjects:
- kind: ServiceAccount
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
{{- end }}
`,
  'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app.kubernetes.io/name: headlamp}
  template:
    metadata:
      labels: {app.kubernetes.io/name: headlamp}
    spec:
      serviceAccountName: {{ .Release.Name }}
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      containers:
        - name: headlamp
          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:v{{ .Values.image.tag | default .Chart.AppVersion }}"
          args: ["-in-cluster", "-plugins-dir=/headlamp/plugins"]
          ports:
            - {name: http, containerPort: 4466}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
`,
  'templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  type: {{ .Values.service.type }}
  selector: {app.kubernetes.io/name: headlamp}
  ports:
    - {name: http, port: {{ .Values.service.port }}, targetPort: http}
`,
};

export interface ChartRepository {
  /** The repository URL, for DECKHAND_HEADLAMP_CHART_REPO. */
  url: string;
  /** Paths requested so far (the index, the chart archive). */
  readonly requests: readonly string[];
  stop(): Promise<void>;
}

/** Packages the stand-in Headlamp chart and serves it as a classic chart repository (index.yaml + .tgz) on loopback. */
export async function serveStandInHeadlamp(
  helm: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
): Promise<ChartRepository> {
  const chartDir = path.join(workDir, 'headlamp-chart', 'headlamp');
  await writeChart(chartDir, {
    'Chart.yaml': `apiVersion: v2\nname: ${HEADLAMP.chartName}\ndescription: A stand-in for Headlamp's chart in deckhand's tests\ntype: application\nversion: ${HEADLAMP.chartVersion}\nappVersion: ${HEADLAMP.appVersion}\n`,
    'values.yaml': HEADLAMP_VALUES,
    ...HEADLAMP_TEMPLATES,
  });
  const repoDir = path.join(workDir, 'headlamp-repo');
  await mkdir(repoDir, { recursive: true });
  await execFileAsync(helm, ['package', chartDir, '--destination', repoDir], { env });
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!).replace(/^\/+/, '');
    requests.push(`/${name}`);
    readFile(path.join(repoDir, path.basename(name))).then(
      (body) => {
        res.writeHead(200, { 'Content-Type': name.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
        res.end(body);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  await execFileAsync(helm, ['repo', 'index', repoDir, '--url', url], { env });
  return {
    url,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

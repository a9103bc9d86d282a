/**
 * A stand-in for Traefik's chart, which cannot be fetched here (no internet): the real chart's name and pinned
 * version, the values keys deckhand sets (with the real chart's defaults and the strictness of its values.schema.json
 * on those paths: an unknown top-level key is refused, as the real chart refuses it), CRDs in crds/ (what `helm show
 * crds` prints), and templates that render what the values mean — a Deployment with the init container and security
 * contexts, the PVC for acme.json, the LoadBalancer Service with its annotations, the IngressClass. It is pushed to a
 * real OCI registry at the real chart's path: `<registry>/traefik/helm/traefik:41.3.0`.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { TRAEFIK } from '../../scripts/steps/cluster/ingress-plan.ts';

const execFileAsync = promisify(execFile);

/** The top-level keys of the real chart's values.schema.json (41.3.0), which has `additionalProperties: false`. */
const TRAEFIK_TOP_LEVEL_KEYS = [
  'accessLog',
  'additionalArguments',
  'additionalVolumeMounts',
  'affinity',
  'api',
  'autoscaling',
  'certificatesResolvers',
  'commonLabels',
  'core',
  'deployment',
  'enabled',
  'env',
  'envFrom',
  'experimental',
  'extraObjects',
  'fullnameOverride',
  'gateway',
  'gatewayClass',
  'global',
  'hostNetwork',
  'hub',
  'image',
  'ingressClass',
  'ingressRoute',
  'instanceLabelOverride',
  'livenessProbe',
  'log',
  'metrics',
  'nameOverride',
  'namespaceOverride',
  'nodeSelector',
  'oci_meta',
  'ocsp',
  'offering_version',
  'persistence',
  'podDisruptionBudget',
  'podSecurityContext',
  'ports',
  'priorityClassName',
  'providers',
  'rbac',
  'readinessProbe',
  'resources',
  'securityContext',
  'service',
  'serviceAccount',
  'serviceAccountAnnotations',
  'startupProbe',
  'tlsOptions',
  'tlsStore',
  'tolerations',
  'topologySpreadConstraints',
  'tracing',
  'updateStrategy',
  'versionOverride',
  'volumes',
];

const TRAEFIK_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(TRAEFIK_TOP_LEVEL_KEYS.map((key) => [key, {}])),
    deployment: {
      type: 'object',
      properties: { replicas: { type: ['integer', 'null'], minimum: 0 }, initContainers: { type: 'array' } },
    },
    updateStrategy: {
      type: 'object',
      additionalProperties: false,
      properties: { type: { type: 'string' }, rollingUpdate: { type: 'object' } },
    },
    ingressClass: {
      type: 'object',
      additionalProperties: false,
      properties: { enabled: { type: 'boolean' }, isDefaultClass: { type: 'boolean' }, name: { type: 'string' } },
    },
    persistence: {
      type: 'object',
      properties: { enabled: { type: 'boolean' }, size: { type: 'string' }, accessMode: { type: 'string' } },
    },
    certificatesResolvers: { type: 'object' },
    service: {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { type: { type: 'string' } } },
        annotations: { type: 'object' },
      },
    },
  },
};

const TRAEFIK_VALUES = `image:
  repository: docker.io/traefik
  tag: ""
deployment:
  replicas: 1
  initContainers: []
updateStrategy:
  type: RollingUpdate
  rollingUpdate:
    maxUnavailable: 0
    maxSurge: 1
ports:
  web:
    port: 8000
    exposedPort: 80
    http:
      redirections:
        entryPoint: {}
  websecure:
    port: 8443
    exposedPort: 443
    http:
      tls:
        enabled: true
certificatesResolvers: {}
persistence:
  enabled: false
  accessMode: ReadWriteOnce
  size: 128Mi
podSecurityContext:
  runAsGroup: 65532
  runAsNonRoot: true
  runAsUser: 65532
  seccompProfile:
    type: RuntimeDefault
securityContext:
  allowPrivilegeEscalation: false
  capabilities:
    drop: [ALL]
  readOnlyRootFilesystem: true
resources: {}
ingressClass:
  enabled: true
  isDefaultClass: true
  name: ""
providers:
  kubernetesIngress:
    publishedService:
      enabled: true
service:
  annotations: {}
  spec:
    type: LoadBalancer
`;

const TRAEFIK_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: traefik
    app.kubernetes.io/instance: {{ .Release.Name }}-{{ .Release.Namespace }}
spec:
  replicas: {{ .Values.deployment.replicas }}
  strategy:
    type: {{ .Values.updateStrategy.type }}
  selector:
    matchLabels:
      app.kubernetes.io/name: traefik
  template:
    metadata:
      labels:
        app.kubernetes.io/name: traefik
    spec:
      securityContext:
        {{- toYaml .Values.podSecurityContext | nindent 8 }}
      {{- with .Values.deployment.initContainers }}
      initContainers:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: traefik
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          args:
            - "--entryPoints.web.address=:{{ .Values.ports.web.port }}/tcp"
            - "--entryPoints.websecure.address=:{{ .Values.ports.websecure.port }}/tcp"
            {{- with .Values.ports.web.http.redirections.entryPoint }}
            - "--entryPoints.web.http.redirections.entryPoint.to=:{{ $.Values.ports.websecure.exposedPort }}"
            - "--entryPoints.web.http.redirections.entryPoint.scheme={{ .scheme }}"
            - "--entryPoints.web.http.redirections.entryPoint.permanent={{ .permanent }}"
            {{- end }}
            {{- range $name, $resolver := .Values.certificatesResolvers }}
            {{- with $resolver.acme }}
            - "--certificatesresolvers.{{ $name }}.acme.email={{ .email }}"
            - "--certificatesresolvers.{{ $name }}.acme.caserver={{ .caServer }}"
            - "--certificatesresolvers.{{ $name }}.acme.storage={{ .storage }}"
            - "--certificatesresolvers.{{ $name }}.acme.httpchallenge.entrypoint={{ .httpChallenge.entryPoint }}"
            {{- end }}
            {{- end }}
          ports:
            - {name: web, containerPort: {{ .Values.ports.web.port }}}
            - {name: websecure, containerPort: {{ .Values.ports.websecure.port }}}
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          volumeMounts:
            - {name: data, mountPath: /data}
            - {name: tmp, mountPath: /tmp}
      volumes:
        - name: data
          {{- if .Values.persistence.enabled }}
          persistentVolumeClaim:
            claimName: {{ .Release.Name }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        - name: tmp
          emptyDir: {}
`;

const TRAEFIK_PVC = `{{- if .Values.persistence.enabled }}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  accessModes: [{{ .Values.persistence.accessMode }}]
  resources:
    requests:
      storage: {{ .Values.persistence.size }}
{{- end }}
`;

const TRAEFIK_SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.spec.type }}
  selector:
    app.kubernetes.io/name: traefik
  ports:
    - {name: web, port: {{ .Values.ports.web.exposedPort }}, targetPort: web}
    - {name: websecure, port: {{ .Values.ports.websecure.exposedPort }}, targetPort: websecure}
`;

const TRAEFIK_INGRESS_CLASS = `{{- if .Values.ingressClass.enabled }}
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: {{ .Values.ingressClass.name | default .Release.Name }}
spec:
  controller: traefik.io/ingress-controller
{{- end }}
`;

function crd(kind: string, plural: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.traefik.io
spec:
  group: traefik.io
  names: {kind: ${kind}, listKind: ${kind}List, plural: ${plural}, singular: ${kind.toLowerCase()}}
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

/** The CRD names the stand-in Traefik chart ships (`helm show crds` prints them). */
export const STAND_IN_TRAEFIK_CRDS = ['ingressroutes.traefik.io', 'middlewares.traefik.io'];

/** Writes a chart's files (relative names) under `dir`. */
export async function writeChart(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), text);
  }
}

/** Packages the stand-in Traefik chart and pushes it to `oci://<registry>/traefik/helm`; returns the chart reference. */
export async function pushStandInTraefik(
  helm: string,
  registryHost: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const chartDir = path.join(workDir, 'traefik-chart', 'traefik');
  await writeChart(chartDir, {
    'Chart.yaml': `apiVersion: v2\nname: ${TRAEFIK.chartName}\ndescription: A stand-in for Traefik's chart in deckhand's tests\ntype: application\nversion: ${TRAEFIK.chartVersion}\nappVersion: ${TRAEFIK.appVersion}\n`,
    'values.yaml': TRAEFIK_VALUES,
    'values.schema.json': JSON.stringify(TRAEFIK_SCHEMA, null, 2),
    'templates/deployment.yaml': TRAEFIK_DEPLOYMENT,
    'templates/pvc.yaml': TRAEFIK_PVC,
    'templates/service.yaml': TRAEFIK_SERVICE,
    'templates/ingressclass.yaml': TRAEFIK_INGRESS_CLASS,
    'crds/ingressroutes.yaml': crd('IngressRoute', 'ingressroutes'),
    'crds/middlewares.yaml': crd('Middleware', 'middlewares'),
  });
  const out = path.join(workDir, 'traefik-chart');
  await execFileAsync(helm, ['package', chartDir, '--destination', out], { env });
  const packaged = path.join(out, `${TRAEFIK.chartName}-${TRAEFIK.chartVersion}.tgz`);
  await execFileAsync(helm, ['push', packaged, `oci://${registryHost}/traefik/helm`, '--plain-http'], { env });
  return `oci://${registryHost}/traefik/helm/traefik`;
}

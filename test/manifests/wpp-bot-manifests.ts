/**
 * Loads the plain manifests in k8s/wpp-bot the way `kubectl apply -f k8s/wpp-bot/` reads them (files in lexical
 * order, every YAML document in each) and offers typed views of the parts the tests inspect. Parsing is strict:
 * a YAML error or warning fails the load, so a test never asserts on half a file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { wppBot } from '../../scripts/apps/wpp-bot.ts';
import { REPO_ROOT } from '../support/binaries.ts';

export const MANIFEST_DIR = path.join(REPO_ROOT, wppBot.manifests);

/** Kubernetes label values: at most 63 characters, alphanumeric at both ends, `-_.` inside. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  [field: string]: unknown;
}

export interface LoadedObject {
  /** File name inside k8s/wpp-bot. */
  file: string;
  object: KubeObject;
}

export interface Probe {
  httpGet?: { path?: string; port: string | number };
  tcpSocket?: { port: string | number };
  grpc?: { port: number };
  exec?: { command: string[] };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: unknown;
    resourceFieldRef?: unknown;
  };
}

export interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number; hostPort?: number; protocol?: string }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string }; prefix?: string }>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}

export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: { secretName: string; items?: Array<{ key: string; path: string }>; defaultMode?: number };
  configMap?: { name: string };
  [type: string]: unknown;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
}

export interface Deployment extends KubeObject {
  spec: {
    replicas?: number;
    strategy?: { type?: string };
    selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] };
    template: { metadata: { labels?: Record<string, string> }; spec: PodSpec };
  };
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: string | number;
}

export interface Service extends KubeObject {
  spec: { type?: string; selector?: Record<string, string>; ports: ServicePort[]; [field: string]: unknown };
}

export interface PersistentVolumeClaim extends KubeObject {
  spec: { accessModes: string[]; storageClassName?: string; resources: { requests: { storage: string } } };
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface RoleBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
}

export interface Ingress extends KubeObject {
  spec: {
    ingressClassName?: string;
    tls?: Array<{ hosts?: string[]; secretName?: string }>;
    rules: Array<{
      host?: string;
      http: {
        paths: Array<{
          path: string;
          pathType: string;
          backend: { service: { name: string; port: { name?: string; number?: number } } };
        }>;
      };
    }>;
  };
}

export interface NetworkPolicyPeer {
  podSelector?: { matchLabels?: Record<string, string> };
  namespaceSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}

export interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: Array<{ protocol?: string; port?: number | string }>;
}

export interface NetworkPolicy extends KubeObject {
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: NetworkPolicyRule[];
    egress?: NetworkPolicyRule[];
  };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, unknown>;
  binaryData?: Record<string, unknown>;
}

/** The manifest files in the order `kubectl apply -f <dir>` visits them (lexical). */
export function manifestFiles(): string[] {
  return readdirSync(MANIFEST_DIR)
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .sort();
}

/** Parses YAML text into Kubernetes objects; throws on any YAML error or warning and skips empty documents. */
export function parseManifestText(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const document of parseAllDocuments(text, { prettyErrors: true })) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) throw new Error(`${source}: ${problems.map((problem) => problem.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    objects.push(value as KubeObject);
  }
  return objects;
}

let loaded: LoadedObject[] | undefined;

export function loadManifests(): LoadedObject[] {
  loaded ??= manifestFiles().flatMap((file) =>
    parseManifestText(readFileSync(path.join(MANIFEST_DIR, file), 'utf8'), file).map((object) => ({ file, object })),
  );
  return loaded;
}

export function allObjects(): KubeObject[] {
  return loadManifests().map(({ object }) => object);
}

export function objectsOfKind<T extends KubeObject>(kind: string): T[] {
  return allObjects().filter((object) => object.kind === kind) as T[];
}

export function findObject<T extends KubeObject>(kind: string, name: string): T {
  const found = objectsOfKind<T>(kind).find((object) => object.metadata.name === name);
  if (!found) throw new Error(`No ${kind} named "${name}" in ${wppBot.manifests}`);
  return found;
}

export function deployments(): Deployment[] {
  return objectsOfKind<Deployment>('Deployment');
}

/** Every container of a pod spec, init containers included. */
export function containersOf(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** `{ workload, container }` for every container of every Deployment. */
export function allContainers(): Array<{ workload: string; container: Container; pod: PodSpec }> {
  return deployments().flatMap((deployment) =>
    containersOf(deployment.spec.template.spec).map((container) => ({
      workload: deployment.metadata.name,
      container,
      pod: deployment.spec.template.spec,
    })),
  );
}

/** True when every key/value of `selector` is among `labels` (an empty selector selects everything). */
export function selects(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

/** Deployments whose pod template carries every label of `selector`. */
export function podTemplatesSelectedBy(selector: Record<string, string> | undefined): Deployment[] {
  return deployments().filter((deployment) => selects(selector, deployment.spec.template.metadata.labels));
}

/** Whether a probe or Service port (name or number) is one the container declares. */
export function containerDeclaresPort(container: Container, port: string | number): boolean {
  return (container.ports ?? []).some((declared) =>
    typeof port === 'number' ? declared.containerPort === port : declared.name === port,
  );
}

/** Splits `repo[:tag][@sha256:digest]`, minding registry ports (`host:5000/repo:tag`). */
export function splitImage(image: string): { repository: string; tag?: string; digest?: string } {
  const [nameAndTag = '', digest] = image.split('@');
  const lastSlash = nameAndTag.lastIndexOf('/');
  const lastColon = nameAndTag.lastIndexOf(':');
  if (lastColon > lastSlash)
    return { repository: nameAndTag.slice(0, lastColon), tag: nameAndTag.slice(lastColon + 1), digest };
  return { repository: nameAndTag, digest };
}

/** The mount of `volumeName` in `container`, or undefined. */
export function mountOf(
  container: Container,
  volumeName: string,
): { mountPath: string; subPath?: string; readOnly?: boolean } | undefined {
  return container.volumeMounts?.find((mount) => mount.name === volumeName);
}

/** Every env var a container gets explicitly (not envFrom). */
export function envOf(container: Container): EnvVar[] {
  return container.env ?? [];
}

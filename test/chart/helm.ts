/**
 * Runs the real helm (v4, from test/support/binaries.ts) against charts/kubernetes-job and parses what it renders.
 *
 * Every call gets its own empty HOME and a minimal environment, so no repository cache, plugin, registry login or
 * kubeconfig from the machine (or from a parallel test) can change the result.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureKubeBinaries, REPO_ROOT } from '../support/binaries.ts';

export const CHART_DIR = path.join(REPO_ROOT, 'charts', 'kubernetes-job');
export const BASE_VALUES = path.join(CHART_DIR, 'values', 'base.yaml');
export const CAELUNDAS_VALUES = path.join(CHART_DIR, 'values', 'caelundas-production.yaml');

const HELM_TIMEOUT_MS = 60_000;

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm asynchronously with a fresh HOME; never throws on a non-zero exit (the result carries it). */
export async function runHelm(args: readonly string[]): Promise<HelmResult> {
  const { helm, binDir } = await ensureKubeBinaries();
  const home = await mkdtemp(path.join(os.tmpdir(), 'deckhand-chart-home-'));
  try {
    return await new Promise<HelmResult>((resolve, reject) => {
      execFile(
        helm,
        [...args],
        {
          cwd: REPO_ROOT,
          env: { HOME: home, PATH: `${binDir}:/usr/bin:/bin` },
          timeout: HELM_TIMEOUT_MS,
          maxBuffer: 16 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') {
            reject(error);
            return;
          }
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        },
      );
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

export interface RenderOptions {
  release?: string;
  valuesFiles?: readonly string[];
  /** `--set` pairs, e.g. `['image.tag=1.2.3']`. */
  set?: readonly string[];
  /** `--set-string` pairs. */
  setString?: readonly string[];
}

export function templateArgs(options: RenderOptions): string[] {
  const args = ['template', options.release ?? 'caelundas-20260125-143022', CHART_DIR];
  for (const file of options.valuesFiles ?? []) args.push('-f', file);
  for (const pair of options.set ?? []) args.push('--set', pair);
  for (const pair of options.setString ?? []) args.push('--set-string', pair);
  return args;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  automountServiceAccountToken?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: Array<Record<string, unknown>>;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string };
  persistentVolumeClaim?: { claimName: string };
}

export interface PodSpec {
  restartPolicy?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
    fsGroup?: number;
    seccompProfile?: { type: string };
  };
  imagePullSecrets?: Array<{ name: string }>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Array<Record<string, unknown>>;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
}

export interface PodFailurePolicyRule {
  action: string;
  onExitCodes?: { containerName?: string; operator: string; values: number[] };
  onPodConditions?: Array<{ type: string; status?: string }>;
}

export interface JobSpec {
  backoffLimit?: number;
  completions?: number;
  parallelism?: number;
  ttlSecondsAfterFinished?: number;
  activeDeadlineSeconds?: number;
  selector?: unknown;
  manualSelector?: boolean;
  podFailurePolicy?: { rules: PodFailurePolicyRule[] };
  template: { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

export interface PvcSpec {
  accessModes: string[];
  storageClassName?: string;
  resources: { requests: { storage: string } };
}

/** `helm template` that must succeed; returns every rendered object. */
export async function renderChart(options: RenderOptions): Promise<RenderedObject[]> {
  const result = await runHelm(templateArgs(options));
  if (result.code !== 0) {
    throw new Error(`helm ${templateArgs(options).join(' ')} exited ${result.code}:\n${result.stderr}`);
  }
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): RenderedObject[] {
  const objects: RenderedObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) throw new Error(`Rendered YAML does not parse: ${document.errors[0]?.message}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) objects.push(value as RenderedObject);
  }
  return objects;
}

export function objectsOfKind(objects: readonly RenderedObject[], kind: string): RenderedObject[] {
  return objects.filter((object) => object.kind === kind);
}

/** The single object of a kind; fails when there are none or several. */
export function onlyObject(objects: readonly RenderedObject[], kind: string): RenderedObject {
  const found = objectsOfKind(objects, kind);
  if (found.length !== 1) throw new Error(`Expected exactly one ${kind}, rendered ${found.length}`);
  return found[0] as RenderedObject;
}

export function jobSpec(objects: readonly RenderedObject[]): JobSpec {
  return onlyObject(objects, 'Job').spec as JobSpec;
}

export function podSpec(objects: readonly RenderedObject[]): PodSpec {
  return jobSpec(objects).template.spec;
}

export function mainContainer(objects: readonly RenderedObject[]): Container {
  const [container] = podSpec(objects).containers;
  if (!container) throw new Error('The Job has no container');
  return container;
}

export function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Kubernetes label value syntax (apimachinery validation.IsValidLabelValue). */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** RFC 1123 DNS label: Job, container and pod-label-compatible names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

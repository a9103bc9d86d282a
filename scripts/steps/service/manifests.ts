/**
 * A service's manifests as objects in memory: read from its folder (files in name order, documents in file order),
 * moved to another namespace when --namespace says so, grouped into the phases a roll-out applies one after another,
 * and edited there — the images set to the pushed digests — never on disk: the files keep their placeholders.
 *
 * Phases, in order: the foundation (the Namespace first, then policies, RBAC, ConfigMaps: everything the workloads
 * rely on); the Deployments the others need (`readyFirst`: Postgres) with their files' other objects (PVC, Service);
 * the remaining Deployments with theirs; the Ingress last, so nothing is routed to an app that is not rolled out.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ServiceApp } from '../../apps/index.ts';
import { DeckhandError } from '../../lib/errors.ts';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    /** Set by the server (absent in the files). */
    generation?: number;
  };
  [field: string]: unknown;
}

export interface ManifestEntry {
  /** The file it came from, relative to the manifests folder. */
  file: string;
  object: Manifest;
}

export interface RolloutPhases {
  foundation: Manifest[];
  readyFirst: Manifest[];
  app: Manifest[];
  ingress: Manifest[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Record<string, unknown>[];
  imagePullSecrets?: { name: string }[];
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  env?: Record<string, unknown>[];
  envFrom?: Record<string, unknown>[];
  [field: string]: unknown;
}

export interface DeploymentManifest extends Manifest {
  kind: 'Deployment';
  spec: { replicas?: number; template: PodTemplate; [field: string]: unknown };
}

export function isDeployment(object: Manifest): object is DeploymentManifest {
  return object.kind === 'Deployment';
}

/** `Kind name` as people read it in a report: `Deployment wpp-bot`. */
export function describeObject(object: Pick<Manifest, 'kind' | 'metadata'>): string {
  return `${object.kind} ${object.metadata.name}`;
}

/** Every object of the folder's YAML files, in the order `kubectl apply -f <folder>` would read them. */
export async function loadManifests(repoRoot: string, folder: string): Promise<ManifestEntry[]> {
  const dir = path.join(repoRoot, folder);
  const files = (await readdir(dir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  const entries: ManifestEntry[] = [];
  for (const file of files) {
    const documents = parseAllDocuments(await readFile(path.join(dir, file), 'utf8'));
    for (const [index, document] of documents.entries()) {
      if (document.errors.length > 0) {
        throw new DeckhandError(
          `${folder}/${file} (document ${index + 1}) is not valid YAML: ${document.errors[0]!.message}`,
          'Fix the file; `kubectl apply --dry-run=client -f` shows the same problem.',
        );
      }
      const object = document.toJS() as Manifest | null;
      if (object === null) continue;
      if (!object.apiVersion || !object.kind || !object.metadata?.name) {
        throw new DeckhandError(
          `${folder}/${file} (document ${index + 1}) is not a Kubernetes object: it needs apiVersion, kind and metadata.name.`,
        );
      }
      entries.push({ file, object });
    }
  }
  return entries;
}

/**
 * The objects moved from the namespace the files name to `namespace` (--namespace): their own namespace, the
 * Namespace object, and RoleBinding subjects that point at the app's namespace. Unchanged when they are the same.
 */
export function retarget(entries: readonly ManifestEntry[], from: string, namespace: string): ManifestEntry[] {
  if (from === namespace) return [...entries];
  return entries.map(({ file, object }) => {
    const moved = structuredClone(object);
    if (moved.metadata.namespace === from) moved.metadata.namespace = namespace;
    if (moved.kind === 'Namespace' && moved.metadata.name === from) moved.metadata.name = namespace;
    if (moved.kind === 'RoleBinding' && Array.isArray(moved['subjects'])) {
      for (const subject of moved['subjects'] as { namespace?: string }[])
        if (subject.namespace === from) subject.namespace = namespace;
    }
    return { file, object: moved };
  });
}

/** The domain the manifests name their public hosts under (api.example.com, dashboard.example.com). */
export const PLACEHOLDER_DOMAIN = 'example.com';

/**
 * The public hosts under the domain configured (DOMAIN): the Ingress's rules and TLS hosts, and the URLs the
 * ConfigMaps pass to the apps (CORS origin, public API URL) — `api.example.com` becomes `api.<DOMAIN>`, in memory
 * only, as the images are set. The same hosts `ingress install` prints DNS records for.
 */
export function withDomain(entries: readonly ManifestEntry[], domain: string | undefined): ManifestEntry[] {
  if (!domain || domain === PLACEHOLDER_DOMAIN) return [...entries];
  const host = (name: string) =>
    name.endsWith(`.${PLACEHOLDER_DOMAIN}`) ? `${name.slice(0, -PLACEHOLDER_DOMAIN.length)}${domain}` : name;
  const inText = (text: string) =>
    text.replace(new RegExp(`\\b([a-z0-9-]+)\\.${PLACEHOLDER_DOMAIN.replace('.', '\\.')}\\b`, 'g'), `$1.${domain}`);
  return entries.map(({ file, object }) => {
    if (object.kind !== 'Ingress' && object.kind !== 'ConfigMap') return { file, object };
    const moved = structuredClone(object);
    if (moved.kind === 'ConfigMap' && moved['data'] && typeof moved['data'] === 'object') {
      const data = moved['data'] as Record<string, unknown>;
      for (const [key, value] of Object.entries(data)) if (typeof value === 'string') data[key] = inText(value);
    }
    if (moved.kind === 'Ingress') {
      const spec = (moved['spec'] ?? {}) as { rules?: { host?: string }[]; tls?: { hosts?: string[] }[] };
      for (const rule of spec.rules ?? []) if (rule.host) rule.host = host(rule.host);
      for (const tls of spec.tls ?? []) if (tls.hosts) tls.hosts = tls.hosts.map(host);
    }
    return { file, object: moved };
  });
}

/**
 * The roll-out's phases. A file holding a Deployment belongs, with all its objects, to that Deployment's phase; an
 * Ingress is always last; everything else is foundation, the Namespace first. Fails when the registry names a
 * Deployment or container the manifests do not have (the roll-out could not put an image there).
 */
export function phasesOf(entries: readonly ManifestEntry[], app: ServiceApp): RolloutPhases {
  const fileTier = new Map<string, 'readyFirst' | 'app'>();
  for (const { file, object } of entries) {
    if (!isDeployment(object) || fileTier.has(file)) continue;
    fileTier.set(file, app.readyFirst.includes(object.metadata.name) ? 'readyFirst' : 'app');
  }
  const phases: RolloutPhases = { foundation: [], readyFirst: [], app: [], ingress: [] };
  for (const { file, object } of entries) {
    if (object.kind === 'Ingress') phases.ingress.push(object);
    else phases[fileTier.get(file) ?? 'foundation'].push(object);
  }
  phases.foundation.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));

  const deployments = entries.map(({ object }) => object).filter(isDeployment);
  const names = deployments.map((deployment) => deployment.metadata.name);
  const problems = [
    ...app.deployments.filter((name) => !names.includes(name)).map((name) => `no Deployment ${name}`),
    ...app.images.flatMap((image) => {
      const deployment = deployments.find((candidate) => candidate.metadata.name === image.deployment);
      const found = deployment?.spec.template.spec.containers.some((container) => container.name === image.container);
      return deployment && !found ? [`no container ${image.container} in Deployment ${image.deployment}`] : [];
    }),
  ];
  if (problems.length > 0) {
    throw new DeckhandError(
      `The manifests in ${app.manifests}/ do not match the registry entry of ${app.name}: ${problems.join('; ')}.`,
      `Fix scripts/apps/${app.name}.ts or the manifests.`,
    );
  }
  return phases;
}

/** A copy of the Deployment whose container runs `reference`. */
export function withImage(deployment: DeploymentManifest, container: string, reference: string): DeploymentManifest {
  const copy = structuredClone(deployment);
  for (const candidate of copy.spec.template.spec.containers)
    if (candidate.name === container) candidate.image = reference;
  return copy;
}

/** The images a Deployment's containers run, `container=image`, for reports and the change-cause. */
export function containerImages(deployment: DeploymentManifest): string[] {
  return deployment.spec.template.spec.containers.map((container) => container.image ?? '?');
}

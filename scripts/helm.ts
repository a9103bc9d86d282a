/**
 * helm, wrapped. Argv builders are pure (the same arrays feed execution, dry-run text and tests); the thin runners
 * execute them through the Runner. Every call names its kubeconfig and context explicitly (helmTargetArgs).
 * Written for Helm 4 (server-side apply by default, kstatus waits); Helm 3.x works for these commands too.
 */
import { commandFailure, type Runner } from './lib/shell.ts';
import { helmTargetArgs, type KubeTarget } from './lib/target.ts';
import { toGoDuration } from './lib/duration.ts';
import { deckhand } from './lib/hints.ts';

export type ReleaseStatus =
  | 'unknown'
  | 'deployed'
  | 'uninstalled'
  | 'superseded'
  | 'failed'
  | 'uninstalling'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback';

/** One entry of `helm list -o json`. */
export interface ReleaseListEntry {
  name: string;
  namespace: string;
  revision: string;
  /** e.g. "2026-01-25 14:30:22.123456 +0000 UTC" */
  updated: string;
  status: ReleaseStatus;
  chart: string;
  app_version: string;
}

export const PENDING_STATUSES: readonly ReleaseStatus[] = ['pending-install', 'pending-upgrade', 'pending-rollback'];

/**
 * Where a chart comes from when it is not a folder in this repository: an `oci://` reference or a chart name in a
 * repository (`--repo`), always at a pinned version. No `helm repo add`: the user's repository list is never touched.
 */
export interface ChartSource {
  chart: string;
  version: string;
  /** A classic chart repository's URL; `chart` is then the chart's name in it. */
  repo?: string;
  /** An OCI registry reached over plain HTTP (a mirror on loopback). */
  plainHttp?: boolean;
}

/** `--version 41.3.0 [--repo URL] [--plain-http]`: what pins a remote chart. */
export function chartSourceArgs(source: ChartSource): string[] {
  return [
    '--version',
    source.version,
    ...(source.repo ? ['--repo', source.repo] : []),
    ...(source.plainHttp ? ['--plain-http'] : []),
  ];
}

/** Loopback registries speak plain HTTP, as docker assumes for 127.0.0.0/8 and localhost (helm needs to be told). */
export function isLoopbackOci(reference: string): boolean {
  const host = /^oci:\/\/([^/]+)/.exec(reference)?.[1]?.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host ?? '');
}

/** `helm show crds`: the CustomResourceDefinitions a chart ships, as YAML, for `kubectl apply --server-side`. */
export function showCrdsArgs(source: ChartSource): string[] {
  return ['helm', 'show', 'crds', source.chart, ...chartSourceArgs(source)];
}

/** The values given to a release (`-f` files and `--set`s, merged), as JSON; `null` when none were given. */
export function getValuesArgs(target: KubeTarget, namespace: string, release: string): string[] {
  return ['helm', 'get', 'values', release, ...helmTargetArgs(target), '--namespace', namespace, '--output', 'json'];
}

export interface UpgradeInstallOptions {
  release: string;
  chart: string;
  /** A remote chart's pin (version, repository); absent for a chart folder. */
  source?: Omit<ChartSource, 'chart'>;
  /** The CRDs were applied beforehand (server-side, so upgrades update them too); helm leaves them alone. */
  skipCrds?: boolean;
  namespace: string;
  valuesFiles: readonly string[];
  /** `--set-string key=value` pairs: strings always, so a commit like 1234567 never turns into a number. */
  setString?: Readonly<Record<string, string>>;
  /** `--set key=value` pairs whose values are typed by helm (numbers, booleans). */
  set?: Readonly<Record<string, string>>;
  wait?: boolean;
  timeoutMs?: number;
}

export function versionArgs(): string[] {
  return ['helm', 'version', '--template', '{{.Version}}'];
}

/** `v4.1.4` from `helm version --template {{.Version}}`. */
export function parseVersion(stdout: string): string {
  return stdout.trim();
}

/**
 * `helm install`: creates a new release and never touches an existing one — deckhand never upgrades a run (a Job's
 * pod template is immutable, and an upgrade would attach this run to another's Job). Helm stores the release record
 * (a Secret) with create-if-absent semantics before it creates any object of the chart, so of installs racing for one
 * name exactly one wins and the others fail, having changed nothing (see releaseNameTaken).
 */
export function installArgs(target: KubeTarget, options: UpgradeInstallOptions): string[] {
  return ['helm', 'install', ...releaseArgs(target, options)];
}

/**
 * `helm upgrade --install`: for what is meant to be upgraded in place (the add-ons). Never for a run: see installArgs.
 */
export function upgradeInstallArgs(target: KubeTarget, options: UpgradeInstallOptions): string[] {
  return ['helm', 'upgrade', '--install', ...releaseArgs(target, options)];
}

function releaseArgs(target: KubeTarget, options: UpgradeInstallOptions): string[] {
  return [
    options.release,
    options.chart,
    ...(options.source ? chartSourceArgs({ chart: options.chart, ...options.source }) : []),
    ...(options.skipCrds ? ['--skip-crds'] : []),
    ...helmTargetArgs(target),
    '--namespace',
    options.namespace,
    ...options.valuesFiles.flatMap((file) => ['--values', file]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ...Object.entries(options.setString ?? {}).flatMap(([key, value]) => ['--set-string', `${key}=${value}`]),
    ...(options.wait ? ['--wait'] : []),
    ...(options.timeoutMs ? ['--timeout', toGoDuration(options.timeoutMs)] : []),
  ];
}

/**
 * helm's answers to an install whose name another release holds: "cannot reuse a name that is still in use" when it
 * saw the record first, "release: already exists" when it lost the race to create it.
 */
export function releaseNameTaken(stderr: string): boolean {
  return /cannot re-?use a name that is still in use|release: already exists/i.test(stderr);
}

/**
 * The values a chart's schema refused, from helm's "- at '/image/repository': …" lines, in --set-string form
 * (`/imagePullSecrets/0/name` → `imagePullSecrets[0].name`); `''` for the root (a required key missing).
 */
export function schemaFailurePaths(stderr: string): string[] {
  const paths = [...stderr.matchAll(/^\s*- at '([^']*)'/gm)].map((match) =>
    match[1]!
      .split('/')
      .filter(Boolean)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((key, part) => (/^\d+$/.test(part) ? `${key}[${part}]` : key ? `${key}.${part}` : part), ''),
  );
  return [...new Set(paths)];
}

export function templateArgs(options: Omit<UpgradeInstallOptions, 'wait' | 'timeoutMs' | 'skipCrds'>): string[] {
  return [
    'helm',
    'template',
    options.release,
    options.chart,
    ...(options.source ? chartSourceArgs({ chart: options.chart, ...options.source }) : []),
    '--namespace',
    options.namespace,
    ...options.valuesFiles.flatMap((file) => ['--values', file]),
    ...Object.entries(options.set ?? {}).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ...Object.entries(options.setString ?? {}).flatMap(([key, value]) => ['--set-string', `${key}=${value}`]),
  ];
}

/**
 * Every live release in the namespace whose name matches `filter` (a regular expression). By default helm lists only
 * deployed and failed releases, hiding the pending ones an interrupted operation leaves; Helm 4 dropped `--all`, so
 * the states are named (the same flags work in Helm 3).
 */
export function listArgs(target: KubeTarget, namespace: string, filter?: string): string[] {
  return [
    'helm',
    'list',
    ...helmTargetArgs(target),
    '--namespace',
    namespace,
    '--deployed',
    '--failed',
    '--pending',
    '--uninstalling',
    '--output',
    'json',
    ...(filter ? ['--filter', filter] : []),
  ];
}

export async function list(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  filter?: string,
): Promise<ReleaseListEntry[]> {
  const result = await shell.run(listArgs(target, namespace, filter), {
    kind: 'read',
    hint: `Is the cluster reachable? Try: ${deckhand('doctor')}`,
  });
  const text = result.stdout.trim();
  return text ? (JSON.parse(text) as ReleaseListEntry[]) : [];
}

export function statusArgs(target: KubeTarget, namespace: string, release: string): string[] {
  return ['helm', 'status', release, ...helmTargetArgs(target), '--namespace', namespace, '--output', 'json'];
}

/** The release's status, or undefined when no such release exists. */
export async function status(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<{ status: ReleaseStatus; version: number } | undefined> {
  const result = await shell.run(statusArgs(target, namespace, release), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0) {
    if (/release: not found/i.test(result.stderr)) return undefined;
    throw commandFailure(shell, result, `Is the cluster reachable? Try: ${deckhand('doctor')}`);
  }
  const parsed = JSON.parse(result.stdout) as { info?: { status?: ReleaseStatus }; version?: number };
  return { status: parsed.info?.status ?? 'unknown', version: parsed.version ?? 0 };
}

/** The values a release was installed with (undefined when there is no such release). */
export async function getValues(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<Record<string, unknown> | undefined> {
  const result = await shell.run(getValuesArgs(target, namespace, release), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0) {
    if (/release: not found/i.test(result.stderr)) return undefined;
    throw commandFailure(shell, result, `Is the cluster reachable? Try: ${deckhand('doctor')}`);
  }
  const parsed = JSON.parse(result.stdout.trim() || 'null') as Record<string, unknown> | null;
  return parsed ?? {};
}

export function historyArgs(target: KubeTarget, namespace: string, release: string): string[] {
  return ['helm', 'history', release, ...helmTargetArgs(target), '--namespace', namespace, '--output', 'json'];
}

export function uninstallArgs(
  target: KubeTarget,
  namespace: string,
  release: string,
  options: { wait?: boolean; timeoutMs?: number } = {},
): string[] {
  return [
    'helm',
    'uninstall',
    release,
    ...helmTargetArgs(target),
    '--namespace',
    namespace,
    ...(options.wait ? ['--wait'] : []),
    ...(options.timeoutMs ? ['--timeout', toGoDuration(options.timeoutMs)] : []),
  ];
}

export function rollbackArgs(
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
  options: { wait?: boolean; timeoutMs?: number } = {},
): string[] {
  return [
    'helm',
    'rollback',
    release,
    String(revision),
    ...helmTargetArgs(target),
    '--namespace',
    namespace,
    ...(options.wait ? ['--wait'] : []),
    ...(options.timeoutMs ? ['--timeout', toGoDuration(options.timeoutMs)] : []),
  ];
}

/** One entry of `helm history -o json`. */
export interface HistoryEntry {
  revision: number;
  status: ReleaseStatus;
  updated?: string;
  description?: string;
}

/** The release's revisions, oldest first; empty when it has none (or helm cannot read them). */
export async function history(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
): Promise<HistoryEntry[]> {
  const result = await shell.run(historyArgs(target, namespace, release), { kind: 'read', nothrow: true });
  if (result.exitCode !== 0) return [];
  const entries = JSON.parse(result.stdout || '[]') as (Omit<HistoryEntry, 'revision'> & {
    revision: number | string;
  })[];
  return entries.map((entry) => ({ ...entry, revision: Number(entry.revision) }));
}

export async function rollback(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  release: string,
  revision: number,
  options: { timeoutMs: number },
): Promise<void> {
  // No --wait: for a Job chart, helm's wait would mean waiting for the Job to finish.
  await shell.run(rollbackArgs(target, namespace, release, revision), { kind: 'write', timeoutMs: options.timeoutMs });
}

/** Helm's `updated` ("2026-01-25 14:30:22.123456789 +0000 UTC") as ISO 8601, or undefined when unreadable. */
export function parseHelmTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[3] ? match[3].slice(0, 4) : '';
  const zone =
    !match[4] || match[4] === 'Z'
      ? 'Z'
      : match[4].includes(':')
        ? match[4]
        : `${match[4].slice(0, 3)}:${match[4].slice(3)}`;
  const date = new Date(`${match[1]}T${match[2]}${fraction}${zone}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

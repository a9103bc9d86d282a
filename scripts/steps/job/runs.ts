/**
 * The releases of a Job app, as one list of facts per run: the Helm release and its state, the Job's outcome, the
 * commit it ran, its age, its PVC (and the volume behind it), and whether its output is safely on this machine.
 *
 * Gathering is a handful of calls per namespace however many releases there are — `helm list` once, the Jobs, PVCs,
 * Secret names and PersistentVolumes once each (by the app's label where there is one), and the local run records —
 * and `joinReleases` turns those lists into rows in a pure function, so every state (stuck, TTL-deleted Job,
 * leftover PVC, Released volume, a run made before per-run inputs) can be tested without a cluster. `releases`, the
 * uninstall picker, `logs` and `copy` all read the same rows.
 */
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { jobOutcome, type JobLike } from './diagnose.ts';
import {
  filesFolder,
  findRunRecord,
  outputIsCopied,
  runFolder,
  RUN_RECORD,
  type FoundRecord,
  type RunOutcome,
} from './record.ts';
import {
  compareRunNames,
  inputsSecretName,
  isRunReleaseName,
  releaseFilter,
  releaseStartedAt,
} from './release-name.ts';
import { deckhand } from '../../lib/hints.ts';

export type JobState = 'running' | 'complete' | 'failed' | 'gone';

export interface VolumeFacts {
  name: string;
  /** Bound, Released, Available, Failed. */
  phase?: string;
  reclaimPolicy?: string;
  size?: string;
  /** The Linode Block Storage volume id behind the PV (from the CSI volume handle `<id>-<label>`), when known. */
  linodeVolumeId?: string;
  storageClass?: string;
}

export interface ReleaseRow {
  name: string;
  namespace: string;
  /** Undefined when Helm has no such release: only its PVC or volume is left (a crashed or partial clean-up). */
  helm?: { status: helm.ReleaseStatus; revision: number; updated?: string; chart: string; appVersion: string };
  /** When the run started (from the release name, which is the UTC start time), ISO 8601. */
  startedAt?: string;
  job: { state: JobState; reason?: string };
  /** Full commit, from the Job's annotation or label, the PVC's, or the run record. */
  commit?: string;
  /** The image reference the Job runs (repository:tag[@digest]), when the Job is still there. */
  image?: string;
  pvc?: { name: string; size?: string; phase?: string; volumeName?: string };
  /** The PersistentVolume bound to the PVC, or left Released by a deleted one. */
  volume?: VolumeFacts;
  /**
   * The run's output on this machine: `dir` holds its copied files, `record` its run.json. `copied` only when the
   * record is of this very run (cluster, namespace, release) and says the copy was verified.
   */
  output: {
    dir: string;
    record: string;
    recorded: boolean;
    copied: boolean;
    /** Written in the layout before per-run folders (output/<release>/ with run.json among the files). */
    legacy?: boolean;
    files?: number;
    bytes?: number;
    outcome?: RunOutcome;
  };
  /**
   * The Secret the run's Job reads its inputs from: its own (`<release>-inputs`), or — for a run made before per-run
   * inputs — the app's shared one. `present` when it still exists.
   */
  inputs: { secret: string; shared: boolean; present: boolean };
  /** Set when an interrupted helm operation left the release in a pending-* state. */
  stuck?: StuckFacts;
  /**
   * Nothing of the run is left on the cluster; only this machine's record says it existed (a run named on the
   * command line, see ReadReleasesOptions.named).
   */
  gone?: true;
}

export interface StuckFacts {
  status: helm.ReleaseStatus;
  /** The revision `helm rollback` should return to (pending-upgrade/-rollback only), when one exists. */
  rollbackRevision?: number;
  hint: string;
}

/** One entry of `helm history -o json`. */
// ─── Joining the lists ───────────────────────────────────────────────────────────────────────────────────────────

export interface ReleaseSources {
  app: string;
  namespace: string;
  /** The cluster: its kubeconfig name (a folder of the output) and API server (what a record must match). */
  cluster: string;
  server: string;
  /** The local output root (config.outputDir). */
  outputDir: string;
  releases: readonly helm.ReleaseListEntry[];
  jobs: readonly kubectl.KubeObject[];
  pvcs: readonly kubectl.KubeObject[];
  /** All PersistentVolumes (cluster-scoped); empty when they could not be listed. */
  volumes: readonly kubectl.KubeObject[];
  /** Run records by release name (findRunRecord: this run's only). */
  records: ReadonlyMap<string, FoundRecord | undefined>;
  /** Names of the Secrets in the namespace. */
  secrets: readonly string[];
  /** The Secret every run of the app shared before per-run inputs. */
  sharedSecret?: string;
  /** Histories of stuck releases, by name (read only for those). */
  histories?: ReadonlyMap<string, readonly helm.HistoryEntry[]>;
  /** Runs the cluster has nothing of but this machine has a record of (in `records`): listed as gone. */
  recordedOnly?: readonly string[];
}

const INSTANCE = 'app.kubernetes.io/instance';
const COMMIT = 'deckhand.dev/git-commit';

/**
 * One row per run: every Helm release of the app, plus every PVC or Released volume of a run whose release is gone
 * (so nothing that costs money hides from the list). Oldest first.
 */
export function joinReleases(sources: ReleaseSources): ReleaseRow[] {
  const jobsByRelease = groupByRelease(sources.jobs);
  const pvcsByRelease = groupByRelease(sources.pvcs);
  const names = new Set<string>(sources.releases.map((release) => release.name));
  for (const name of pvcsByRelease.keys()) if (isRunReleaseName(sources.app, name)) names.add(name);
  const claimedVolumes = sources.volumes.filter(
    (volume) => kubectl.claimRefOf(volume)?.namespace === sources.namespace,
  );
  for (const volume of claimedVolumes) {
    const claim = kubectl.claimRefOf(volume)?.name;
    if (claim && isRunReleaseName(sources.app, claim)) names.add(claim);
  }
  // A run's inputs left without its release (a deploy killed before it could clean up) is listed too.
  for (const secret of sources.secrets) {
    const release = secret.replace(/-inputs$/, '');
    if (secret !== release && isRunReleaseName(sources.app, release)) names.add(release);
  }
  const recordedOnly = (sources.recordedOnly ?? []).filter((name) => !names.has(name) && sources.records.get(name));
  for (const name of recordedOnly) names.add(name);
  const place = { cluster: sources.cluster, server: sources.server, namespace: sources.namespace };

  const rows = [...names].map((name): ReleaseRow => {
    const entry = sources.releases.find((release) => release.name === name);
    const job = newest(jobsByRelease.get(name) ?? []);
    const pvc =
      (pvcsByRelease.get(name) ?? []).find((claim) => claim.metadata.name === name) ?? pvcsByRelease.get(name)?.[0];
    const volumeName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
    const volume =
      (volumeName ? sources.volumes.find((candidate) => candidate.metadata.name === volumeName) : undefined) ??
      claimedVolumes.find((candidate) => kubectl.claimRefOf(candidate)?.name === (pvc?.metadata.name ?? name));
    const found = sources.records.get(name);
    const record = found?.record;
    const copied = outputIsCopied(found, { ...place, release: name });
    const runDir = runFolder(sources.outputDir, { ...place, release: name });
    const outcome = job ? jobOutcome(job as JobLike) : undefined;
    const status = entry?.status;
    return {
      name,
      namespace: sources.namespace,
      helm: entry
        ? {
            status: entry.status,
            revision: Number(entry.revision),
            updated: helm.parseHelmTime(entry.updated),
            chart: entry.chart,
            appVersion: entry.app_version,
          }
        : undefined,
      startedAt: (
        releaseStartedAt(sources.app, name) ?? dateOrUndefined(helm.parseHelmTime(entry?.updated))
      )?.toISOString(),
      job: outcome
        ? { state: outcome.state, ...(outcome.state === 'failed' ? { reason: outcome.reason } : {}) }
        : { state: 'gone' },
      commit:
        job?.metadata.annotations?.[COMMIT] ??
        job?.metadata.labels?.[COMMIT] ??
        pvc?.metadata.annotations?.[COMMIT] ??
        pvc?.metadata.labels?.[COMMIT] ??
        (record?.commit || undefined),
      image: (job?.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec
        ?.containers?.[0]?.image,
      pvc: pvc ? pvcFacts(pvc) : undefined,
      volume: volume ? volumeFacts(volume) : undefined,
      output: {
        dir: found?.filesDir ?? filesFolder(runDir),
        record: found?.file ?? `${runDir}/${RUN_RECORD}`,
        recorded: record !== undefined,
        copied,
        ...(found?.legacy ? { legacy: true } : {}),
        ...(copied ? { files: record!.copy.files.length, bytes: record!.copy.totalBytes } : {}),
        ...(record ? { outcome: record.outcome } : {}),
      },
      inputs: inputsOf(name, job, record?.inputs?.secret, sources),
      stuck:
        status && helm.PENDING_STATUSES.includes(status)
          ? stuckFacts(sources.app, sources.namespace, name, status, sources.histories?.get(name))
          : undefined,
      ...(recordedOnly.includes(name) ? { gone: true as const } : {}),
    };
  });
  return rows.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || compareRunNames(a.name, b.name));
}

/**
 * Which Secret a run reads its inputs from: what its Job references (while the Job is there), else what its record
 * says, else its own when that exists; a run that has none of its own but whose Job (or, once the Job is gone, whose
 * absence of one) points at the shared Secret is a run made before per-run inputs.
 */
function inputsOf(
  release: string,
  job: kubectl.KubeObject | undefined,
  recorded: string | undefined,
  sources: Pick<ReleaseSources, 'secrets' | 'sharedSecret'>,
): ReleaseRow['inputs'] {
  const own = inputsSecretName(release);
  const referenced = secretReferencedBy(job);
  const secret =
    referenced ??
    recorded ??
    (sources.secrets.includes(own) || !sources.sharedSecret || !sources.secrets.includes(sources.sharedSecret)
      ? own
      : sources.sharedSecret);
  return {
    secret,
    shared: secret !== own && secret === sources.sharedSecret,
    present: sources.secrets.includes(secret),
  };
}

/** The Secret the Job's container takes its environment from (the first secretKeyRef or secretRef). */
export function secretReferencedBy(job: kubectl.KubeObject | undefined): string | undefined {
  type Container = {
    env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[];
    envFrom?: { secretRef?: { name?: string } }[];
  };
  const containers = (job?.spec as { template?: { spec?: { containers?: Container[] } } } | undefined)?.template?.spec
    ?.containers;
  for (const container of containers ?? []) {
    const fromEnv = container.env?.find((variable) => variable.valueFrom?.secretKeyRef?.name)?.valueFrom?.secretKeyRef;
    if (fromEnv?.name) return fromEnv.name;
    const fromEnvFrom = container.envFrom?.find((source) => source.secretRef?.name)?.secretRef?.name;
    if (fromEnvFrom) return fromEnvFrom;
  }
  return undefined;
}

function groupByRelease(objects: readonly kubectl.KubeObject[]): Map<string, kubectl.KubeObject[]> {
  const groups = new Map<string, kubectl.KubeObject[]>();
  for (const object of objects) {
    const release = object.metadata.labels?.[INSTANCE] ?? object.metadata.name;
    groups.set(release, [...(groups.get(release) ?? []), object]);
  }
  return groups;
}

function newest(objects: readonly kubectl.KubeObject[]): kubectl.KubeObject | undefined {
  return [...objects].sort((a, b) =>
    (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
  )[0];
}

function pvcFacts(pvc: kubectl.KubeObject): NonNullable<ReleaseRow['pvc']> {
  const spec = pvc.spec as { resources?: { requests?: { storage?: string } }; volumeName?: string } | undefined;
  const status = pvc.status as { phase?: string; capacity?: { storage?: string } } | undefined;
  return {
    name: pvc.metadata.name,
    size: status?.capacity?.storage ?? spec?.resources?.requests?.storage,
    phase: pvc.metadata.deletionTimestamp ? 'Terminating' : status?.phase,
    ...(spec?.volumeName ? { volumeName: spec.volumeName } : {}),
  };
}

export function volumeFacts(volume: kubectl.KubeObject): VolumeFacts {
  const spec = volume.spec as
    | {
        persistentVolumeReclaimPolicy?: string;
        capacity?: { storage?: string };
        csi?: { volumeHandle?: string };
        storageClassName?: string;
      }
    | undefined;
  const handle = spec?.csi?.volumeHandle;
  return {
    name: volume.metadata.name,
    phase: (volume.status as { phase?: string } | undefined)?.phase,
    reclaimPolicy: spec?.persistentVolumeReclaimPolicy,
    size: spec?.capacity?.storage,
    // The Linode CSI driver names its volumes `<linode volume id>-<label>`.
    linodeVolumeId: handle && /^\d+-/.test(handle) ? handle.split('-')[0] : undefined,
    storageClass: spec?.storageClassName,
  };
}

/** The revision to roll back to: the newest one that was deployed before the interrupted operation. */
export function lastDeployedRevision(history: readonly helm.HistoryEntry[]): number | undefined {
  const sorted = [...history].sort((a, b) => b.revision - a.revision);
  const current = sorted[0]?.revision;
  const earlier = sorted.filter((entry) => entry.revision !== current);
  return (
    earlier.find((entry) => entry.status === 'deployed') ?? earlier.find((entry) => entry.status === 'superseded')
  )?.revision;
}

export function stuckFacts(
  app: string,
  namespace: string,
  release: string,
  status: helm.ReleaseStatus,
  history?: readonly helm.HistoryEntry[],
): StuckFacts {
  const uninstall = deckhand('uninstall', app, '--release', release, '--recover', '--yes');
  const caution = 'An interrupted helm operation left it locked; if no helm command is still working on it,';
  if (status === 'pending-install') return { status, hint: `${caution} remove it: ${uninstall}` };
  const revision = history ? lastDeployedRevision(history) : undefined;
  const rollback = revision !== undefined ? `helm rollback ${release} ${revision} --namespace ${namespace}` : undefined;
  return {
    status,
    ...(revision !== undefined ? { rollbackRevision: revision } : {}),
    hint: rollback
      ? `${caution} roll it back to revision ${revision} (${rollback}; \`uninstall\` offers it on a terminal) or remove it: ${uninstall}`
      : `${caution} remove it: ${uninstall}`,
  };
}

function dateOrUndefined(iso: string | undefined): Date | undefined {
  return iso ? new Date(iso) : undefined;
}

// ─── Reading them from the cluster ───────────────────────────────────────────────────────────────────────────────

export interface ReadReleasesOptions {
  shell: Runner;
  target: KubeTarget;
  app: string;
  namespace: string;
  outputDir: string;
  /** The Secret the app's runs shared before per-run inputs (the app registry's secret name). */
  sharedSecret?: string;
  /**
   * Release names given on the command line: one the cluster has nothing of still gets a row (marked `gone`) when
   * this machine has its record, so "already gone" is told apart from a name that never was a run.
   */
  named?: readonly string[];
}

/** Five cluster reads, side by side, however many releases there are (plus `helm history` for stuck ones). */
export async function readReleases(options: ReadReleasesOptions): Promise<ReleaseRow[]> {
  const { shell, target, app, namespace } = options;
  const byApp = { namespace, labelSelector: `app.kubernetes.io/name=${app}` };
  const [releases, jobs, pvcs, listed, secrets] = await Promise.all([
    helm.list(shell, target, namespace, releaseFilter(app)),
    kubectl.list(shell, target, 'jobs', byApp),
    kubectl.list(shell, target, 'persistentvolumeclaims', byApp),
    kubectl.listPersistentVolumes(shell, target),
    kubectl.listNames(shell, target, 'secrets', { namespace }),
  ]);
  const volumes = listed.ok ? listed.volumes : [];
  const names = new Set<string>([
    ...releases.map((release) => release.name),
    ...pvcs.map((pvc) => pvc.metadata.labels?.[INSTANCE] ?? pvc.metadata.name),
  ]);
  for (const volume of volumes) {
    const claim = kubectl.claimRefOf(volume);
    if (claim?.namespace === namespace && claim.name && isRunReleaseName(app, claim.name)) names.add(claim.name);
  }
  for (const secret of secrets) {
    const release = secret.replace(/-inputs$/, '');
    if (secret !== release && isRunReleaseName(app, release)) names.add(release);
  }
  const stuck = releases.filter(
    (release) => helm.PENDING_STATUSES.includes(release.status) && release.status !== 'pending-install',
  );
  const recordedOnly = (options.named ?? []).filter((name) => !names.has(name) && isRunReleaseName(app, name));
  for (const name of recordedOnly) names.add(name);
  const place = { cluster: target.cluster, server: target.server, namespace };
  const [records, histories] = await Promise.all([
    Promise.all(
      [...names].map(
        async (name) =>
          [name, await findRunRecord(options.outputDir, { ...place, release: name }).catch(() => undefined)] as const,
      ),
    ),
    Promise.all(
      stuck.map(async (release) => [release.name, await helm.history(shell, target, namespace, release.name)] as const),
    ),
  ]);
  return joinReleases({
    app,
    namespace,
    cluster: target.cluster,
    server: target.server,
    outputDir: options.outputDir,
    releases,
    jobs,
    pvcs,
    volumes,
    records: new Map(records),
    histories: new Map(histories),
    secrets,
    ...(options.sharedSecret ? { sharedSecret: options.sharedSecret } : {}),
    recordedOnly,
  });
}

/**
 * Copying a Job's output off its PVC. The Job's own pod has exited (and `kubectl cp` cannot read a finished pod), so
 * a short-lived helper pod mounts the PVC read-only; its image is small, pinned and has `tar`, it passes Pod Security
 * "restricted", and it is deleted however the copy ends — success, failure or Ctrl-C.
 *
 * Trust but verify: the pod's own `tar` stream is read into a manifest (names and sizes) and checked for entries that
 * could land outside the destination, while `kubectl cp` copies into a staging folder; the staging folder becomes
 * the run's files/ folder only when the manifest is clean and the copy matches it file for file and byte for byte.
 */
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import { readTarManifest, type ManifestEntry } from '../../lib/tar-manifest.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { stuckReason, type EventLike, type PodLike } from '../cluster/pod-diagnosis.ts';
import { createJsonStreamSplitter } from '../../lib/json-stream.ts';
import { LAUNCHER } from '../../lib/hints.ts';
import { plural } from '../../lib/wording.ts';
import { RUN_ID_LABEL } from './release-name.ts';

/** Where the helper pod mounts the PVC. */
export const HELPER_MOUNT = '/data';
const HELPER_CONTAINER = 'copy';
/** The helper pod removes itself after this long even if deckhand dies before deleting it. */
const HELPER_DEADLINE_SECONDS = 3600;
/** Pulling the helper image on a fresh node is the slow part of starting it. */
const READY_TIMEOUT_MS = 5 * 60_000;
/** Listing and copying a volume; large outputs on a slow link take minutes. */
const COPY_TIMEOUT_MS = 10 * 60_000;
/** A stale helper pod from an interrupted run has a one-second grace period; a minute is plenty. */
const STALE_HELPER_DELETE_MS = 60_000;
/** The clean-up delete never waits for the pod to go (its own deadline is the backstop); this bounds the request. */
const HELPER_DELETE_REQUEST_MS = 30_000;

export interface CopyOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  release: string;
  pvcName: string;
  destination: string;
  helperImage: string;
  /** Progress lines. */
  log: (line: string) => void;
  copyTimeoutMs?: number;
  /**
   * The run's id: the PVC must carry it (label deckhand.dev/run-id), so a run never copies the volume of another run
   * that had the same name. Without it, the PVC must at least belong to the release.
   */
  runId?: string;
}

export interface CopyResult {
  destination: string;
  files: ManifestEntry[];
  totalBytes: number;
}

export function helperPodName(release: string): string {
  return `${release}-copy`.slice(0, 63).replace(/-+$/, '');
}

export function helperPodManifest(options: {
  name: string;
  namespace: string;
  release: string;
  pvcName: string;
  image: string;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: {
        'app.kubernetes.io/name': 'deckhand-copy',
        'app.kubernetes.io/instance': options.release,
        'app.kubernetes.io/component': 'copy-helper',
        'app.kubernetes.io/managed-by': 'deckhand',
      },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: HELPER_DEADLINE_SECONDS,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 1,
      // Same non-root identity as the chart's Job, so files it wrote are readable.
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        fsGroup: 10001,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: HELPER_CONTAINER,
          image: options.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', String(HELPER_DEADLINE_SECONDS)],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
          volumeMounts: [{ name: 'output', mountPath: HELPER_MOUNT, readOnly: true }],
        },
      ],
      volumes: [{ name: 'output', persistentVolumeClaim: { claimName: options.pvcName, readOnly: true } }],
    },
  };
}

export async function copyOutput(options: CopyOptions): Promise<CopyResult> {
  const { shell, target, namespace } = options;
  const pod = helperPodName(options.release);
  const manifest = helperPodManifest({
    name: pod,
    namespace,
    release: options.release,
    pvcName: options.pvcName,
    image: options.helperImage,
  });
  const staging = `${options.destination}.partial-${process.pid}`;

  if (shell.dryRun) {
    // The helper pod does not exist in a dry run: the runner shows each command a real copy runs, in order.
    await shell.run(kubectl.createRawArgs(target, kubectl.coreCollectionPath('pods', namespace)), {
      kind: 'write',
      input: JSON.stringify(manifest),
    });
    await shell.run(kubectl.watchArgs(target, namespace, 'pod', pod), { kind: 'read', dependsOnWrites: 'watch' });
    await shell.run(kubectl.execArgs(target, namespace, pod, ['tar', 'cf', '-', HELPER_MOUNT], HELPER_CONTAINER), {
      kind: 'read',
      dependsOnWrites: 'run',
    });
    await shell.run(kubectl.cpArgs(target, namespace, pod, HELPER_MOUNT, staging, HELPER_CONTAINER), { kind: 'write' });
    await shell.run(kubectl.deleteArgs(target, 'pod', pod, { namespace }), { kind: 'write' });
    return { destination: options.destination, files: [], totalBytes: 0 };
  }

  try {
    options.log(`Starting helper pod ${pod} (${options.helperImage}) with PVC ${options.pvcName} mounted read-only.`);
    // Whose PVC it is is read beside the helper's start; nothing is listed or copied before it is known.
    const started = await Promise.allSettled([checkClaimOwner(options), startHelperPod(options, pod, manifest)]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;

    // The listing (the pod's own tar stream, read into names and sizes) and `kubectl cp` run side by side. That is
    // safe because kubectl cp writes only into the staging folder — it skips symbolic links and entries that would
    // land outside it — and the staging folder becomes the run's files/ folder only when the listing is clean and the copy
    // matches it; otherwise it is removed (finally, below).
    await rm(staging, { recursive: true, force: true });
    await mkdir(path.dirname(staging), { recursive: true });
    const copyTimeoutMs = options.copyTimeoutMs ?? COPY_TIMEOUT_MS;
    const [listing, copied] = await Promise.allSettled([
      readVolumeListing(options, pod, copyTimeoutMs),
      shell.run(kubectl.cpArgs(target, namespace, pod, HELPER_MOUNT, staging, HELPER_CONTAINER), {
        kind: 'write',
        timeoutMs: copyTimeoutMs,
      }),
    ]);
    if (listing.status === 'rejected') throw listing.reason;
    const expected = listing.value;
    if (expected.refused.length > 0) {
      throw new DeckhandError(
        `Refused to copy: the volume holds entries that could land outside ${options.destination}:\n${expected.refused.map((line) => `  - ${line}`).join('\n')}`,
        'The partial copy was removed and nothing was deleted. Inspect the volume by hand before copying it.',
      );
    }
    options.log(`The volume holds ${plural(expected.files.length, 'file')} (${formatBytes(expected.totalBytes)}).`);
    if (copied.status === 'rejected') throw copied.reason;
    await verifyCopy(staging, expected.files);
    await moveInto(staging, options.destination);
    options.log(`Copied and verified ${plural(expected.files.length, 'file')} into ${options.destination}.`);
    return { destination: options.destination, files: expected.files, totalBytes: expected.totalBytes };
  } finally {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    // Runs after Ctrl-C too (uninterruptible), and never waits long: the pod's own deadline is the backstop.
    await shell
      .run(kubectl.deleteArgs(target, 'pod', pod, { namespace, wait: false }), {
        kind: 'write',
        uninterruptible: true,
        nothrow: true,
        timeoutMs: HELPER_DELETE_REQUEST_MS,
      })
      .catch(() => undefined);
  }
}

/** The PVC belongs to this release — and, when the run's id is known, to this very run. */
async function checkClaimOwner(options: CopyOptions): Promise<void> {
  const pvc = await kubectl.get(
    options.shell,
    options.target,
    'persistentvolumeclaim',
    options.pvcName,
    options.namespace,
  );
  const labels = pvc?.metadata.labels ?? {};
  const release = labels['app.kubernetes.io/instance'];
  const runId = labels[RUN_ID_LABEL];
  if (!pvc) {
    throw new DeckhandError(
      `PVC ${options.pvcName} is gone: there is nothing to copy.`,
      'Nothing was deleted or copied.',
    );
  }
  if (release !== undefined && release !== options.release) {
    throw new DeckhandError(
      `PVC ${options.pvcName} belongs to release ${release}, not ${options.release}: refusing to copy another run's output.`,
      'Nothing was copied or deleted.',
    );
  }
  if (options.runId !== undefined && runId !== options.runId) {
    throw new DeckhandError(
      `PVC ${options.pvcName} belongs to another run of the name ${options.release} (its ${RUN_ID_LABEL} is ${runId ?? 'not set'}, this run's is ${options.runId}): refusing to copy it.`,
      'Nothing was copied or deleted. See what holds the name with: kubectl get pvc,jobs --show-labels',
    );
  }
}

/** Names and sizes of what the helper pod sees under its mount, from its own tar stream (binary: raw bytes kept). */
async function readVolumeListing(options: CopyOptions, pod: string, timeoutMs: number) {
  const tarChunks: Buffer[] = [];
  await options.shell.run(
    kubectl.execArgs(options.target, options.namespace, pod, ['tar', 'cf', '-', HELPER_MOUNT], HELPER_CONTAINER),
    {
      kind: 'read',
      timeoutMs,
      hint: 'The helper image must contain tar (busybox does).',
      onStdoutData: (chunk) => tarChunks.push(chunk),
    },
  );
  return readTarManifest(Buffer.concat(tarChunks), HELPER_MOUNT);
}

/**
 * Creates the helper pod and waits until it is ready. Observing first would cost a round trip on every run; instead,
 * a helper left by an interrupted run shows itself — apply refuses a changed spec, or the old pod has already ended —
 * and is then replaced once.
 */
async function startHelperPod(options: CopyOptions, pod: string, manifest: Record<string, unknown>): Promise<void> {
  const { shell, target, namespace } = options;
  const replaceStale = async () => {
    options.log(`Replacing the helper pod ${pod} left by an earlier run.`);
    await shell.run(
      kubectl.deleteArgs(target, 'pod', pod, { namespace, wait: true, timeoutMs: STALE_HELPER_DELETE_MS }),
      {
        kind: 'write',
      },
    );
    await shell.run(kubectl.applyArgs(target, { namespace }), { kind: 'write', input: JSON.stringify(manifest) });
  };
  // The watch starts beside the create: it sees the pod appear and become ready without a round trip after it.
  const stopFirstWait = new AbortController();
  const firstWait = waitForPodReady(shell, target, namespace, pod, READY_TIMEOUT_MS, stopFirstWait.signal);
  firstWait.catch(() => undefined);
  // Created, not applied: one request instead of apply's discovery round trips, and a pod of that name left by an
  // interrupted run (AlreadyExists) is replaced rather than reused.
  const applied = await shell.run(kubectl.createRawArgs(target, kubectl.coreCollectionPath('pods', namespace)), {
    kind: 'write',
    input: JSON.stringify(manifest),
    nothrow: true,
  });
  let ready: 'ready' | 'ended' | 'stopped';
  if (applied.exitCode !== 0) {
    stopFirstWait.abort();
    await firstWait.catch(() => undefined);
    ready = 'ended';
  } else {
    ready = await firstWait;
  }
  if (ready === 'ended') {
    await replaceStale();
    if ((await waitForPodReady(shell, target, namespace, pod, READY_TIMEOUT_MS)) !== 'ready') {
      throw new DeckhandError(
        `The helper pod ${pod} ended before the copy could start.`,
        'Run the copy again; if it repeats, check `kubectl describe pod`.',
      );
    }
  }
}

/**
 * Follows the pod until it is Ready ('ready') or has already ended ('ended'); throws when it cannot start.
 * 'stopped' when `stopSignal` ends the wait first.
 */
async function waitForPodReady(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  pod: string,
  timeoutMs: number,
  stopSignal?: AbortSignal,
): Promise<'ready' | 'ended' | 'stopped'> {
  const stop = new AbortController();
  stopSignal?.addEventListener('abort', () => stop.abort(), { once: true });
  let ready = false;
  let ended = false;
  let failure: DeckhandError | undefined;
  const splitter = createJsonStreamSplitter((document) => {
    const object = (document as { object: PodLike }).object;
    const isReady = object.status?.conditions?.some(
      (condition) => condition.type === 'Ready' && condition.status === 'True',
    );
    if (isReady) {
      ready = true;
      stop.abort();
      return;
    }
    const phase = object.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') {
      ended = true;
      stop.abort();
      return;
    }
    if (
      object.status?.containerStatuses?.some(
        (status) => status.state?.waiting?.reason && status.state.waiting.reason !== 'ContainerCreating',
      )
    ) {
      kubectl
        .list<EventLike & kubectl.KubeObject>(shell, target, 'events', {
          namespace,
          fieldSelector: `involvedObject.name=${pod}`,
        })
        .then((events) => {
          const stuck = stuckReason(object, events, [], []);
          if (stuck && !failure) {
            failure = new DeckhandError(
              `The helper pod cannot start: ${stuck.summary}`,
              `${stuck.fix} The helper image is set with DECKHAND_HELPER_IMAGE.`,
            );
            stop.abort();
          }
        })
        .catch(() => undefined);
    }
  });
  const result = await shell.run(kubectl.watchArgs(target, namespace, 'pod', pod), {
    kind: 'read',
    timeoutMs,
    stopSignal: stop.signal,
    onStdoutData: (chunk) => splitter.write(chunk.toString('utf8')),
    hint: `The helper pod ${pod} did not become ready; see \`kubectl describe pod ${pod} -n ${namespace}\`.`,
  });
  if (failure) throw failure;
  if (ended) return 'ended';
  if (stopSignal?.aborted) return 'stopped';
  if (!ready)
    throw new DeckhandError(`The watch on the helper pod ${pod} ended before it was ready: ${result.stderr.trim()}`);
  return 'ready';
}

/** Every expected file is there with its size, and nothing else (no extra files, no links out). */
export async function verifyCopy(staging: string, expected: readonly ManifestEntry[]): Promise<void> {
  const found = new Map<string, number>();
  const problems: string[] = [];
  const walk = async (dir: string) => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && dir === staging && expected.length === 0) return;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(staging, full).split(path.sep).join('/');
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) found.set(relative, (await lstat(full)).size);
      else problems.push(`${relative}: not a regular file`);
    }
  };
  await walk(staging);
  for (const file of expected) {
    const size = found.get(file.path);
    if (size === undefined) problems.push(`${file.path}: missing`);
    else if (size !== file.size) problems.push(`${file.path}: ${plural(size, 'byte')}, expected ${file.size}`);
    found.delete(file.path);
  }
  for (const extra of found.keys()) problems.push(`${extra}: not in the volume's listing`);
  if (problems.length > 0) {
    throw new DeckhandError(
      `The copy could not be verified:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      `Nothing was deleted: the release and its PVC still hold the output. Retry the copy with \`${LAUNCHER} copy <app> --release <release>\`.`,
    );
  }
}

/**
 * The verified staging folder becomes the destination, which holds nothing but the Job's files: a copy made before
 * (copy --force) is replaced whole, and only now that the new one is verified.
 */
async function moveInto(staging: string, destination: string): Promise<void> {
  await mkdir(path.dirname(destination), { recursive: true });
  await mkdir(staging, { recursive: true });
  await rm(destination, { recursive: true, force: true });
  await rename(staging, destination);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The end of `deploy <job app>`: copy the output back (verified), clean up when asked (only after a verified copy),
 * and — however the run ended — write its record and say what to do next.
 */
import path from 'node:path';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, InterruptedError } from '../../lib/errors.ts';
import { commandLines, deckhand } from '../../lib/hints.ts';
import type { JobApp } from '../../apps/index.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { copyOutput, formatBytes } from './copy.ts';
import { jobImage, targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { assertFolderIsFor, writeRunRecord, type RecordedInputs, type RunOutcome } from './record.ts';
import {
  keptVolumeNote,
  monthlyVolumeCost,
  uninstallRelease,
  UNINSTALL_WAIT_MS,
  volumesStillThereError,
  type VolumeAction,
} from './uninstall.ts';
import { lineWidth, plural, wrapWords } from '../../lib/wording.ts';

// ─── Output ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function copyJobOutput(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  const shell = taskShell(run, task);
  const relative = path.relative(run.deps.config.repoRoot, plan.filesDir);
  const target = targetOf(run, plan.namespace);
  task.title = `Copy the output to ${relative}/`;
  try {
    await assertFolderIsFor(plan.runDir, { release: plan.release, namespace: plan.namespace, server: target.server });
    run.copy = await copyOutput({
      shell,
      target,
      namespace: plan.namespace,
      release: plan.release,
      pvcName: plan.release,
      destination: plan.filesDir,
      helperImage: plan.helperImage,
      runId: plan.runId,
      log: (line) => (task.output = line),
    });
  } catch (error) {
    if (error instanceof DeckhandError && !(error instanceof InterruptedError)) {
      const retry = deckhand('copy', run.app.name, '--release', plan.release);
      throw new DeckhandError(error.message, `${error.fix ?? ''} Nothing was deleted. Retry: ${retry}`.trim());
    }
    throw error;
  }
  const files = run.copy.files.length;
  task.title = shell.dryRun
    ? `Copy the output to ${relative}/ (dry run)`
    : `Copied ${plural(files, 'file')} (${formatBytes(run.copy.totalBytes)}) to ${relative}/`;
}

// ─── Clean up ─────────────────────────────────────────────────────────────────────────────────────────────────

export async function cleanUp(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  const shell = taskShell(run, task);
  if (!shell.dryRun && !run.copy) {
    task.skip('The output was not copied and verified: nothing is deleted.');
    return;
  }
  const target = targetOf(run, plan.namespace);
  const deleteVolume = run.flags.deleteVolume === true;
  const what = deleteVolume ? 'its PVC and volume' : 'its PVC';
  task.title = `Uninstall ${plan.release} and delete ${what}`;
  if (shell.dryRun) {
    // Nothing was installed in a dry run, so there is nothing to observe: show the writes a real run starts with.
    const wait = { wait: true, timeoutMs: UNINSTALL_WAIT_MS };
    await shell.run(helm.uninstallArgs(target, plan.namespace, plan.release, wait), { kind: 'write' });
    await shell.run(
      kubectl.deleteArgs(target, 'persistentvolumeclaim', plan.release, { namespace: plan.namespace, ...wait }),
      { kind: 'write' },
    );
    if (deleteVolume) {
      // A real run switches only a volume a Retain policy would keep, then waits until the driver deleted it.
      await shell.run(kubectl.patchReclaimPolicyArgs(target, `<volume of PVC ${plan.release}>`, 'Delete'), {
        kind: 'write',
      });
    }
    task.title = `Uninstall ${plan.release} and delete ${what} (dry run)`;
    return;
  }
  // The same path as the `uninstall` command. A Retained volume goes only with --delete-volume: it is the last copy of
  // the output on the cluster, and deleting it is a choice of its own.
  const result = await uninstallRelease({
    shell,
    target,
    namespace: plan.namespace,
    release: plan.release,
    app: run.app.name,
    deleteRetainedVolumes: deleteVolume,
    log: (line) => (task.output = line),
  });
  run.cleanedUp = true;
  const volumes = (action: VolumeAction) =>
    result.volumes.filter((entry) => entry.action === action).map((entry) => entry.volume);
  run.keptVolumes = volumes('kept');
  const done = [
    `Uninstalled ${plan.release} and deleted its PVC`,
    ...volumes('deleted').map((volume) => `and its volume ${volume.name}`),
  ].join(' ');
  const left = [
    ...volumes('kept').map((volume) => `kept its volume ${volume.name} (still billed)`),
    ...volumes('still-there').map((volume) => `its volume ${volume.name} is still there`),
  ];
  task.title = [done, ...left].join('; ');
  // What a kept volume costs stays under the step; the command that deletes it is in the next steps, whole.
  for (const volume of run.keptVolumes) task.output = keptVolumeNote(volume);
  const stillThere = result.volumes.filter((entry) => entry.action === 'still-there');
  if (stillThere.length > 0)
    throw volumesStillThereError(
      run.app.name,
      stillThere.map((entry) => ({ ...entry, release: plan.release })),
    );
}

// ─── After the run ────────────────────────────────────────────────────────────────────────────────────────────

export async function recordRun(run: DeployRun, error: unknown): Promise<void> {
  const plan = run.plan;
  if (!plan || !run.installed) return;
  const outcome: RunOutcome =
    run.outcome ?? (error instanceof InterruptedError ? 'interrupted' : error ? 'error' : 'complete');
  const record = {
    app: run.app.name,
    release: plan.release,
    namespace: plan.namespace,
    cluster: plan.cluster,
    context: run.target?.context ?? '',
    server: run.target?.server ?? '',
    runId: plan.runId,
    image: jobImage(run),
    inputs: recordedInputs(run.app, plan.inputsSecret, run.inputs ?? {}),
    commit: run.git?.commit ?? '',
    valuesFiles: plan.chart.valuesFiles,
    startedAt: plan.startedAt,
    endedAt: new Date().toISOString(),
    outcome,
    failure:
      run.failure ?? (error instanceof Error && outcome !== 'complete' ? error.message.split('\n')[0] : undefined),
    copy: { verified: Boolean(run.copy), files: run.copy?.files ?? [], totalBytes: run.copy?.totalBytes ?? 0 },
  };
  try {
    const file = await writeRunRecord(plan.runDir, record);
    run.deps.ui.info(`Run record: ${path.relative(run.deps.config.repoRoot, file)}`);
  } catch (failure) {
    // The run's own outcome is what the command reports; a record that cannot be written is said beside it.
    run.deps.ui.warn(`The run record was not written: ${(failure as Error).message}`);
  }
}

/** What run.json says about the inputs: the non-sensitive values, and only the names of the sensitive ones. */
export function recordedInputs(app: JobApp, secret: string, values: Readonly<Record<string, string>>): RecordedInputs {
  const inputs = app.secret.inputs;
  return {
    secret,
    values: Object.fromEntries(
      inputs
        .filter((input) => !input.sensitive && values[input.key] !== undefined)
        .map((input) => [input.key, values[input.key]!]),
    ),
    sensitive: inputs.filter((input) => input.sensitive).map((input) => input.key),
  };
}

/**
 * What to do next, with the exact commands: each on a line of its own, its comment above, so that lines fit `width`
 * (the terminal's, 80 off one) and every command can be copied whole — one too long for a line continues with ` \`.
 */
export function nextSteps(run: DeployRun, width = lineWidth(process.stderr, 120)): string[] {
  const plan = run.plan;
  if (!plan || run.deps.config.dryRun) return [];
  const app = run.app.name;
  const release = ['--release', plan.release];
  const lines: string[] = [];
  const say = (text: string) => lines.push(...wrapWords(text, width));
  const command = (comment: string | undefined, ...parts: string[]) => {
    if (comment) lines.push(...wrapWords(comment, width - 4).map((line) => `  # ${line}`));
    lines.push(...commandLines(width, '  ', ...parts));
  };
  if (run.copy) say(`Output: ${path.relative(run.deps.config.repoRoot, plan.filesDir)}/`);
  if (run.copy && run.cleanedUp) {
    for (const volume of run.keptVolumes ?? []) {
      const cost = monthlyVolumeCost(volume.size);
      say(
        `The volume ${volume.name} is kept by its reclaim policy (${volume.reclaimPolicy ?? 'Retain'}) and billed${cost ? `, ${cost}` : ''}. When you no longer need the copy of the output on it, delete it:`,
      );
      command(undefined, 'uninstall', app, ...release, '--delete-volume');
    }
    return lines;
  }
  if (run.copy) {
    say('The release and its PVC are kept. When you no longer need them:');
    command(undefined, 'uninstall', app, ...release);
    return lines;
  }
  if (!run.installed) return [];
  if (run.neverScheduled) {
    // Nothing ran, so there are no logs and no output: only why the pod waits, and how to remove what waits.
    say('Next steps:');
    lines.push(
      '  # why the pod has no node',
      `  kubectl describe pod ${run.neverScheduled.pod} --namespace ${plan.namespace}`,
    );
    command('remove the release and its PVC (nothing ran)', 'uninstall', app, ...release);
    return lines;
  }
  say('Next steps:');
  command("the Job's logs", 'logs', app, ...release);
  if (run.stuckStatus) {
    // A release helm left pending-* blocks every later helm command on it; plain uninstall asks what to do.
    command(
      `helm was stopped before it finished (the release is ${run.stuckStatus}): remove it, its inputs and its PVC`,
      'uninstall',
      app,
      ...release,
      '--recover',
    );
    return lines;
  }
  command('copy its output when it is done', 'copy', app, ...release);
  command('remove the release and its PVC', 'uninstall', app, ...release);
  return lines;
}

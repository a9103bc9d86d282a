/**
 * The end of `deploy <job app>`: copy the output back (verified), clean up when asked (only after a verified copy),
 * and — however the run ended — write its record and say what to do next.
 */
import path from 'node:path';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, InterruptedError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { JobApp } from '../../apps/index.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { copyOutput, formatBytes } from './copy.ts';
import { jobImage, targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { assertFolderIsFor, RUN_RECORD, writeRunRecord, type RecordedInputs, type RunOutcome } from './record.ts';
import { keptVolumeMessage, uninstallRelease, UNINSTALL_WAIT_MS } from './uninstall.ts';
import { plural } from '../../lib/wording.ts';

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
  task.title = `Uninstall ${plan.release} and delete its PVC`;
  if (shell.dryRun) {
    // Nothing was installed in a dry run, so there is nothing to observe: show the two writes a real run starts with.
    const wait = { wait: true, timeoutMs: UNINSTALL_WAIT_MS };
    await shell.run(helm.uninstallArgs(target, plan.namespace, plan.release, wait), { kind: 'write' });
    await shell.run(
      kubectl.deleteArgs(target, 'persistentvolumeclaim', plan.release, { namespace: plan.namespace, ...wait }),
      { kind: 'write' },
    );
    task.title = `Uninstall ${plan.release} and delete its PVC (dry run)`;
    return;
  }
  // The same path as the `uninstall` command; a Retained volume is kept (deleting it is a separate, explicit choice).
  const result = await uninstallRelease({
    shell,
    target,
    namespace: plan.namespace,
    release: plan.release,
    app: run.app.name,
    deleteRetainedVolumes: false,
    log: (line) => (task.output = line),
  });
  run.cleanedUp = true;
  task.title = `Uninstalled ${plan.release} and deleted its PVC`;
  for (const { volume, action } of result.volumes) {
    if (action === 'kept') task.output = keptVolumeMessage(run.app.name, plan.release, volume);
  }
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

/** What to do next, with the exact commands. */
export function nextSteps(run: DeployRun): string[] {
  const plan = run.plan;
  if (!plan || run.deps.config.dryRun) return [];
  const app = run.app.name;
  const output = `Output: ${path.relative(run.deps.config.repoRoot, plan.filesDir)}/ (record: ${path.relative(run.deps.config.repoRoot, path.join(plan.runDir, RUN_RECORD))})`;
  const release = ['--release', plan.release];
  if (run.copy && run.cleanedUp) return [output];
  if (run.copy) {
    return [
      output,
      `The release and its PVC are kept. When you no longer need them:`,
      `  ${deckhand('uninstall', app, ...release)}`,
    ];
  }
  if (run.installed) {
    return [
      'Next steps:',
      `  ${deckhand('logs', app, ...release)}        # the Job's logs`,
      `  ${deckhand('copy', app, ...release)}        # copy its output when it is done`,
      `  ${deckhand('uninstall', app, ...release)}   # remove the release and its PVC`,
    ];
  }
  return [];
}

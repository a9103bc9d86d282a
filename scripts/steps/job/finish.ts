/**
 * The end of `deploy <job app>`: copy the output back (verified), clean up when asked (only after a verified copy),
 * and — however the run ended — write its record and say what to do next.
 */
import path from 'node:path';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, InterruptedError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { formatImageReference } from '../../lib/image-ref.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { copyOutput, formatBytes } from './copy.ts';
import { targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { writeRunRecord, type RunOutcome } from './record.ts';
import { keptVolumeMessage, uninstallRelease, UNINSTALL_WAIT_MS } from './uninstall.ts';
import { plural } from '../../lib/wording.ts';

// ─── Output ───────────────────────────────────────────────────────────────────────────────────────────────────

export async function copyJobOutput(run: DeployRun, task: StepTask): Promise<void> {
  const plan = run.plan!;
  const shell = taskShell(run, task);
  const relative = path.relative(run.deps.config.repoRoot, plan.outputDir);
  task.title = `Copy the output to ${relative}/`;
  try {
    run.copy = await copyOutput({
      shell,
      target: targetOf(run, plan.namespace),
      namespace: plan.namespace,
      release: plan.release,
      pvcName: plan.release,
      destination: plan.outputDir,
      helperImage: plan.helperImage,
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
  const image = {
    repository: plan.image.repository,
    tag: plan.image.tag,
    ...(run.digest ? { digest: run.digest } : {}),
  };
  const file = await writeRunRecord(plan.outputDir, {
    app: run.app.name,
    release: plan.release,
    namespace: plan.namespace,
    context: run.target?.context ?? '',
    server: run.target?.server ?? '',
    image: { ...image, reference: formatImageReference(image) },
    commit: run.git?.commit ?? '',
    valuesFiles: plan.chart.valuesFiles,
    startedAt: plan.startedAt,
    endedAt: new Date().toISOString(),
    outcome,
    failure:
      run.failure ?? (error instanceof Error && outcome !== 'complete' ? error.message.split('\n')[0] : undefined),
    copy: { verified: Boolean(run.copy), files: run.copy?.files ?? [], totalBytes: run.copy?.totalBytes ?? 0 },
  });
  run.deps.ui.info(`Run record: ${path.relative(run.deps.config.repoRoot, file)}`);
}

/** What to do next, with the exact commands. */
export function nextSteps(run: DeployRun): string[] {
  const plan = run.plan;
  if (!plan || run.deps.config.dryRun) return [];
  const app = run.app.name;
  const output = `Output: ${path.relative(run.deps.config.repoRoot, plan.outputDir)}/`;
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

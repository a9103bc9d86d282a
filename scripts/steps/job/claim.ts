/**
 * Making a run its own, however many start in the same second (two terminals, two CI jobs):
 *
 *   1. its inputs Secret, `<release>-inputs`, is created with create-if-absent semantics (`kubectl create`): a name
 *      whose Secret exists belongs to another run, so the run moves on to the next name (`…-2`, `…-3`);
 *   2. its release is created with `helm install`, never `upgrade --install`: helm stores the release record with
 *      create-if-absent semantics before it creates any object, so a name held by a release made without such a
 *      Secret (by hand, or before per-run inputs) fails the install with nothing changed — the run then gives its
 *      Secret back and takes the next name.
 *
 * The Job the run then follows and copies is recognised by the run's id label (deckhand.dev/run-id), not its name.
 */
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { commandFailure, type Runner } from '../../lib/shell.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { secretManifest } from '../cluster/namespace.ts';
import { jobImage, releaseValues, targetOf, taskShell, type DeployRun } from './deploy-run.ts';
import { startFollowing } from './follow.ts';
import { claimReleaseName } from './plan.ts';
import { nextReleaseName, RUN_ID_LABEL } from './release-name.ts';

/** helm's own wait for the release's objects; the Job itself is followed afterwards, with the run's timeout. */
const INSTALL_TIMEOUT_MS = 5 * 60_000;
/** The helm process gets a minute more than its own timeout, to report it. */
const INSTALL_PROCESS_TIMEOUT_MS = INSTALL_TIMEOUT_MS + 60_000;
/** Creating or deleting one Secret. */
const SECRET_WRITE_TIMEOUT_MS = 60_000;

/** The labels of a run's inputs Secret: which app and run it belongs to (uninstall finds it by them). */
export function inputsSecretLabels(app: string, release: string, runId: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/instance': release,
    'app.kubernetes.io/component': 'inputs',
    'app.kubernetes.io/part-of': app,
    [RUN_ID_LABEL]: runId,
  };
}

/**
 * Creates the run's inputs Secret under the plan's release name, moving to the next name while the Secret of that
 * name exists (another run holds it). Afterwards `run.plan` names the release this run holds.
 */
export async function createInputsSecret(run: DeployRun, shell: Runner, target: KubeTarget): Promise<void> {
  for (;;) {
    const plan = run.plan!;
    const manifest = secretManifest({
      name: plan.inputsSecret,
      namespace: plan.namespace,
      values: run.inputs!,
      labels: inputsSecretLabels(run.app.name, plan.release, plan.runId),
    });
    const result = await shell.run(
      kubectl.createRawArgs(target, kubectl.coreCollectionPath('secrets', plan.namespace)),
      {
        kind: 'write',
        input: JSON.stringify(manifest),
        nothrow: true,
        timeoutMs: SECRET_WRITE_TIMEOUT_MS,
      },
    );
    if (result.exitCode === 0) {
      run.inputsSecretCreated = !shell.dryRun;
      return;
    }
    if (!kubectl.isAlreadyExists(result.stderr)) {
      throw commandFailure(shell, result, 'Does your kubeconfig user have permission to create Secrets?');
    }
    takeNextName(run, `its inputs Secret ${plan.inputsSecret} exists`);
  }
}

export async function installRelease(run: DeployRun, task: StepTask): Promise<void> {
  const target = targetOf(run, run.plan!.namespace);
  const shell = taskShell(run, task);
  for (;;) {
    const plan = run.plan!;
    task.title = `Install release ${plan.release}`;
    // The watches start first: they see the Job appear, and the wait loses no time after helm returns.
    if (!shell.dryRun) run.following = startFollowing(run, target);
    run.installAttempted = true;
    let result;
    try {
      result = await shell.run(
        helm.installArgs(target, {
          release: plan.release,
          chart: plan.chart.path,
          namespace: plan.namespace,
          valuesFiles: plan.chart.valuesFiles,
          setString: releaseValues(run),
          timeoutMs: INSTALL_TIMEOUT_MS,
        }),
        { kind: 'write', cwd: run.deps.config.repoRoot, timeoutMs: INSTALL_PROCESS_TIMEOUT_MS, nothrow: true },
      );
    } catch (error) {
      run.following?.stop();
      throw error;
    }
    if (result.exitCode === 0) break;
    run.following?.stop();
    if (!helm.releaseNameTaken(result.stderr)) throw commandFailure(shell, result);
    // Helm refused before creating anything: the name belongs to a release this run did not make.
    await deleteInputsSecret(run, shell, target);
    takeNextName(run, 'a release of that name exists');
    task.output = `Release name ${plan.release} is taken (a release of that name exists): trying ${run.plan!.release}`;
    await createInputsSecret(run, shell, target);
  }
  const plan = run.plan!;
  run.installed = !shell.dryRun;
  const reference = jobImage(run).reference;
  task.title = shell.dryRun
    ? `Install release ${plan.release} (dry run)`
    : `Installed release ${plan.release} running ${reference}`;
}

/**
 * After a run whose install never reported success (it failed, or Ctrl-C came while helm ran), or that stopped before
 * it: when helm stored the release anyway, the run has its release — it counts as installed, so its record is written
 * and its next steps shown; when it did not, its inputs Secret is deleted, so no run's inputs linger without a run.
 * Runs after Ctrl-C too.
 */
export async function discardUnusedInputs(run: DeployRun): Promise<void> {
  const plan = run.plan;
  if (!plan || !run.inputsSecretCreated || run.installed || !run.target) return;
  const shell = run.deps.shell;
  if (run.installAttempted) {
    // An install that failed or was interrupted after helm stored the release leaves a release that uses the Secret;
    // uninstall removes the two together.
    const status = await shell.run(helm.statusArgs(run.target, plan.namespace, plan.release), {
      kind: 'read',
      nothrow: true,
      uninterruptible: true,
    });
    if (status.exitCode === 0) {
      run.installed = true;
      run.stuckStatus = pendingStatus(status.stdout);
      return;
    }
    if (!/release: not found/i.test(status.stderr)) return;
  }
  await deleteInputsSecret(run, shell, run.target).catch(() => undefined);
}

/** `pending-install` (and the like) from `helm status --output json`; undefined for a settled release. */
function pendingStatus(json: string): string | undefined {
  try {
    const state = (JSON.parse(json) as { info?: { status?: string } }).info?.status;
    return state?.startsWith('pending-') ? state : undefined;
  } catch {
    return undefined;
  }
}

async function deleteInputsSecret(run: DeployRun, shell: Runner, target: KubeTarget): Promise<void> {
  const plan = run.plan!;
  await shell.run(kubectl.deleteArgs(target, 'secret', plan.inputsSecret, { namespace: plan.namespace }), {
    kind: 'write',
    uninterruptible: true,
    timeoutMs: SECRET_WRITE_TIMEOUT_MS,
  });
  run.inputsSecretCreated = false;
}

function takeNextName(run: DeployRun, why: string): void {
  const plan = run.plan!;
  const next = nextReleaseName(plan.release);
  if (!next) {
    throw new DeckhandError(
      `Every name for a run started at ${plan.startedAt} is taken (the last one tried: ${plan.release}, because ${why}).`,
      'Start the run again: it gets the name of the new second.',
    );
  }
  run.plan = claimReleaseName(plan, next);
  run.renamedFrom = [...(run.renamedFrom ?? []), plan.release];
}

/**
 * The steps of `deploy <service>` that change the cluster, phase by phase: the foundation and the Deployments the
 * others need (Postgres, until it is ready), then the app's own Deployments (watched, undone on failure), then the
 * Ingress. Each phase writes only what differs from what the cluster holds, so a deploy that changes nothing writes
 * nothing and starts no roll-out.
 */
import { plural } from '../../lib/wording.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, NetworkError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { WatchConnectionLost } from '../cluster/resumable-watch.ts';
import { withOutcome } from './change-cause.ts';
import { CHANGE_CAUSE, objectKey, REVISION } from './compare.ts';
import { startReadsAhead } from './deploy.ts';
import { secretNames, targetOf, taskShell, type DeploymentRollout, type ServiceDeployRun } from './deploy-run.ts';
import { desiredObjects, desiredSecrets, impossibleReferences } from './desired.ts';
import { applyPhase, type AppliedPhase } from './apply.ts';
import { kindsOf, nothingLive, readLive } from './live.ts';
import { containerImages, isDeployment, type DeploymentManifest, type Manifest } from './manifests.ts';
import { undoRollouts, recordOutcome } from './undo.ts';
import { watchRollout, type RolloutTarget } from './watch.ts';

/** Beyond the Deployments' own progress deadline (default 600 s), the watch's backstop. */
const WATCH_MARGIN_MS = 60_000;
const LOG_PREFIX = '│';

// ─── Namespace, policies, Secret, ConfigMaps; then Postgres, ready ───────────────────────────────────────────

export async function prepareCluster(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const problems = impossibleReferences(run);
  if (problems.length > 0) {
    throw new DeckhandError(
      `The manifests read config that no roll-out writes, so their pods would never start (CreateContainerConfigError):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      `Add the key to the app's inputs (scripts/apps/${run.app.name}.ts) or the ConfigMap, or drop the reference. Nothing was changed.`,
    );
  }
  await readCluster(run, task);
  const { phases } = run.plan!;
  stopIfABuildFailed(run);
  await applyPhase(run, task, desiredObjects(run, phases.foundation), desiredSecrets(run));
  stopIfABuildFailed(run);
  const readyFirst = desiredObjects(run, phases.readyFirst);
  const applied = await applyPhase(run, task, readyFirst);
  await rollOut(run, task, readyFirst, applied, { waitUntilAvailable: true });
  const names = run.app.readyFirst.join(', ');
  task.title = run.deps.config.dryRun
    ? `Prepare the cluster, then ${names} (dry run)`
    : `Prepared the cluster; ${names} ready`;
}

function stopIfABuildFailed(run: ServiceDeployRun): void {
  if (run.stopCluster.signal.aborted)
    throw new DeckhandError('Stopped: an image build failed, so nothing more is applied.');
}

/** What the cluster holds now: the reads started with the prerequisites (fresh ones after a prompt). */
async function readCluster(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const shell = taskShell(run, task);
  if (shell.dryRun) {
    const objects = (run.entries ?? []).map((entry) => entry.object);
    run.live = run.clusterReadable
      ? await readLive(shell, targetOf(run), run.namespace, kindsOf(objects), secretNames(run))
      : nothingLive();
    return;
  }
  if (!run.reads || run.inputsPrompted) startReadsAhead(run);
  const { version, state } = await run.reads!.settled;
  for (const line of run.reads!.lines) task.output = line;
  // When the cluster does not answer, its check's error (with the kubeconfig hint) is the one reported.
  if (version.status === 'rejected') throw version.reason;
  run.clusterReadable = true;
  task.output = `Cluster ${run.target!.server} answers (Kubernetes ${version.value})`;
  if (state.status === 'rejected') throw state.reason;
  run.live = state.value;
  run.reachedCluster = true;
}

// ─── The app's Deployments ────────────────────────────────────────────────────────────────────────────────────

export async function rollOutApp(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const objects = run.plan!.phases.app;
  const names = objects.filter(isDeployment).map((deployment) => deployment.metadata.name);
  task.title = `Roll out ${names.join(' and ')}`;
  const desired = desiredObjects(run, objects);
  const applied = await applyPhase(run, task, desired);
  await rollOut(run, task, desired, applied, { waitUntilAvailable: false });
  const rolled = names.filter((name) => run.deployments.get(name)?.result === 'rolled out');
  if (run.deps.config.dryRun) task.title = `Roll out ${names.join(' and ')} (dry run)`;
  else if (rolled.length === 0) task.skip(`${names.join(' and ')}: unchanged, nothing to roll out`);
  else
    task.title = `Rolled out ${rolled.map((name) => `${name} (revision ${run.deployments.get(name)!.revision})`).join(', ')}`;
}

export async function applyIngress(run: ServiceDeployRun, task: StepTask): Promise<void> {
  const objects = run.plan!.phases.ingress;
  if (objects.length === 0) return task.skip('The manifests have no Ingress.');
  await applyPhase(run, task, desiredObjects(run, objects));
  const hosts = objects.flatMap((ingress) =>
    ((ingress['spec'] as { rules?: { host?: string }[] }).rules ?? []).map((rule) => rule.host ?? '*'),
  );
  task.title = run.deps.config.dryRun
    ? `Apply the Ingress: ${hosts.join(', ')} (dry run)`
    : `Applied the Ingress: ${hosts.join(', ')}`;
}

// ─── Rolling out one phase's Deployments ──────────────────────────────────────────────────────────────────────

async function rollOut(
  run: ServiceDeployRun,
  task: StepTask,
  objects: readonly Manifest[],
  applied: AppliedPhase,
  options: { waitUntilAvailable: boolean },
): Promise<void> {
  const shell = taskShell(run, task);
  const target = targetOf(run);
  const deployments = objects.filter(isDeployment);
  const targets: RolloutTarget[] = [];
  const rollouts: DeploymentRollout[] = [];
  for (const deployment of deployments) {
    const rollout = trackRollout(run, deployment, applied);
    rollouts.push(rollout);
    if (rollout.changed)
      targets.push({
        deployment: rollout.name,
        generation: applied.after.get(objectKey(deployment))!.metadata.generation ?? 1,
      });
    else if (options.waitUntilAvailable && !isAvailable(run.live!.objects.get(objectKey(deployment))))
      targets.push({ deployment: rollout.name });
  }
  if (shell.dryRun) {
    // The new revisions do not exist in a dry run: the runner shows the watch a real run starts.
    await shell.run(kubectl.listWatchArgs(target, 'deployments', { namespace: run.namespace }), {
      kind: 'read',
      dependsOnWrites: 'watch',
    });
    return;
  }
  if (targets.length === 0) return;
  const timeoutMs =
    Math.max(...deployments.map((deployment) => Number(deployment.spec['progressDeadlineSeconds'] ?? 600))) * 1000 +
    WATCH_MARGIN_MS;
  const watched = await watchRollout({
    shell,
    target,
    namespace: run.namespace,
    targets,
    timeoutMs,
    onLogLine: (line, deployment) => (task.output = `${LOG_PREFIX} ${deployment}: ${line}`),
    onNote: (line) => (task.output = line),
    stopSignal: run.stopCluster.signal,
    retry: run.deps.config.watchRetry,
  }).catch((error: unknown) => {
    if (!(error instanceof WatchConnectionLost)) throw error;
    // Nothing is undone: with the API away an undo could not be applied, and the roll-out may well succeed.
    throw new NetworkError(
      `Lost the connection to the cluster's API while watching the roll-out of ${targets.map((item) => item.deployment).join(', ')} (${plural(error.attempts, 'attempt')} in a row failed): ${error.reason}`,
      `The roll-out goes on in the cluster. When the API answers again, see where it got: ${deckhand('status', run.app.name)}`,
      { cause: error },
    );
  });
  const changed = rollouts.filter((rollout) => rollout.changed);
  for (const rollout of changed) {
    rollout.revision = watched.revisions[rollout.name] ?? rollout.revision;
    rollout.replicaSet = watched.newReplicaSets[rollout.name];
  }
  if (watched.outcome === 'complete') {
    await Promise.all(
      changed.map((rollout) => {
        rollout.result = 'rolled out';
        return recordOutcome(
          shell,
          target,
          run.namespace,
          `deployment/${rollout.name}`,
          withOutcome(rollout.changeCause!, 'rolled out'),
        );
      }),
    );
    return;
  }
  const failure = watched.failure!;
  for (const rollout of changed) rollout.result = rollout.name in watched.revisions ? 'rolled out' : 'failed';
  run.failure = failure.diagnosis.summary;
  const reason = failure.diagnosis.summary.split(/(?<=\.)\s/)[0]!;
  let ending: string[];
  if (run.flags.rollback && changed.length > 0) {
    ending = await undoRollouts({
      shell,
      target,
      namespace: run.namespace,
      rollouts: changed,
      failed: failure.deployment,
      reason,
      timeoutMs,
      log: (line) => (task.output = line),
    });
  } else {
    await Promise.all(
      changed.map((rollout) => {
        rollout.result = 'left failed';
        return recordOutcome(
          shell,
          target,
          run.namespace,
          `deployment/${rollout.name}`,
          withOutcome(rollout.changeCause!, `failed: ${reason}`),
        );
      }),
    );
    ending =
      changed.length > 0
        ? [
            `Left as it is (--no-rollback): ${changed.map((rollout) => rollout.name).join(', ')}. Undo it with ${deckhand('rollback', run.app.name, '--deployment', changed[0]!.name)}`,
          ]
        : [];
  }
  run.outcome = changed.some((rollout) => rollout.result === 'rolled back') ? 'rolled-back' : 'failed';
  for (const line of ending) task.output = line;
  throw rolloutError(run, failure, ending);
}

/** The bookkeeping of one Deployment of the phase: what ran before, what this roll-out runs, whether it changed. */
function trackRollout(run: ServiceDeployRun, deployment: DeploymentManifest, applied: AppliedPhase): DeploymentRollout {
  const key = objectKey(deployment);
  const before = run.live!.objects.get(key) as DeploymentManifest | undefined;
  const after = applied.after.get(key) as DeploymentManifest | undefined;
  const generation = (object: Manifest | undefined) => object?.metadata.generation ?? 0;
  const previousRevision = before?.metadata.annotations?.[REVISION];
  const rollout: DeploymentRollout = {
    name: deployment.metadata.name,
    changed: !run.deps.config.dryRun && (!before || generation(after) > generation(before)),
    ...(previousRevision ? { previousRevision: Number(previousRevision) } : {}),
    previousImages: before ? containerImages(before) : [],
    images: containerImages(deployment),
    ...(after?.metadata.annotations?.[REVISION] ? { revision: Number(after.metadata.annotations[REVISION]) } : {}),
    changeCause: deployment.metadata.annotations?.[CHANGE_CAUSE] ?? '',
    result: 'unchanged',
  };
  run.deployments.set(rollout.name, rollout);
  return rollout;
}

function isAvailable(deployment: Manifest | undefined): boolean {
  if (!deployment) return false;
  const replicas = Number((deployment['spec'] as { replicas?: number } | undefined)?.replicas ?? 1);
  return (
    Number((deployment['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0) >= replicas
  );
}

function rolloutError(
  run: ServiceDeployRun,
  failure: NonNullable<Awaited<ReturnType<typeof watchRollout>>['failure']>,
  ending: readonly string[],
): DeckhandError {
  const quote = (lines: readonly string[]) => lines.map((line) => `  ${LOG_PREFIX} ${line}`).join('\n');
  const logs =
    failure.lastLogLines.length > 0
      ? `\nLast log lines${failure.pod ? ` of ${failure.pod}` : ''}:\n${quote(failure.lastLogLines)}`
      : '';
  const events = failure.events.length > 0 ? `\nEvents:\n${quote(failure.events)}` : '';
  const what = ending.length > 0 ? `\n${ending.join('\n')}` : '';
  const app = run.app.name;
  const look = failure.pod
    ? `Look closer: ${deckhand('logs', app, '--deployment', failure.deployment, '--previous')} · ${deckhand('status', app)}`
    : `Look closer: ${deckhand('status', app)}`;
  return new DeckhandError(
    `Deployment ${failure.deployment} did not roll out: ${failure.diagnosis.summary}${logs}${events}${what}`,
    `${failure.diagnosis.fix}\n  ${look}`,
  );
}

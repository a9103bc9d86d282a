/**
 * Undoing a failed roll-out: each Deployment it changed goes back, with `kubectl rollout undo --to-revision`, to the
 * revision that ran before — its old ReplicaSet, image and change-cause — and that is watched like any roll-out. The
 * failed revision stays in the history with its change-cause saying how it ended. A Deployment this roll-out created
 * has nothing to go back to and is left as it is (said so). Secrets and ConfigMaps are not undone.
 */
import * as kubectl from '../../kubectl.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { withOutcome } from './change-cause.ts';
import { CHANGE_CAUSE } from './compare.ts';
import type { DeploymentRollout } from './deploy-run.ts';
import { watchRollout, type RolloutWatchResult } from './watch.ts';

export interface UndoOptions {
  shell: Runner;
  target: KubeTarget;
  namespace: string;
  rollouts: readonly DeploymentRollout[];
  /** The Deployment whose roll-out failed. */
  failed: string;
  /** One line: why the roll-out failed, for the failed revisions' change-cause. */
  reason: string;
  timeoutMs: number;
  log: (line: string) => void;
}

/** Undoes what can be undone; returns one sentence per Deployment on what happened to it. */
export async function undoRollouts(options: UndoOptions): Promise<string[]> {
  const { shell, target, namespace } = options;
  const sentences: string[] = [];
  const undoable = options.rollouts.filter((rollout) => rollout.changed && rollout.previousRevision !== undefined);
  const failedIsNew = options.rollouts.find(
    (rollout) => rollout.name === options.failed && rollout.previousRevision === undefined,
  );
  if (failedIsNew) {
    failedIsNew.result = 'left failed';
    sentences.push(`${failedIsNew.name} is new: there is no earlier revision to go back to, so it was left as it is.`);
  }
  if (undoable.length === 0) return sentences;
  options.log(
    `Rolling back ${undoable.map((rollout) => `${rollout.name} to revision ${rollout.previousRevision}`).join(', ')} …`,
  );
  await Promise.all(
    undoable.map((rollout) =>
      shell.run(kubectl.rolloutUndoArgs(target, namespace, rollout.name, rollout.previousRevision), {
        kind: 'write',
        hint: `See the revisions: kubectl rollout history deployment/${rollout.name} --namespace ${namespace}`,
      }),
    ),
  );
  const generations = await Promise.all(
    undoable.map(async (rollout) => {
      const path = kubectl.resourcePath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: rollout.name });
      const deployment = await kubectl.getByPath(shell, target, path);
      // The undo wrote a new template: the watch waits for the controller to see that generation.
      return { deployment: rollout.name, generation: deployment?.metadata.generation ?? 0 };
    }),
  );
  let watched: RolloutWatchResult;
  try {
    watched = await watchRollout({
      shell,
      target,
      namespace,
      targets: generations,
      timeoutMs: options.timeoutMs,
      onLogLine: (line, deployment) => options.log(`│ ${deployment}: ${line}`),
      onNote: options.log,
    });
  } catch (error) {
    watched = {
      outcome: 'failed',
      revisions: {},
      newReplicaSets: {},
      failure: {
        deployment: undoable[0]!.name,
        diagnosis: { summary: error instanceof Error ? error.message : String(error), fix: '' },
        lastLogLines: [],
        events: [],
      },
    };
  }
  await Promise.all(
    undoable.map(async (rollout) => {
      const images = rollout.previousImages.join(', ');
      rollout.rolledBackTo = { revision: rollout.previousRevision!, images: rollout.previousImages };
      if (watched.outcome === 'complete' || watched.failure?.deployment !== rollout.name) {
        rollout.result = 'rolled back';
        sentences.push(`${rollout.name} rolled back to revision ${rollout.previousRevision}, image ${images}.`);
      } else {
        rollout.result = 'failed';
        sentences.push(
          `${rollout.name} was rolled back to revision ${rollout.previousRevision} (image ${images}), but that did not become available either: ${watched.failure.diagnosis.summary}`,
        );
      }
      // The failed revision is an old ReplicaSet now: the controller no longer copies annotations onto it.
      if (rollout.replicaSet && rollout.changeCause) {
        const outcome = `failed: ${options.reason}; rolled back to revision ${rollout.previousRevision}`;
        await recordOutcome(
          shell,
          target,
          namespace,
          `replicaset/${rollout.replicaSet}`,
          withOutcome(rollout.changeCause, outcome),
        );
      }
    }),
  );
  return sentences;
}

/** Writes how a roll-out ended into a change-cause (a metadata-only patch: it starts nothing). */
export async function recordOutcome(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  resource: string,
  cause: string,
): Promise<void> {
  await shell.run(kubectl.annotateArgs(target, namespace, resource, { [CHANGE_CAUSE]: cause }), {
    kind: 'write',
    nothrow: true,
  });
}

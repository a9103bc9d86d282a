/** The end of `deploy <service>`, however it went: the roll-out record, and what to do next. */
import path from 'node:path';
import { InterruptedError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { ServiceDeployRun } from './deploy-run.ts';
import { imageReferences } from './desired.ts';
import { objectSummary, writeRolloutRecord } from './record.ts';

export async function recordRollout(run: ServiceDeployRun, error: unknown): Promise<void> {
  const plan = run.plan;
  if (!plan || !run.reachedCluster) return;
  const rollouts = [...run.deployments.values()];
  const outcome =
    run.outcome ??
    (error instanceof InterruptedError
      ? 'interrupted'
      : error
        ? 'error'
        : rollouts.some((rollout) => rollout.result === 'rolled out')
          ? 'rolled-out'
          : 'unchanged');
  run.outcome = outcome;
  const references = imageReferences(run);
  const file = await writeRolloutRecord(run.deps.config.stateRoot, {
    app: run.app.name,
    namespace: plan.namespace,
    context: run.target?.context ?? '',
    server: run.target?.server ?? '',
    commit: plan.commit,
    who: plan.who,
    startedAt: plan.startedAt,
    endedAt: new Date().toISOString(),
    outcome,
    ...(run.failure || (error instanceof Error && outcome !== 'rolled-out')
      ? { failure: run.failure ?? (error as Error).message.split('\n')[0] }
      : {}),
    images: plan.images.map(({ image, plan: imagePlan }) => ({
      name: image.name,
      reference: references.get(`${image.deployment}/${image.container}`) ?? '',
      ...(run.digests[image.name] ? { digest: run.digests[image.name] } : {}),
      built: Boolean(imagePlan.build),
    })),
    deployments: rollouts.map(({ name, result, revision, previousRevision, rolledBackTo, images }) => ({
      name,
      result,
      ...(revision !== undefined ? { revision } : {}),
      ...(previousRevision !== undefined ? { previousRevision } : {}),
      ...(rolledBackTo ? { rolledBackTo } : {}),
      images,
    })),
    objects: objectSummary(run.objects),
  });
  run.deps.ui.info(`Roll-out record: ${path.relative(run.deps.config.repoRoot, file)}`);
}

/** The closing line of a roll-out that went through. */
export function successMessage(run: ServiceDeployRun): string {
  if (run.deps.config.dryRun) return 'Dry run done: nothing was changed.';
  const rolled = [...run.deployments.values()].filter((rollout) => rollout.result === 'rolled out');
  if (rolled.length === 0) return `${run.app.name} is up to date: nothing changed, nothing was rolled out.`;
  return `${run.app.name} rolled out: ${rolled.map((rollout) => `${rollout.name} revision ${rollout.revision}`).join(', ')}. See it: ${deckhand('status', run.app.name)}`;
}

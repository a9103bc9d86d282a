/**
 * `rollback <service>`: one Deployment back to an earlier revision. Every question is answered before anything
 * changes — which revision (--to-revision, or a picker on a terminal listing each Deployment's revisions with commit,
 * image and time), then a confirmation (or --yes) — and off a terminal nothing is guessed (exit 2). The roll-back is
 * `kubectl rollout undo --to-revision` and is watched like a deploy; its revision's change-cause says who went back.
 */
import { findServiceApp, type ServiceApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { rollback } from '../../cli/commands/service.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Choice } from '../../lib/prompts.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { changeCause, shortImage, whoRollsOut, withOutcome } from './change-cause.ts';
import { ageOf } from '../../lib/duration.ts';
import { readServiceState, revisionsOf, unknownDeployment, type Revision } from './state.ts';
import { recordOutcome } from './undo.ts';
import { watchRollout } from './watch.ts';

const ROLLBACK_WATCH_MS = 10 * 60_000;

export interface RollbackRun {
  shell: Runner;
  app: ServiceApp;
  target: KubeTarget;
  namespace: string;
  from: Revision;
  to: Revision;
  who: string;
  dryRun: boolean;
  /** The revision the roll-back made (a new number for the old ReplicaSet). */
  newRevision?: number;
}

export async function prepareRollback(ctx: CommandContext<typeof rollback>): Promise<RollbackRun> {
  const app = findServiceApp(ctx.invocation.args.app, 'rollback');
  const { options, flags } = ctx.invocation;
  const given = options.deployment;
  if (given !== undefined && !app.deployments.includes(given)) throw unknownDeployment(app, given);
  const toRevision = options['to-revision'] === undefined ? undefined : parseRevision(options['to-revision']);
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  const state = await readServiceState(ctx.shell, target, target.namespace);
  const names = given ? [given] : toRevision !== undefined ? [app.images[0]!.deployment] : app.deployments;
  const revisions = names.flatMap((name) => {
    const deployment = state.deployments.find((candidate) => candidate.metadata.name === name);
    return deployment ? revisionsOf(deployment, state.replicaSets) : [];
  });
  const now = new Date();
  const listed = (deployment: string) =>
    revisions
      .filter((revision) => revision.deployment === deployment)
      .map((revision) => `${revision.revision}${revision.current ? ' (running)' : ''}`)
      .join(', ');

  let to: Revision | undefined;
  if (toRevision !== undefined) {
    const name = names[0]!;
    to = revisions.find((revision) => revision.deployment === name && revision.revision === toRevision);
    if (!to) {
      throw new UsageError(
        `Deployment ${name} has no revision ${toRevision} in namespace ${target.namespace}.`,
        `Its revisions: ${listed(name) || 'none (it is not rolled out)'}. See them with ${deckhand('status', app.name)}.`,
      );
    }
  } else {
    const choices = revisions.filter((revision) => !revision.current).map((revision) => choiceOf(revision, now));
    if (choices.length === 0) {
      throw new UsageError(
        `${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} no earlier revision to go back to (revisionHistoryLimit keeps a few; a first roll-out has none).`,
      );
    }
    // A script needs no picker when there is one choice: it is taken and said (the roll-back is still confirmed).
    const only = choices.length === 1 && !ctx.prompter.interactive ? choices[0]!.value : undefined;
    if (only)
      ctx.ui.info(
        `No --to-revision given: using revision ${only.revision} of ${only.deployment} (${describe(only)}), the only earlier revision to go back to.`,
      );
    to =
      only ??
      (await ctx.prompter.select(
        { message: `Roll ${app.name} back to which revision? (newest first)`, choices },
        {
          what: 'the revision to roll back to',
          howToProvide: `pass --to-revision N (and --deployment NAME; revisions of ${names[0]}: ${listed(names[0]!)})`,
        },
      ));
  }
  const from = revisions.find((revision) => revision.deployment === to.deployment && revision.current);
  if (!from)
    throw new DeckhandError(
      `Deployment ${to.deployment} reports no current revision; it may be rolling out now.`,
      `Wait for it: ${deckhand('status', app.name)}`,
    );
  if (from.revision === to.revision)
    throw new UsageError(`${to.deployment} already runs revision ${to.revision}: nothing to roll back.`);
  const question = `Roll ${to.deployment} back from revision ${from.revision} (${describe(from)}) to revision ${to.revision} (${describe(to)})?`;
  if (!flags.yes && !ctx.config.dryRun) {
    const confirmed = await ctx.prompter.confirm(
      { message: question, default: false },
      { what: 'confirmation', howToProvide: 'pass --yes to roll back without being asked' },
    );
    if (!confirmed) throw new UsageError('Nothing was rolled back.');
  }
  return {
    shell: ctx.shell,
    app,
    target,
    namespace: target.namespace,
    from,
    to,
    who: whoRollsOut(ctx.config.realEnv),
    dryRun: ctx.config.dryRun,
  };
}

/** The roll-back itself: undo to the revision, then watch it come up (failing early, like a deploy). */
export async function rollBack(run: RollbackRun, task: StepTask): Promise<void> {
  const shell = run.shell.withLog((line) => (task.output = line));
  const { target, namespace, to } = run;
  await shell.run(kubectl.rolloutUndoArgs(target, namespace, to.deployment, to.revision), { kind: 'write' });
  if (shell.dryRun) return;
  const path = kubectl.resourcePath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: to.deployment });
  const deployment = await kubectl.getByPath(shell, target, path);
  const watched = await watchRollout({
    shell,
    target,
    namespace,
    targets: [{ deployment: to.deployment, generation: deployment?.metadata.generation ?? 0 }],
    timeoutMs: ROLLBACK_WATCH_MS,
    onLogLine: (line) => (task.output = `│ ${line}`),
    onNote: (line) => (task.output = line),
  });
  run.newRevision = watched.revisions[to.deployment];
  const cause = changeCause({
    action: 'rollback',
    ...(to.commit ? { shortCommit: to.commit.slice(0, 7) } : {}),
    who: run.who,
    at: new Date().toISOString(),
    images: to.images,
    note: `to revision ${to.revision}, from ${run.from.revision}`,
  });
  if (watched.outcome === 'complete') {
    await recordOutcome(shell, target, namespace, `deployment/${to.deployment}`, withOutcome(cause, 'rolled out'));
    task.title = `Rolled ${to.deployment} back to revision ${to.revision} (now revision ${run.newRevision}), image ${to.images.join(', ')}`;
    return;
  }
  const failure = watched.failure!;
  await recordOutcome(
    shell,
    target,
    namespace,
    `deployment/${to.deployment}`,
    withOutcome(cause, `failed: ${failure.diagnosis.summary}`),
  );
  const logs = failure.lastLogLines.map((line) => `\n  │ ${line}`).join('');
  throw new DeckhandError(
    `The roll-back of ${to.deployment} to revision ${to.revision} did not become available: ${failure.diagnosis.summary}${logs}`,
    `${failure.diagnosis.fix}\n  Look closer: ${deckhand('status', run.app.name)}`,
  );
}

function parseRevision(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1)
    throw new UsageError(`--to-revision must be a revision number (1, 2, …), got "${text}".`);
  return Number(text);
}

function describe(revision: Revision): string {
  return [
    revision.commit ? `commit ${revision.commit.slice(0, 7)}` : undefined,
    revision.images.map(shortImage).join(', '),
  ]
    .filter(Boolean)
    .join(', ');
}

function choiceOf(revision: Revision, now: Date): Choice<Revision> {
  const commit = revision.commit ? revision.commit.slice(0, 7) : 'no commit';
  return {
    name: `${revision.deployment.padEnd(10)} revision ${String(revision.revision).padEnd(3)} ${commit}  ${ageOf(revision.createdAt, now).padStart(5)} ago  ${revision.images.map(shortImage).join(', ')}`,
    value: revision,
    ...(revision.changeCause ? { description: revision.changeCause } : {}),
  };
}

export function rollbackSummary(run: RollbackRun): string {
  return run.dryRun
    ? 'Dry run done: nothing was changed.'
    : `${run.to.deployment} runs revision ${run.newRevision ?? '?'} (the code of revision ${run.to.revision}). The Secret and ConfigMaps were not rolled back.`;
}

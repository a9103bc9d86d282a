/**
 * `restart <service>`: `kubectl rollout restart` of its Deployments — the ones the others need first (Postgres),
 * watched until ready, then the rest together — each watched like a deploy (failing early with the reason) and its
 * new revision's change-cause saying who restarted it. For a Secret or ConfigMap changed outside deckhand.
 */
import { findServiceApp, type ServiceApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { restart } from '../../cli/commands/service.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { changeCause, whoRollsOut, withOutcome } from './change-cause.ts';
import { recordOutcome } from './undo.ts';
import { unknownDeployment } from './state.ts';
import { watchRollout } from './watch.ts';

const RESTART_WATCH_MS = 10 * 60_000;

export interface RestartRun {
  shell: Runner;
  app: ServiceApp;
  target: KubeTarget;
  namespace: string;
  /** Restarted one group after the other: the Deployments the others need, then the rest. */
  groups: string[][];
  who: string;
  dryRun: boolean;
  revisions: Record<string, number>;
}

export function prepareRestart(ctx: CommandContext<typeof restart>): RestartRun {
  const app = findServiceApp(ctx.invocation.args.app, 'restart');
  const chosen = ctx.invocation.options.deployment;
  for (const name of chosen) if (!app.deployments.includes(name)) throw unknownDeployment(app, name);
  const selected = chosen.length > 0 ? app.deployments.filter((name) => chosen.includes(name)) : [...app.deployments];
  const groups = [
    selected.filter((name) => app.readyFirst.includes(name)),
    selected.filter((name) => !app.readyFirst.includes(name)),
  ].filter((group) => group.length > 0);
  const target = ctx.resolveTarget(app.namespace, { forWrite: true });
  return {
    shell: ctx.shell,
    app,
    target,
    namespace: target.namespace,
    groups,
    who: whoRollsOut(ctx.config.realEnv),
    dryRun: ctx.config.dryRun,
    revisions: {},
  };
}

export async function restartGroup(run: RestartRun, names: readonly string[], task: StepTask): Promise<void> {
  const shell = run.shell.withLog((line) => (task.output = line));
  const { target, namespace } = run;
  await Promise.all(
    names.map((name) => shell.run(kubectl.rolloutRestartArgs(target, namespace, name), { kind: 'write' })),
  );
  if (shell.dryRun) return;
  const deployments = await Promise.all(
    names.map((name) =>
      kubectl.getByPath<
        kubectl.KubeObject & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }
      >(shell, target, kubectl.resourcePath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })),
    ),
  );
  const watched = await watchRollout({
    shell,
    target,
    namespace,
    targets: names.map((name, index) => ({
      deployment: name,
      generation: deployments[index]?.metadata.generation ?? 0,
    })),
    timeoutMs: RESTART_WATCH_MS,
    onLogLine: (line, deployment) => (task.output = `│ ${deployment}: ${line}`),
    onNote: (line) => (task.output = line),
  });
  const at = new Date().toISOString();
  await Promise.all(
    names.map((name, index) => {
      const images = (deployments[index]?.spec?.template?.spec?.containers ?? []).map(
        (container) => container.image ?? '?',
      );
      const cause = changeCause({ action: 'restart', who: run.who, at, images });
      const ended =
        watched.outcome === 'complete' || watched.failure?.deployment !== name
          ? 'rolled out'
          : `failed: ${watched.failure.diagnosis.summary}`;
      return recordOutcome(shell, target, namespace, `deployment/${name}`, withOutcome(cause, ended));
    }),
  );
  if (watched.outcome === 'failed') {
    const failure = watched.failure!;
    const logs = failure.lastLogLines.map((line) => `\n  │ ${line}`).join('');
    throw new DeckhandError(
      `The restart of ${failure.deployment} did not become available: ${failure.diagnosis.summary}${logs}`,
      `${failure.diagnosis.fix}\n  Go back to the revision before: ${deckhand('rollback', run.app.name, '--deployment', failure.deployment)}`,
    );
  }
  Object.assign(run.revisions, watched.revisions);
  task.title = `Restarted ${names.map((name) => `${name} (revision ${watched.revisions[name]})`).join(', ')}`;
}

export function restartSummary(run: RestartRun): string {
  return run.dryRun ? 'Dry run done: nothing was changed.' : `Restarted ${Object.keys(run.revisions).join(', ')}.`;
}

/**
 * setup's last two stages: `deploy caelundas --dry-run` (every command a deploy runs, nothing changed), then the real
 * deploy — both through deploy's own runbook, lent by tasks.ts. Both are skipped once a caelundas run has completed
 * and its output is on this machine; the real one asks first on a terminal (--yes answers for it).
 */
import { deploy } from '../../cli/commands/app.ts';
import { InterruptedError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { commandContext, type SetupRun, type Stage } from './run.ts';
import { completedRun } from './survey.ts';

function deployOptions(run: SetupRun) {
  const image = run.ctx.invocation.options.image;
  return {
    image: image ? [image] : [],
    rebuild: false,
    'allow-dirty': false,
    cleanup: false,
    'delete-volume': false,
    timeout: undefined,
    dockerfile: [],
    'build-context': [],
    'no-rollback': false,
  };
}

async function alreadyDeployed(run: SetupRun): Promise<string | undefined> {
  const done = run.survey!.deployed ?? (await completedRun(run));
  return done ? `caelundas has run: ${done}` : undefined;
}

export const dryRunStage: Stage = {
  title: 'Try the deploy: deploy caelundas --dry-run',
  look: alreadyDeployed,
  async act(run) {
    await run.runbooks.deploy(commandContext(run, deploy, { app: run.app.name }, deployOptions(run), { dryRun: true }));
  },
};

export const deployStage: Stage = {
  title: 'Deploy caelundas',
  async look(run) {
    if (run.ctx.config.dryRun) return 'dry run: the dry run above shows what it would do';
    return alreadyDeployed(run);
  },
  async act(run) {
    const { ctx } = run;
    if (!ctx.config.yes) {
      const go = await ctx.prompter.confirm(
        { message: 'Run caelundas on the cluster now (build, push, run the Job, copy its output)?', default: true },
        { what: 'confirmation to deploy', howToProvide: 'pass --yes' },
      );
      if (!go)
        throw new InterruptedError(
          `Not deployed: you answered no. Deploy later with: ${deckhand('deploy', 'caelundas')}`,
        );
    }
    await run.runbooks.deploy(commandContext(run, deploy, { app: run.app.name }, deployOptions(run)));
  },
};

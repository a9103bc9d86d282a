/**
 * One `setup` run's facts, and the stage runner that walks its stages. A stage first looks at the world — is the
 * thing it would make already there? — and is skipped, saying why, when it is; otherwise it acts, usually by calling
 * the same function the stand-alone command runs (infra, kubeconfig, ingress, deploy) with a context of its own.
 * When a stage fails or is interrupted, the run says which stage stopped it and that running setup again continues
 * there: the stages before it will find their work done.
 */
import { findJobApp, type JobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import { deriveCommandContext } from '../../cli/context.ts';
import type { deploy } from '../../cli/commands/app.ts';
import type { setup } from '../../cli/commands/setup.ts';
import { configOverrides } from '../../cli/main.ts';
import type { ArgsOf, CommandSpec, OptionsOf } from '../../cli/spec.ts';
import type { GlobalFlags } from '../../lib/config.ts';
import { InterruptedError, unwrapStepError, type MissingItem } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type * as terraform from '../../terraform.ts';
import type { TokenVerdict } from '../checks/token-check.ts';
import type { ToolName, ToolProbe } from '../checks/tools.ts';
import type { ClusterSetting } from './tfvars.ts';
import { detectOs, type OsInfo } from '../checks/install-hints.ts';
import { plural } from '../../lib/wording.ts';

export type SetupContext = CommandContext<typeof setup>;

/** A .env key setup may ask for. */
export type AskedKey = 'LINODE_TOKEN' | 'IMAGE_OWNER' | 'GITHUB_TOKEN' | 'DOMAIN' | 'ACME_EMAIL';

export interface Setting {
  value: string;
  source: string;
}

export interface Survey {
  tools: Record<ToolName, ToolProbe>;
  /** terraform's outputs when it has made the cluster (kubeconfig and cluster id present). */
  cluster?: { label: string; id?: number; outputs: terraform.TerraformOutputs };
  /** Each cluster setting and where it came from (flag, environment, terraform.tfvars). */
  settings: Partial<Record<ClusterSetting, Setting>>;
  /** The .env keys that are still to be asked. */
  ask: AskedKey[];
  /** A completed caelundas run whose output is here, when there is one. */
  deployed?: string;
  /** App inputs still missing (the deploy asks for them on a terminal). */
  appInputsMissing: string[];
  missing: MissingItem[];
}

/** What tasks.ts lends setup: the runbooks that are pipelines of their own there. */
export interface SetupRunbooks {
  deploy(ctx: CommandContext<typeof deploy>): Promise<void>;
}

export interface SetupRun {
  ctx: SetupContext;
  runbooks: SetupRunbooks;
  os: OsInfo;
  /** The Job app setup deploys first. */
  app: JobApp;
  /** The Linode token's check, once it passed. */
  verdict?: Extract<TokenVerdict, { kind: 'ok' }>;
  /** What the first stage found (every later stage may rely on it). */
  survey?: Survey;
  /** Answers typed in a dry run: not written anywhere, so handed to the later stages in memory. */
  unsaved?: Record<string, string>;
}

export function prepareSetup(ctx: SetupContext, runbooks: SetupRunbooks): SetupRun {
  return { ctx, runbooks, os: detectOs(), app: findJobApp('caelundas', 'setup') };
}

/** Setup's own context with the configuration read again: what the answers stage wrote into .env counts from now on. */
export function reloadConfig(run: SetupRun): void {
  const { invocation } = run.ctx;
  run.ctx = deriveCommandContext(run.ctx, invocation, { overrides: { ...run.unsaved } });
}

/** The context for running another command inside setup, with setup's global flags (and any given here). */
export function commandContext<S extends CommandSpec>(
  run: SetupRun,
  spec: S,
  args: ArgsOf<S>,
  options: OptionsOf<S>,
  flags: Partial<GlobalFlags> = {},
): CommandContext<S> {
  const invocation = { command: spec.name, args, options, flags: { ...run.ctx.invocation.flags, ...flags } };
  return deriveCommandContext(run.ctx, invocation, {
    overrides: { ...run.unsaved, ...configOverrides(spec, invocation) },
  });
}

export interface Stage {
  title: string;
  /** Why the stage has nothing to do, or undefined when it has. */
  look(run: SetupRun): Promise<string | undefined>;
  act(run: SetupRun): Promise<void>;
}

export interface StageOutcome {
  title: string;
  state: 'done' | 'skipped';
  reason?: string;
}

export async function runStages(run: SetupRun, stages: readonly Stage[]): Promise<StageOutcome[]> {
  const { ui } = run.ctx;
  const outcomes: StageOutcome[] = [];
  for (const [index, stage] of stages.entries()) {
    const number = `${index + 1}/${stages.length}`;
    try {
      if (run.ctx.interruption.signal.aborted) throw run.ctx.interruption.signal.reason;
      const skip = await stage.look(run);
      if (skip) {
        ui.success(`${number} ${stage.title}: skipped, ${skip}`);
        outcomes.push({ title: stage.title, state: 'skipped', reason: skip });
        continue;
      }
      ui.info(`── ${number} ${stage.title}`);
      await stage.act(run);
      outcomes.push({ title: stage.title, state: 'done' });
    } catch (error) {
      const original = unwrapStepError(error);
      const how =
        original instanceof InterruptedError || run.ctx.interruption.signal.aborted ? 'Interrupted' : 'Stopped';
      ui.warn(
        `${how} at ${number} ${stage.title}. Run \`${deckhand('setup')}\` again to continue from here (what is done is skipped).`,
      );
      throw error;
    }
  }
  return outcomes;
}

/** The last line of setup: what ran, what was already done, and where to go next. */
export function setupSummary(dryRun: boolean, outcomes: readonly StageOutcome[]): string {
  if (dryRun) return 'Dry run of setup done: nothing was changed.';
  const ran = outcomes.filter((outcome) => outcome.state === 'done').length;
  return `Setup is complete (${plural(ran, 'stage')} run, ${outcomes.length - ran} already done). Next: README → "Use deckhand for your own app".`;
}

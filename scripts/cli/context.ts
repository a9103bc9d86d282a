/**
 * Everything a command needs, built once per run: configuration, the masker, the runner, output, prompts, the
 * interruption signal, and the Kubernetes target. Commands receive it; nothing reads globals.
 */
import { APPS } from '../apps/index.ts';
import { envFileWarnings } from '../apps/inputs.ts';
import type { CommandSpec, Invocation } from './spec.ts';
import { guardTarget } from '../lib/cluster-guard.ts';
import { readManagedCluster } from '../lib/cluster-state.ts';
import { loadConfig, isInteractiveSession, type Config } from '../lib/config.ts';
import { InterruptedError } from '../lib/errors.ts';
import { handleInterrupts, type Interruption } from '../lib/interrupt.ts';
import { guardProcessOutput, type OutputGuard } from '../lib/process-output.ts';
import { createPrompter, type Prompter } from '../lib/prompts.ts';
import { SecretMasker } from '../lib/redact.ts';
import { createShell, type Runner } from '../lib/shell.ts';
import { resolveTarget, type KubeTarget } from '../lib/target.ts';
import { createUi, type Ui } from '../lib/ui.ts';

export interface CommandContext<S extends CommandSpec = CommandSpec> {
  readonly invocation: Invocation<S>;
  readonly config: Config;
  readonly masker: SecretMasker;
  readonly shell: Runner;
  readonly ui: Ui;
  readonly prompter: Prompter;
  readonly interruption: Interruption;
  /**
   * The Kubernetes target for a command whose app lives in `defaultNamespace`. Throws a UsageError when unusable.
   * `forWrite` marks a target that is about to be changed (the cluster guard checks those).
   */
  resolveTarget(defaultNamespace: string, options?: { forWrite?: boolean }): KubeTarget;
  /** Removes signal handlers and output guards; runs registered cleanups. */
  close(): Promise<void>;
}

export interface CreateContextOptions {
  repoRoot: string;
  /** Command flags that override config keys, e.g. { DECKHAND_JOB_TIMEOUT: '10m' }. */
  overrides?: Record<string, string | undefined>;
  env?: NodeJS.ProcessEnv;
  /** The entry point's process output guard; without one, the context installs (and on close removes) its own. */
  output?: OutputGuard;
}

export function createCommandContext<S extends CommandSpec>(
  invocation: Invocation<S>,
  options: CreateContextOptions,
): CommandContext<S> {
  const masker = new SecretMasker();
  const output = options.output ?? guardProcessOutput();
  output.useMasker(masker);
  const restoreOutput = () => {
    stopOnClosedOutput();
    if (!options.output) output.restore();
  };
  const env = options.env ?? process.env;
  const interactive = isInteractiveSession(env);
  const ui = createUi({ masker, interactive });
  const interruption = handleInterrupts({ log: (line) => ui.warn(line) });
  // `deploy … | head`: the reader of deckhand's output has quit. The run stops as after Ctrl-C (see process-output.ts).
  const stopOnClosedOutput = output.onClosed((stream, code) => {
    if (interruption.signal.aborted) return;
    const which = stream === 'stdout' ? 'output' : 'error output';
    ui.warn(
      `The ${which} was closed (${code}: the program reading it has quit): stopping and cleaning up, as after Ctrl-C.`,
    );
    interruption.interrupt(new InterruptedError(`Interrupted: the ${which} was closed (${code}).`));
  });
  try {
    const config = loadConfig({
      repoRoot: options.repoRoot,
      flags: invocation.flags,
      overrides: options.overrides,
      env,
      interactive,
      masker,
    });
    const shell = commandShell(config, { masker, ui, interruption, env });
    for (const warning of envFileWarnings(config, APPS)) ui.warn(warning);
    const prompter = createPrompter({ interactive, signal: interruption.signal });
    return {
      invocation,
      config,
      masker,
      shell,
      ui,
      prompter,
      interruption,
      resolveTarget: targetResolver(config, invocation),
      async close() {
        await interruption.runCleanups();
        interruption.dispose();
        restoreOutput();
      },
    };
  } catch (error) {
    interruption.dispose();
    restoreOutput();
    throw error;
  }
}

/** The runner of a command: output into the UI, Ctrl-C stopping it, children without secrets, pinned tools first. */
function commandShell(
  config: Config,
  parts: { masker: SecretMasker; ui: Ui; interruption: Interruption; env: NodeJS.ProcessEnv },
): Runner {
  return createShell({
    dryRun: config.dryRun,
    verbose: config.verbose,
    masker: parts.masker,
    signal: parts.interruption.signal,
    log: (line) => parts.ui.info(line),
    env: parts.env,
    // The values of an app's Kubernetes Secret go to the cluster on stdin; no program deckhand runs needs them.
    withheldEnvKeys: APPS.flatMap((app) => app.secret.inputs.map((input) => input.key)),
    toolDirs: [config.toolsDir],
  });
}

function targetResolver(config: Config, invocation: Invocation): CommandContext['resolveTarget'] {
  return (defaultNamespace, targetOptions) => {
    const target = resolveTarget(config, {
      defaultNamespace,
      managedKubeconfig: readManagedCluster(config.stateRoot)?.kubeconfig,
      explicitFlags: { kubeconfig: invocation.flags.kubeconfig, context: invocation.flags.context },
    });
    return targetOptions?.forWrite ? guardTarget(config, target) : target;
  };
}

/**
 * Another command's context inside this run (`setup` runs infra, kubeconfig, ingress and deploy): that command's
 * invocation, the configuration loaded again (so a .env written since counts), and a runner following its flags;
 * output, prompts, the masker and Ctrl-C are the run's own, and closing it is the run's business.
 */
export function deriveCommandContext<S extends CommandSpec>(
  parent: CommandContext,
  invocation: Invocation<S>,
  options: { overrides?: Record<string, string | undefined> } = {},
): CommandContext<S> {
  const config = loadConfig({
    repoRoot: parent.config.repoRoot,
    flags: invocation.flags,
    overrides: options.overrides,
    env: parent.config.realEnv,
    interactive: parent.config.interactive,
    masker: parent.masker,
  });
  return {
    ...parent,
    invocation,
    config,
    shell: commandShell(config, { ...parent, env: parent.config.realEnv }),
    resolveTarget: targetResolver(config, invocation),
    close: async () => undefined,
  };
}

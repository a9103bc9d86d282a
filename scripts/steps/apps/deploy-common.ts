/**
 * The parts of a deploy that are the same for every kind of app — a batch Job's run and a service's roll-out: which
 * tools the run needs and has, whether the work tree may be built, which cluster it goes to, the app's version, and
 * the inputs. Each kind's deploy.ts keeps only what is its own (the Job's chart, the service's manifests).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AppDefinition } from '../../apps/index.ts';
import { collectAppInputs, readAppInputs } from '../../apps/inputs.ts';
import * as docker from '../../docker.ts';
import * as git from '../../git.ts';
import type { WorkTreeState } from '../../git.ts';
import * as kubectl from '../../kubectl.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { toolProblem } from '../checks/install-hints.ts';
import { probeTools, type ToolProbe } from '../checks/tools.ts';
import { checkDockerEngine } from '../image/preflight.ts';

type Deps = Pick<CommandContext, 'config' | 'shell' | 'masker' | 'resolveTarget'>;

/** What checking the prerequisites fills in on a run. */
export interface PrerequisitesHolder {
  deps: Deps;
  namespace: string;
  tools: { docker?: string; helm?: string; kubectl?: string; buildx: boolean };
  git?: WorkTreeState;
  target?: KubeTarget;
}

/**
 * The local half of a deploy's prerequisites, beside the cluster target (which `resolveTarget` resolves, starting a
 * real run's reads): the tools and their versions, buildx and the docker engine when something is built, the commit.
 * Every note goes under the step, then the target banner; the title sums the versions up.
 */
export async function checkDeployPrerequisites(
  run: PrerequisitesHolder,
  task: StepTask,
  options: {
    tools: readonly ('docker' | 'helm' | 'kubectl')[];
    /** Something is built: docker, buildx and its engine are needed, and the work tree must be clean. */
    builds: boolean;
    /** Why docker is not needed when nothing is built. */
    noBuildBecause: string;
    what: 'image' | 'images';
    allowDirty: boolean;
    resolveTarget: (notes: string[]) => Promise<void>;
  },
): Promise<void> {
  const { shell, config } = run.deps;
  const notes: string[] = [];
  // The cluster target first: a real run's cluster reads are the longest chain here (round trips to a remote API), so
  // they get their processes started before the local checks compete for the CPU.
  const [, probes, buildx, gitState, engineNote] = await Promise.all([
    options.resolveTarget(notes),
    probeTools(shell, options.tools),
    options.builds ? docker.hasBuildx(shell) : Promise.resolve(false),
    git.workTreeState(shell, config.repoRoot),
    options.builds ? checkDockerEngine(shell, config.dryRun) : Promise.resolve(undefined),
  ]);
  judgeTools(
    options.tools.map((name) => ({
      probe: probes[name],
      needed: name !== 'docker' || options.builds,
      unneededBecause: options.noBuildBecause,
    })),
    config.dryRun,
    notes,
    run.tools,
  );
  if (engineNote) notes.push(engineNote);
  run.tools.buildx = buildx;
  run.git = gitState;
  checkWorkTree(
    gitState,
    { builds: options.builds, allowDirty: options.allowDirty, dryRun: config.dryRun, what: options.what },
    notes,
  );
  for (const line of notes) task.output = line;
  task.output = run.target ? targetBanner(run.target) : `Target: no cluster (dry run) · namespace "${run.namespace}"`;
  const versions = options.tools.map((name) => run.tools[name] && `${name} ${run.tools[name]}`);
  task.title = `Checked prerequisites: ${[...versions, `commit ${gitState.shortCommit}`].filter(Boolean).join(', ')}`;
}

/**
 * Each probed tool as a note (`helm v4.1.4`, `docker not found (not needed …)`), its version into `versions`; a
 * tool the run needs and lacks stops a real run — all of them named at once — and is only noted in a dry run.
 */
export function judgeTools(
  probes: readonly { probe: ToolProbe; needed: boolean; unneededBecause?: string }[],
  dryRun: boolean,
  notes: string[],
  versions: Record<string, string | boolean | undefined>,
): void {
  const problems: string[] = [];
  for (const { probe, needed, unneededBecause } of probes) {
    if (probe.found) {
      versions[probe.name] = probe.version;
      notes.push(`${probe.name} ${probe.version}`);
    } else if (!needed) notes.push(`${probe.name} not found (not needed: ${unneededBecause ?? 'not for this run'})`);
    else if (dryRun) notes.push(`${probe.name} not found: a real run needs it`);
    else problems.push(toolProblem(probe));
  }
  if (problems.length > 0) {
    throw new DeckhandError(
      `Missing tools:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
      `Install them, then run again (\`${deckhand('doctor')}\` checks every tool).`,
    );
  }
}

/**
 * Only a build must match a commit: a work tree with uncommitted changes is refused (exit 2) unless --allow-dirty,
 * and a dry run says a real one would refuse.
 */
export function checkWorkTree(
  gitState: WorkTreeState,
  options: { builds: boolean; allowDirty: boolean; dryRun: boolean; what: 'image' | 'images' },
  notes: string[],
): void {
  const changes = `${gitState.changes.slice(0, 3).join(', ')}${gitState.changes.length > 3 ? ', …' : ''}`;
  notes.push(
    `commit ${gitState.shortCommit}${gitState.dirty ? ` with uncommitted changes (${changes})` : ' (clean work tree)'}`,
  );
  if (!gitState.dirty || options.allowDirty || !options.builds) return;
  const message = `The work tree has uncommitted changes: the ${options.what} would not match any commit.`;
  if (options.dryRun) {
    notes.push(`⚠ ${message} A real run refuses; commit first or pass --allow-dirty.`);
    return;
  }
  throw new UsageError(
    message,
    `Commit (or stash) the changes, or pass --allow-dirty to build anyway (the image ${options.what === 'image' ? 'tag then says' : 'tags then say'} "-dirty").`,
  );
}

/**
 * The cluster a deploy writes to. A dry run without a kubeconfig goes on without one (undefined), and asks now
 * whether the cluster answers (`readable`); a real run instead starts its reads at once (`startReads`), so their round
 * trips overlap the local checks and the image build.
 */
export async function resolveDeployTarget(
  deps: Deps,
  namespace: string,
  notes: string[],
  startReads: (target: KubeTarget) => void,
): Promise<{ target?: KubeTarget; readable: boolean }> {
  const { config, shell } = deps;
  let target: KubeTarget;
  try {
    target = deps.resolveTarget(namespace, { forWrite: true });
  } catch (error) {
    if (config.dryRun && error instanceof UsageError && /kubeconfig/i.test(error.message)) {
      notes.push(`no cluster: ${error.message} (dry run: cluster reads are skipped)`);
      return { readable: false };
    }
    throw error;
  }
  if (!config.dryRun) {
    startReads(target);
    return { target, readable: false };
  }
  try {
    const version = await kubectl.serverVersion(shell, target);
    notes.push(`cluster ${target.server} answers (Kubernetes ${version})`);
    return { target, readable: true };
  } catch {
    notes.push(`cluster ${target.server} does not answer (dry run: cluster reads are skipped)`);
    return { target, readable: false };
  }
}

/** The `version` of the app's package.json-like file, when it is a valid tag; undefined otherwise. */
export async function readAppVersion(repoRoot: string, versionFile: string | undefined): Promise<string | undefined> {
  if (!versionFile) return undefined;
  try {
    const manifest = JSON.parse(await readFile(path.join(repoRoot, versionFile), 'utf8')) as { version?: string };
    return manifest.version && /^[\w][\w.-]{0,127}$/.test(manifest.version) ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

/** What collecting the inputs fills in on a run. */
export interface InputsHolder {
  app: AppDefinition;
  deps: Deps;
  inputs?: Record<string, string>;
  inputsPrompted?: boolean;
}

/**
 * The app's inputs: from the environment, its env file, `.env`, then a prompt. A dry run off a terminal shows the
 * plan before the inputs exist, with placeholders, and says which ones a real run still needs.
 */
export async function collectDeployInputs(run: InputsHolder, task: StepTask): Promise<void> {
  const { app } = run;
  const { config, masker } = run.deps;
  const total = app.secret.inputs.length;
  if (config.dryRun && !task.prompter.interactive) {
    const { values, missing } = readAppInputs(app, config, masker);
    run.inputs = { ...values, ...Object.fromEntries(missing.map((input) => [input.key, `<${input.key}>`])) };
    if (missing.length > 0) {
      task.output = `A real run needs ${missing.map((input) => input.key).join(', ')} (set them in ${app.secret.envFile}); placeholders are used here.`;
    }
    task.title = `Collected ${app.name} inputs (${Object.keys(values).length} of ${total} set)`;
    return;
  }
  const { values, sources } = await collectAppInputs(app, config, masker, task.prompter);
  run.inputs = values;
  run.inputsPrompted = Object.values(sources).includes('prompt');
  const width = Math.max(12, ...app.secret.inputs.map((input) => input.key.length + 2));
  for (const input of app.secret.inputs) {
    const source = sources[input.key] === 'env file' ? app.secret.envFile : sources[input.key];
    task.output = `${input.key.padEnd(width)} from ${source}${input.sensitive ? ' (sensitive, masked)' : `: ${values[input.key]}`}`;
  }
  task.title = `Collected ${app.name} inputs (${total} of ${total})`;
}

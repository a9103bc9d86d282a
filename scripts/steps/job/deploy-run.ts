/**
 * One batch run's facts, in one typed object that travels through the steps of `deploy <job app>`: each step reads
 * what earlier steps learned and writes what it learns (the plan, the inputs, the digest, the Job's outcome). The
 * steps get their dependencies here, named — the runner, the configuration, the masker, the prompter, the output and
 * the target resolver — not the whole command context.
 */
import { findJobApp, type JobApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { deploy } from '../../cli/commands/app.ts';
import type { WorkTreeState } from '../../git.ts';
import { UsageError } from '../../lib/errors.ts';
import { formatImageReference, imageReferenceProblem } from '../../lib/image-ref.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { systemNamespaceByName, systemNamespaceError } from '../cluster/namespace.ts';
import type { Diagnosis } from '../cluster/pod-diagnosis.ts';
import type { ClusterReads } from '../cluster/reads.ts';
import { refuseOptionLikeValue } from '../image/preflight.ts';
import type { CopyResult } from './copy.ts';
import type { JobLog } from './job-log.ts';
import type { DeployFlags, DeployPlan } from './plan.ts';
import type { RecordedImage, RunOutcome } from './record.ts';
import type { VolumeFacts } from './runs.ts';
import type { WatchResult } from './watch.ts';

export type DeployDeps = Pick<CommandContext, 'config' | 'shell' | 'masker' | 'prompter' | 'ui' | 'resolveTarget'>;

export interface DeployRun {
  deps: DeployDeps;
  app: JobApp;
  flags: DeployFlags;
  namespace: string;
  tools: { docker?: string; helm?: string; kubectl?: string; buildx: boolean };
  git?: WorkTreeState;
  /** Undefined only in a dry run with no kubeconfig. */
  target?: KubeTarget;
  /** Reads against the cluster work (false in a dry run without a reachable cluster). */
  clusterReadable: boolean;
  /** A real run's cluster check and reads of the namespace and Secrets, started with the prerequisite checks. */
  clusterReads?: ClusterReads;
  /** Some inputs were typed at a prompt: time has passed since clusterReads, so they are read again. */
  inputsPrompted?: boolean;
  plan?: DeployPlan;
  inputs?: Record<string, string>;
  digest?: string;
  /** Where the digest came from (the push, or the registry for an --image tag). */
  digestFrom?: RecordedImage['digestFrom'];
  /** This run created its inputs Secret (and has not given it back). */
  inputsSecretCreated?: boolean;
  /** `helm install` was started (it may have failed before or after helm stored the release). */
  installAttempted?: boolean;
  /** Names this run tried first and found taken by other runs. */
  renamedFrom?: string[];
  installed: boolean;
  /** The wait on the Job, started beside the install so no event or early log line is missed. */
  following?: Following;
  watch?: WatchResult;
  copy?: CopyResult;
  /** The release and PVC were removed after the copy (--cleanup finished). */
  cleanedUp?: boolean;
  /** Volumes the clean-up left behind (reclaim policy Retain, no --delete-volume): they are still billed. */
  keptVolumes?: VolumeFacts[];
  outcome?: RunOutcome;
  failure?: string;
  /** The Job timed out without any of its pods getting a node: which pod, and why (nothing ran). */
  neverScheduled?: { pod: string; diagnosis: Diagnosis };
  /** helm was stopped before it finished: its release is left `pending-install`, which only `--recover` removes. */
  stuckStatus?: string;
}

/** A wait on the Job whose lines are held until a step shows them. */
export interface Following {
  result: Promise<WatchResult>;
  attach(sink: (line: string) => void): void;
  stop(): void;
  /** The Job's whole log, saved beside run.json as it arrives. */
  log: JobLog;
}

/** Command-line checks that need no I/O; a UsageError here means exit 2 before anything ran. */
export function prepareDeploy(ctx: CommandContext<typeof deploy>): DeployRun {
  const { options, args } = ctx.invocation;
  const app = findJobApp(args.app, 'deploy');
  // A Job app has one image: the shared option check (scripts/cli/app-kind.ts) refused a second value.
  const flags: DeployFlags = {
    image: options.image[0],
    rebuild: options.rebuild,
    allowDirty: options['allow-dirty'],
    cleanup: options.cleanup,
    deleteVolume: options['delete-volume'],
    dockerfile: options.dockerfile[0],
    buildContext: options['build-context'][0],
  };
  if (flags.dockerfile) refuseOptionLikeValue('--dockerfile', flags.dockerfile);
  if (flags.buildContext) refuseOptionLikeValue('--build-context', flags.buildContext);
  if (flags.image) {
    const problem = imageReferenceProblem(flags.image);
    if (problem) throw new UsageError(`--image: ${problem}.`, 'Example: --image ghcr.io/me/caelundas:sha-1a2b3c4');
    if (flags.rebuild || flags.dockerfile || flags.buildContext) {
      throw new UsageError(
        '--image deploys an existing image; it cannot be combined with --rebuild, --dockerfile or --build-context.',
      );
    }
  }
  const { config, shell, masker, prompter, ui, resolveTarget } = ctx;
  const namespace = config.kube.namespace ?? app.namespace;
  const system = systemNamespaceByName(namespace);
  if (system) throw systemNamespaceError(namespace, system, app.namespace);
  return {
    deps: { config, shell, masker, prompter, ui, resolveTarget },
    app,
    flags,
    namespace,
    tools: { buildx: false },
    clusterReadable: false,
    installed: false,
  };
}

/** A runner whose dry-run lines and echo go into the step's output. */
export function taskShell(run: Pick<DeployRun, 'deps'>, task: Pick<StepTask, 'output'>): Runner {
  return run.deps.shell.withLog((line) => (task.output = line));
}

/** The target, or — in a dry run without a kubeconfig — visible placeholders, so commands are still shown in full. */
export function targetOf(run: Pick<DeployRun, 'target'>, namespace: string): KubeTarget {
  return (
    run.target ?? {
      kubeconfig: '<kubeconfig>',
      context: '<context>',
      cluster: '<cluster>',
      server: '<no cluster>',
      namespace,
      explicit: false,
      kubeconfigSource: 'none',
    }
  );
}

/** The chart values set on the command line, with the digest once the build (or the registry) has told it. */
export function releaseValues(run: Pick<DeployRun, 'plan' | 'digest'>): Record<string, string> {
  const setString = { ...run.plan!.setString };
  if (run.digest) setString['image.digest'] = run.digest;
  return setString;
}

/**
 * The image the Job runs, for people and the run record: an --image exactly as given when nothing was added to it,
 * else repository[:tag]@digest once the digest is known.
 */
export function jobImage(run: Pick<DeployRun, 'plan' | 'digest' | 'digestFrom'>): RecordedImage {
  const image = run.plan!.image;
  const digest = run.digest ?? image.digest;
  const parts = {
    repository: image.repository,
    ...(image.tag ? { tag: image.tag } : {}),
    ...(digest ? { digest } : {}),
  };
  const digestFrom = run.digestFrom ?? (image.digest ? 'given' : undefined);
  return {
    ...(image.given ? { given: image.given } : {}),
    ...parts,
    reference: image.given && digest === image.digest ? image.given : formatImageReference(parts),
    ...(digest && digestFrom ? { digestFrom } : {}),
  };
}

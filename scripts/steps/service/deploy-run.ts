/**
 * One service roll-out's facts, in one typed object that travels through the steps of `deploy <service>`: each step
 * reads what earlier steps learned and writes what it learns (the plan, the inputs, the digests, what the cluster
 * held, what each phase changed, how each Deployment's roll-out ended). The steps get their dependencies here,
 * named — not the whole command context.
 */
import type { ServiceApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { deploy } from '../../cli/commands/app.ts';
import type { WorkTreeState } from '../../git.ts';
import type { StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import type { ObjectResult } from './compare.ts';
import type { LiveReads, LiveState } from './live.ts';
import type { ManifestEntry } from './manifests.ts';
import type { ServiceDeployFlags, ServicePlan } from './plan.ts';

export type ServiceDeployDeps = Pick<
  CommandContext,
  'config' | 'shell' | 'masker' | 'prompter' | 'ui' | 'resolveTarget'
>;

/** How one Deployment's part of the roll-out went. */
export interface DeploymentRollout {
  name: string;
  /** The apply changed its spec (a new generation): it rolled out, or tried to. */
  changed: boolean;
  /** The revision that ran before (undefined: the Deployment is new). */
  previousRevision?: number;
  previousImages: string[];
  /** The images this roll-out runs in it. */
  images: string[];
  revision?: number;
  /** The ReplicaSet of this roll-out's revision. */
  replicaSet?: string;
  changeCause?: string;
  result: 'unchanged' | 'rolled out' | 'failed' | 'rolled back' | 'left failed' | 'not reached';
  /** After an undo: the revision and images it went back to. */
  rolledBackTo?: { revision: number; images: string[] };
}

export type RolloutOutcome = 'rolled-out' | 'unchanged' | 'failed' | 'rolled-back' | 'interrupted' | 'error';

export interface ServiceDeployRun {
  deps: ServiceDeployDeps;
  app: ServiceApp;
  flags: ServiceDeployFlags;
  namespace: string;
  tools: { docker?: string; kubectl?: string; buildx: boolean };
  git?: WorkTreeState;
  entries?: ManifestEntry[];
  /** Undefined only in a dry run with no kubeconfig. */
  target?: KubeTarget;
  clusterReadable: boolean;
  reads?: LiveReads;
  /** Some inputs were typed at a prompt: time has passed since the reads, so they are taken again. */
  inputsPrompted?: boolean;
  live?: LiveState;
  plan?: ServicePlan;
  inputs?: Record<string, string>;
  /** The digest each image runs by, by image name (from the push, the registry, or --image). */
  digests: Record<string, string>;
  /** What each apply did to each object, `Kind/name` → result, in the order applied. */
  objects: Map<string, ObjectResult>;
  deployments: Map<string, DeploymentRollout>;
  /** The cluster answered the reads: from then on the run leaves a record, also when it changed nothing. */
  reachedCluster: boolean;
  /**
   * Aborted when an image build fails: the cluster work that runs beside the builds applies nothing more and stops
   * watching (what it already rolled out, Postgres, converges by itself).
   */
  stopCluster: AbortController;
  outcome?: RolloutOutcome;
  failure?: string;
}

/** Command-line checks that need no I/O; a UsageError here means exit 2 before anything ran. */
export function prepareServiceDeploy(ctx: CommandContext<typeof deploy>, app: ServiceApp): ServiceDeployRun {
  const { options } = ctx.invocation;
  const { config, shell, masker, prompter, ui, resolveTarget } = ctx;
  return {
    deps: { config, shell, masker, prompter, ui, resolveTarget },
    app,
    flags: {
      images: options.image,
      dockerfiles: options.dockerfile,
      buildContexts: options['build-context'],
      rebuild: options.rebuild,
      allowDirty: options['allow-dirty'],
      rollback: !options['no-rollback'],
    },
    namespace: config.kube.namespace ?? app.namespace,
    tools: { buildx: false },
    clusterReadable: false,
    digests: {},
    objects: new Map(),
    deployments: new Map(),
    reachedCluster: false,
    stopCluster: new AbortController(),
  };
}

/** A runner whose dry-run lines and echo go into the step's output. */
export function taskShell(run: Pick<ServiceDeployRun, 'deps'>, task: Pick<StepTask, 'output'>): Runner {
  return run.deps.shell.withLog((line) => (task.output = line));
}

/** The target, or — in a dry run without a kubeconfig — visible placeholders, so commands are still shown in full. */
export function targetOf(run: Pick<ServiceDeployRun, 'target' | 'namespace'>): KubeTarget {
  return (
    run.target ?? {
      kubeconfig: '<kubeconfig>',
      context: '<context>',
      cluster: '<cluster>',
      server: '<no cluster>',
      namespace: run.namespace,
      explicit: false,
      kubeconfigSource: 'none',
    }
  );
}

/** The Secrets a roll-out writes: the app's inputs, and the image pull secret when a pull token is configured. */
export function secretNames(run: Pick<ServiceDeployRun, 'app' | 'deps'>): string[] {
  return [run.app.secret.name, ...(run.deps.config.pullToken ? [`${run.app.name}-registry`] : [])];
}

/**
 * The behaviour options of `npm run sim`, so a person can watch every failure deckhand explains without writing a
 * test:
 *
 *   --job-behavior OUTCOME                every Job's pods
 *   --job-behavior NAME-PREFIX=OUTCOME    Jobs whose name starts with NAME-PREFIX (deckhand names runs app-date-time)
 *   --deployment-behavior OUTCOME         every Deployment's pods
 *   --deployment-behavior NAME=OUTCOME    the Deployment called NAME
 *
 * Each option may be repeated; a later one wins where both match. Parsing never touches a cluster, so bad values
 * are reported before anything starts.
 */
import type { KubeSim } from './index.ts';
import type { JobBehavior, ServiceBehavior } from './types.ts';

type JobChoice =
  | 'succeed'
  | 'fail'
  | 'never-finish'
  | 'slow'
  | 'image-pull-error'
  | 'pull-unauthorized'
  | 'wrong-platform'
  | 'missing-key'
  | 'oom-killed'
  | 'deadline'
  | 'unschedulable'
  | 'disrupted';
type DeploymentChoice = ServiceBehavior['outcome'];

const JOB_CHOICES: Record<JobChoice, { behavior: Partial<JobBehavior>; says: string }> = {
  succeed: { behavior: { outcome: 'succeed' }, says: 'succeed after a moment' },
  fail: {
    behavior: { outcome: 'fail', exitCode: 1, logLines: ['starting', 'Error: something went wrong'] },
    says: 'fail with exit code 1 (every retry, up to backoffLimit)',
  },
  'never-finish': {
    behavior: { outcome: 'never-finish', logLines: ['starting', 'still working'] },
    says: 'run and never finish',
  },
  slow: {
    behavior: {
      outcome: 'succeed',
      delayMs: 60_000,
      logLines: ['starting', 'step 1 of 3', 'step 2 of 3', 'step 3 of 3', 'done'],
    },
    says: 'succeed after a minute, printing progress',
  },
  'image-pull-error': {
    behavior: { outcome: 'image-pull-error' },
    says: 'fail to pull their image: the tag does not exist (ErrImagePull, ImagePullBackOff)',
  },
  // A private package without an image pull secret: the registry answers 401.
  'pull-unauthorized': {
    behavior: { outcome: 'image-pull-error', pullError: 'unauthorized' },
    says: 'fail to pull their image: the registry refuses (401 Unauthorized, no pull secret)',
  },
  // An image built on an arm64 laptop without buildx: no linux/amd64 variant for the node.
  'wrong-platform': {
    behavior: { outcome: 'image-pull-error', pullError: 'wrong-platform' },
    says: 'fail to pull their image: no variant for linux/amd64 (no match for platform in manifest)',
  },
  'missing-key': {
    behavior: { outcome: 'missing-key' },
    says: 'miss the first Secret key they read (CreateContainerConfigError)',
  },
  'oom-killed': {
    behavior: { outcome: 'oom-killed' },
    says: 'be killed for running out of memory (OOMKilled, exit code 137)',
  },
  deadline: {
    behavior: { outcome: 'never-finish', deadlineSeconds: 10, logLines: ['starting', 'still working'] },
    says: "run past the Job's deadline, counted as 10 s instead of its activeDeadlineSeconds (DeadlineExceeded)",
  },
  unschedulable: { behavior: { outcome: 'unschedulable' }, says: 'find no node (Pending, FailedScheduling)' },
  // The first pod is evicted (a node drain, the autoscaler scaling down); the Job's podFailurePolicy ignores that, so
  // the next pod runs and succeeds without using up backoffLimit.
  disrupted: {
    behavior: { outcome: 'succeed', attempts: [{ outcome: 'disrupted' }] },
    says: 'be evicted once (DisruptionTarget), then succeed on the next pod',
  },
};

const DEPLOYMENT_CHOICES: Record<DeploymentChoice, { behavior: Partial<ServiceBehavior>; says: string }> = {
  ready: { behavior: { outcome: 'ready' }, says: 'start and turn Ready' },
  'crash-loop': {
    behavior: { outcome: 'crash-loop', exitCode: 1, logLines: ['starting', 'Error: cannot connect to the database'] },
    says: 'crash on start, again and again (CrashLoopBackOff)',
  },
  'never-ready': {
    behavior: { outcome: 'never-ready' },
    says: 'run but fail their readiness probe for ever (Unhealthy)',
  },
  'image-pull-error': {
    behavior: { outcome: 'image-pull-error' },
    says: 'fail to pull their image (ErrImagePull, ImagePullBackOff)',
  },
  slow: {
    behavior: { outcome: 'slow', logLines: ['starting', 'migrating', 'listening'] },
    says: 'turn Ready late, just inside what their probes allow',
  },
  unschedulable: { behavior: { outcome: 'unschedulable' }, says: 'find no node (Pending, FailedScheduling)' },
  'missing-key': {
    behavior: { outcome: 'missing-key' },
    says: 'miss the first Secret key they read (CreateContainerConfigError)',
  },
};

export interface ScriptedBehavior {
  /** For the banner: "Jobs named caelundas-*: fail with exit code 1". */
  description: string;
  apply(sim: KubeSim): void;
}

export class BehaviorOptionError extends Error {}

function split(option: string, value: string): { name?: string; choice: string } {
  const at = value.lastIndexOf('=');
  if (at === -1) return { choice: value };
  const name = value.slice(0, at);
  if (!name) throw new BehaviorOptionError(`${option} "${value}": the name before "=" is empty.`);
  return { name, choice: value.slice(at + 1) };
}

function unknown(option: string, value: string, choice: string, choices: object): BehaviorOptionError {
  return new BehaviorOptionError(
    `${option} "${value}": unknown behaviour "${choice}"; choose one of: ${Object.keys(choices).join(', ')}.`,
  );
}

export function parseJobBehavior(value: string): ScriptedBehavior {
  const { name, choice } = split('--job-behavior', value);
  if (!Object.hasOwn(JOB_CHOICES, choice)) throw unknown('--job-behavior', value, choice, JOB_CHOICES);
  const picked = JOB_CHOICES[choice as JobChoice];
  return {
    description: `${name ? `Jobs named ${name}*` : 'every Job'}: pods ${picked.says}`,
    apply: (sim) => sim.setJobBehavior(name ? { namePrefix: name } : {}, picked.behavior),
  };
}

export function parseDeploymentBehavior(value: string): ScriptedBehavior {
  const { name, choice } = split('--deployment-behavior', value);
  if (!Object.hasOwn(DEPLOYMENT_CHOICES, choice))
    throw unknown('--deployment-behavior', value, choice, DEPLOYMENT_CHOICES);
  const picked = DEPLOYMENT_CHOICES[choice as DeploymentChoice];
  return {
    description: `${name ? `Deployment ${name}` : 'every Deployment'}: pods ${picked.says}`,
    apply: (sim) => sim.setDeploymentBehavior(name ? { name } : {}, picked.behavior),
  };
}

export const BEHAVIOR_HELP = [
  '  --job-behavior [NAME-PREFIX=]OUTCOME      what Job pods do; OUTCOME: ' + Object.keys(JOB_CHOICES).join(', '),
  '  --deployment-behavior [NAME=]OUTCOME      what Deployment pods do; OUTCOME: ' +
    Object.keys(DEPLOYMENT_CHOICES).join(', '),
  '  --probe-second-ms MS                      how long one second of a probe setting lasts (default 1000: real time)',
  '  Both behaviour options repeat; without NAME they apply to all. Example:',
  '    npm run sim -- --kubeconfig sim.yaml --job-behavior caelundas-=fail --deployment-behavior wpp-bot=crash-loop',
].join('\n');

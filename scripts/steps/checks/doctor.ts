/**
 * `doctor`: is this machine ready — and for what? Each check observes one thing and says what to do about it; checks
 * are independent reads, so they run concurrently and every problem shows at once. The report goes to stdout (it is
 * what the command was asked for); its last line names what is ready and what is not, and why: a machine with no
 * kubeconfig and no docker engine is ready for `deploy --dry-run`, not for a deploy.
 */
import { findApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { doctor } from '../../cli/commands/project.ts';
import * as docker from '../../docker.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { NODE_RANGE, satisfies } from '../../lib/node-version.js';
import { displayCommand } from '../../lib/quote.ts';
import type { Runner } from '../../lib/shell.ts';
import { kubeconfigPermissionProblem, targetBanner } from '../../lib/target.ts';
import { probeTool, TOOLS, type ToolName } from './tools.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What a person may want this machine for, from least to most demanding. */
export type Purpose = 'dry-run' | 'deploy-image' | 'build' | 'infra';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  fix?: string;
  /** When not ok: what it makes impossible, and what is lacking in a few words ("no kubeconfig"). */
  blocks?: { purposes: readonly Purpose[]; lack: string };
}

const DEPLOYS: readonly Purpose[] = ['deploy-image', 'build'];

export function checkNode(version: string = process.versions.node): CheckResult {
  if (!satisfies(version, NODE_RANGE)) {
    return {
      name: 'node',
      status: 'fail',
      message: `Node ${version} is not supported (deckhand needs ${NODE_RANGE})`,
      fix: 'Install Node 24 LTS (nvm install 24, or see .nvmrc).',
      blocks: { purposes: ['dry-run', 'deploy-image', 'build', 'infra'], lack: `Node ${version}` },
    };
  }
  if (Number(version.split('.')[0]) < 24)
    return {
      name: 'node',
      status: 'warn',
      message: `Node ${version} works; Node 24 LTS is recommended`,
      fix: 'nvm install 24',
    };
  return { name: 'node', status: 'ok', message: `Node ${version}` };
}

export function judgeHelmVersion(version: string): CheckResult {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= 4) return { name: 'helm', status: 'ok', message: `helm ${version}` };
  if (major === 3) {
    return {
      name: 'helm',
      status: 'warn',
      message: `helm ${version}: Helm 3 reached end of life in November 2026; deckhand is built and tested for Helm 4`,
      fix: 'Install Helm 4: https://helm.sh/docs/intro/install/',
    };
  }
  return {
    name: 'helm',
    status: 'fail',
    message: `helm ${version} is not supported`,
    fix: 'Install Helm 4: https://helm.sh/docs/intro/install/',
  };
}

/**
 * The check for one tool: its probe, judged. A missing tool has `whenMissing`'s status and blocks its purposes, as
 * does a version the judge fails.
 */
async function toolCheck(
  shell: Runner,
  name: ToolName,
  judge: (version: string) => CheckResult,
  whenMissing: { status: CheckStatus; fix: string; message?: string; blocks: readonly Purpose[] },
): Promise<CheckResult> {
  const probe = await probeTool(shell, name);
  if (probe.found) {
    const judged = judge(probe.version);
    return judged.status === 'fail'
      ? { ...judged, blocks: { purposes: whenMissing.blocks, lack: judged.message } }
      : judged;
  }
  const message = probe.missing
    ? `${name} is not installed`
    : `${displayCommand(TOOLS[name].versionArgs())} failed: ${probe.reason}`;
  return {
    name,
    status: whenMissing.status,
    message: whenMissing.message ?? message,
    fix: whenMissing.fix,
    ...(whenMissing.blocks.length > 0 ? { blocks: { purposes: whenMissing.blocks, lack: `no ${name}` } } : {}),
  };
}

export async function runChecks(ctx: Omit<CommandContext, 'invocation'>, namespace: string): Promise<CheckResult[]> {
  const { shell } = ctx;
  const checks: Promise<CheckResult | CheckResult[]>[] = [
    Promise.resolve(checkNode()),
    // A dry run renders the chart when helm is there and says so when it is not: only real deploys need helm.
    toolCheck(shell, 'helm', judgeHelmVersion, {
      status: 'fail',
      fix: `Install Helm 4: ${TOOLS.helm.install}`,
      blocks: DEPLOYS,
    }),
    toolCheck(shell, 'kubectl', (version) => ({ name: 'kubectl', status: 'ok', message: `kubectl ${version}` }), {
      status: 'fail',
      fix: `Install kubectl: ${TOOLS.kubectl.install}`,
      blocks: DEPLOYS,
    }),
    checkDocker(shell),
    toolCheck(shell, 'terraform', (version) => ({ name: 'terraform', status: 'ok', message: `terraform ${version}` }), {
      status: 'warn',
      fix: `Install Terraform >= 1.9 (or OpenTofu >= 1.8) to use \`infra\` commands: ${TOOLS.terraform.install}`,
      blocks: ['infra'],
    }).then((check) =>
      check.status === 'ok' ? check : { ...check, message: `${check.message} (only the infra commands need it)` },
    ),
    toolCheck(shell, 'linode-cli', (version) => ({ name: 'linode-cli', status: 'ok', message: version }), {
      status: 'ok',
      fix: '',
      message: 'linode-cli not installed: fine, deckhand calls the Linode API directly',
      blocks: [],
    }).then(({ fix: _fix, ...check }) => check),
    Promise.resolve(checkConfiguration(ctx)),
    checkCluster(ctx, namespace),
  ];
  return (await Promise.all(checks)).flat();
}

async function checkDocker(shell: Runner): Promise<CheckResult[]> {
  const client = await toolCheck(
    shell,
    'docker',
    (version) => ({ name: 'docker', status: 'ok', message: `docker ${version}` }),
    {
      status: 'warn',
      fix: `Install Docker: ${TOOLS.docker.install} (needed to build images; \`deploy --image REF\` works without it)`,
      blocks: ['build'],
    },
  );
  if (client.status !== 'ok') return [client];
  const results: CheckResult[] = [client];
  const engine = await shell.run(docker.serverVersionArgs(), { kind: 'read', nothrow: true, timeoutMs: 20_000 });
  results.push(
    engine.exitCode === 0
      ? { name: 'docker engine', status: 'ok', message: `engine ${engine.stdout.trim()} answers` }
      : {
          name: 'docker engine',
          status: 'warn',
          message: 'no docker engine answers',
          fix: 'Start Docker Desktop or the docker service (deploy needs it unless you pass --image).',
          blocks: { purposes: ['build'], lack: 'no docker engine' },
        },
  );
  results.push(
    (await docker.hasBuildx(shell))
      ? {
          name: 'buildx',
          status: 'ok',
          message: 'docker buildx is installed (images are built for linux/amd64 and pushed in one step)',
        }
      : {
          name: 'buildx',
          status: 'warn',
          message:
            "docker buildx is missing: deploy falls back to `docker build` + `docker push`, which builds for this machine's own platform",
          fix: 'Install the buildx plugin (Docker Desktop has it); on an arm64 Mac without it, images will not run on LKE (amd64).',
        },
  );
  return results;
}

function checkConfiguration(ctx: Pick<CommandContext, 'config'>): CheckResult {
  const { config } = ctx;
  if (!config.image.owner) {
    return {
      name: 'config',
      status: 'warn',
      message: 'IMAGE_OWNER is not set: deploy cannot name the image it builds',
      fix: 'Copy .env.example to .env and set IMAGE_OWNER (your GitHub user or organisation).',
      blocks: { purposes: ['build'], lack: 'IMAGE_OWNER not set' },
    };
  }
  return { name: 'config', status: 'ok', message: `images go to ${config.image.registry}/${config.image.owner}/<app>` };
}

async function checkCluster(
  ctx: Pick<CommandContext, 'resolveTarget' | 'shell'>,
  namespace: string,
): Promise<CheckResult[]> {
  let target;
  try {
    target = ctx.resolveTarget(namespace);
  } catch (error) {
    if (error instanceof DeckhandError)
      return [
        {
          name: 'kubeconfig',
          status: 'warn',
          message: error.message,
          fix: error.fix,
          blocks: { purposes: DEPLOYS, lack: 'no kubeconfig' },
        },
      ];
    throw error;
  }
  const results: CheckResult[] = [
    { name: 'kubeconfig', status: 'ok', message: `${target.kubeconfig} (from ${target.kubeconfigSource})` },
  ];
  const permissions = kubeconfigPermissionProblem(target.kubeconfig);
  if (permissions) results.push({ name: 'kubeconfig mode', status: 'warn', message: permissions });
  try {
    const version = await kubectl.serverVersion(ctx.shell, target);
    results.push({ name: 'cluster', status: 'ok', message: `${targetBanner(target)} · Kubernetes ${version}` });
  } catch (error) {
    results.push({
      name: 'cluster',
      status: 'fail',
      message: `the cluster at ${target.server} does not answer`,
      fix: error instanceof DeckhandError ? error.fix : undefined,
      blocks: { purposes: DEPLOYS, lack: 'the cluster does not answer' },
    });
  }
  return results;
}

export function formatCheck(result: CheckResult): string {
  const mark = result.status === 'ok' ? '✔' : result.status === 'warn' ? '⚠' : '✖';
  return `${mark} ${result.name.padEnd(16)} ${result.message}${result.fix ? `\n  ${''.padEnd(16)} → ${result.fix}` : ''}`;
}

const PURPOSES: readonly Purpose[] = ['dry-run', 'deploy-image', 'build', 'infra'];
const READY_FOR: Record<Purpose, string> = {
  'dry-run': '--dry-run',
  'deploy-image': 'deploy --image',
  build: 'deploy with a build',
  infra: 'infra',
};

/**
 * One line: what this machine is ready for, and for each thing it is not ready for, what is lacking. A deploy that
 * builds needs all a deploy of an existing image needs and more, so when both are blocked they are told as one.
 */
export function readiness(results: readonly CheckResult[]): string {
  const lacking = new Map<Purpose, string[]>();
  for (const result of results) {
    if (result.status === 'ok' || !result.blocks) continue;
    for (const purpose of result.blocks.purposes) {
      const list = lacking.get(purpose) ?? [];
      if (!list.includes(result.blocks.lack)) list.push(result.blocks.lack);
      lacking.set(purpose, list);
    }
  }
  const ready = PURPOSES.filter((purpose) => !lacking.has(purpose));
  if (ready.length === PURPOSES.length)
    return 'Ready for everything: --dry-run, deploy (with a build or --image), infra.';
  const parts = ready.length > 0 ? [`ready for ${ready.map((purpose) => READY_FOR[purpose]).join(', ')}`] : [];
  const reasons = (...purposes: Purpose[]) =>
    [...new Set(purposes.flatMap((purpose) => lacking.get(purpose) ?? []))].join(', ');
  if (lacking.has('dry-run')) parts.push(`not ready for anything: ${reasons('dry-run')}`);
  else {
    if (lacking.has('deploy-image')) parts.push(`not ready to deploy: ${reasons('deploy-image', 'build')}`);
    else if (lacking.has('build')) parts.push(`not ready to build images: ${reasons('build')}`);
    if (lacking.has('infra')) parts.push(`not ready for infra: ${reasons('infra')}`);
  }
  const sentence = `${parts.join('; ')}.`;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

/** `doctor [app]`: every check, one line each, then what the machine is ready for; exit 1 when any check failed. */
export async function runDoctor(ctx: CommandContext<typeof doctor>): Promise<void> {
  const app = findApp(ctx.invocation.args.app ?? 'caelundas');
  const results = await runChecks(ctx, app.namespace);
  for (const result of results) ctx.ui.data(formatCheck(result));
  ctx.ui.data(readiness(results));
  const failed = results.filter((result) => result.status === 'fail');
  if (failed.length > 0) {
    throw new DeckhandError(
      `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => result.name).join(', ')}.`,
      `Fix the items marked ✖ above, then run \`${deckhand('doctor')}\` again.`,
    );
  }
}

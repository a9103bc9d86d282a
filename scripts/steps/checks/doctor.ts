/**
 * `doctor`: is this machine ready? Each check observes one thing and says what to do about it. Checks are
 * independent reads, so they run concurrently and every problem shows at once.
 */
import { findApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { doctor } from '../../cli/commands/project.ts';
import * as docker from '../../docker.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { displayCommand } from '../../lib/quote.ts';
import type { Runner } from '../../lib/shell.ts';
import { kubeconfigPermissionProblem, targetBanner } from '../../lib/target.ts';
import { probeTool, TOOLS, type ToolName } from './tools.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

const MIN_NODE = [22, 13] as const;

export function checkNode(version: string = process.versions.node): CheckResult {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
    return {
      name: 'node',
      status: 'fail',
      message: `Node ${version} is too old (needs >= ${MIN_NODE.join('.')})`,
      fix: 'Install Node 24 LTS (nvm install 24, or see .nvmrc).',
    };
  }
  if (major < 24)
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

/** The check for one tool: its probe, judged; a missing tool is a failure unless `whenMissing` says otherwise. */
async function toolCheck(
  shell: Runner,
  name: ToolName,
  judge: (version: string) => CheckResult,
  whenMissing: { status: CheckStatus; fix: string; message?: string },
): Promise<CheckResult> {
  const probe = await probeTool(shell, name);
  if (probe.found) return judge(probe.version);
  const message = probe.missing
    ? `${name} is not installed`
    : `${displayCommand(TOOLS[name].versionArgs())} failed: ${probe.reason}`;
  return { name, status: whenMissing.status, message: whenMissing.message ?? message, fix: whenMissing.fix };
}

export async function runChecks(ctx: Omit<CommandContext, 'invocation'>, namespace: string): Promise<CheckResult[]> {
  const { shell } = ctx;
  const checks: Promise<CheckResult | CheckResult[]>[] = [
    Promise.resolve(checkNode()),
    toolCheck(shell, 'helm', judgeHelmVersion, { status: 'fail', fix: `Install Helm 4: ${TOOLS.helm.install}` }),
    toolCheck(shell, 'kubectl', (version) => ({ name: 'kubectl', status: 'ok', message: `kubectl ${version}` }), {
      status: 'fail',
      fix: `Install kubectl: ${TOOLS.kubectl.install}`,
    }),
    checkDocker(shell),
    toolCheck(shell, 'terraform', (version) => ({ name: 'terraform', status: 'ok', message: `terraform ${version}` }), {
      status: 'warn',
      fix: `Install Terraform >= 1.9 (or OpenTofu >= 1.8) to use \`infra\` commands: ${TOOLS.terraform.install}`,
    }).then((check) =>
      check.status === 'ok' ? check : { ...check, message: `${check.message} (only the infra commands need it)` },
    ),
    toolCheck(shell, 'linode-cli', (version) => ({ name: 'linode-cli', status: 'ok', message: version }), {
      status: 'ok',
      fix: '',
      message: 'linode-cli not installed: fine, deckhand calls the Linode API directly',
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
      return [{ name: 'kubeconfig', status: 'warn', message: error.message, fix: error.fix }];
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
    });
  }
  return results;
}

export function formatCheck(result: CheckResult): string {
  const mark = result.status === 'ok' ? '✔' : result.status === 'warn' ? '⚠' : '✖';
  return `${mark} ${result.name.padEnd(16)} ${result.message}${result.fix ? `\n  ${''.padEnd(16)} → ${result.fix}` : ''}`;
}

/** `doctor [app]`: every check, one line each, and exit 1 when any failed. */
export async function runDoctor(ctx: CommandContext<typeof doctor>): Promise<void> {
  const app = findApp(ctx.invocation.args.app ?? 'caelundas');
  const results = await runChecks(ctx, app.namespace);
  for (const result of results) ctx.ui.info(formatCheck(result));
  const failed = results.filter((result) => result.status === 'fail');
  if (failed.length > 0) {
    throw new DeckhandError(
      `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => result.name).join(', ')}.`,
      `Fix the items marked ✖ above, then run \`${deckhand('doctor')}\` again.`,
    );
  }
  ctx.ui.success('Ready.');
}

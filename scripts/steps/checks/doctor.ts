/**
 * `doctor`: is this machine ready? Each check observes one thing and says what to do about it. Checks are
 * independent reads, so they run concurrently and every problem shows at once.
 */
import * as docker from '../../docker.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { kubeconfigPermissionProblem, targetBanner } from '../../lib/target.ts';
import type { Runner } from '../../lib/shell.ts';

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

async function probe(
  shell: Runner,
  name: string,
  argv: string[],
  missingFix: string,
): Promise<{ ok: true; output: string } | { ok: false; result: CheckResult }> {
  const result = await shell.run(argv, { kind: 'read', nothrow: true, timeoutMs: 20_000 });
  // The runner starts programs through bash, which answers 127 for a program that is not on PATH.
  if (result.exitCode === 127) {
    return { ok: false, result: { name, status: 'fail', message: `${name} is not installed`, fix: missingFix } };
  }
  if (result.exitCode !== 0)
    return {
      ok: false,
      result: {
        name,
        status: 'fail',
        message: `${argv.join(' ')} failed: ${result.stderr.trim().split('\n').pop() ?? ''}`,
        fix: missingFix,
      },
    };
  return { ok: true, output: result.stdout.trim() };
}

export async function runChecks(ctx: CommandContext, namespace: string): Promise<CheckResult[]> {
  const { shell } = ctx;
  const checks: Promise<CheckResult | CheckResult[]>[] = [
    Promise.resolve(checkNode()),
    probe(shell, 'helm', helm.versionArgs(), 'Install Helm 4: https://helm.sh/docs/intro/install/').then((probed) =>
      probed.ok ? judgeHelmVersion(probed.output) : probed.result,
    ),
    probe(
      shell,
      'kubectl',
      kubectl.clientVersionArgs(),
      'Install kubectl: https://kubernetes.io/docs/tasks/tools/',
    ).then((probed) =>
      probed.ok
        ? { name: 'kubectl', status: 'ok' as const, message: `kubectl ${kubectl.parseClientVersion(probed.output)}` }
        : probed.result,
    ),
    checkDocker(shell),
    probe(
      shell,
      'terraform',
      ['terraform', 'version', '-json'],
      'Install Terraform >= 1.9 (or OpenTofu >= 1.8) to use `infra` commands: https://developer.hashicorp.com/terraform/install',
    ).then((probed) =>
      probed.ok
        ? {
            name: 'terraform',
            status: 'ok' as const,
            message: `terraform ${(JSON.parse(probed.output) as { terraform_version: string }).terraform_version}`,
          }
        : {
            ...probed.result,
            status: 'warn' as const,
            message: `${probed.result.message} (only the infra commands need it)`,
          },
    ),
    probe(shell, 'linode-cli', ['linode-cli', '--version'], '').then((probed) =>
      probed.ok
        ? { name: 'linode-cli', status: 'ok' as const, message: probed.output.split('\n')[0]! }
        : {
            name: 'linode-cli',
            status: 'ok' as const,
            message: 'linode-cli not installed: fine, deckhand calls the Linode API directly',
          },
    ),
    Promise.resolve(checkConfiguration(ctx)),
    checkCluster(ctx, namespace),
  ];
  return (await Promise.all(checks)).flat();
}

async function checkDocker(shell: Runner): Promise<CheckResult[]> {
  const client = await probe(
    shell,
    'docker',
    docker.clientVersionArgs(),
    'Install Docker: https://docs.docker.com/get-docker/ (needed to build images; `deploy --image REF` works without it)',
  );
  if (!client.ok) return [{ ...client.result, status: 'warn' }];
  const results: CheckResult[] = [
    { name: 'docker', status: 'ok', message: `docker ${docker.parseClientVersion(client.output)}` },
  ];
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

function checkConfiguration(ctx: CommandContext): CheckResult {
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

async function checkCluster(ctx: CommandContext, namespace: string): Promise<CheckResult[]> {
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

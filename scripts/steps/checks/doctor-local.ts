/**
 * doctor's checks of this machine: Node, the tools and their versions (helm 4, kubectl, terraform ≥ 1.9), the docker
 * engine and whether buildx can build linux/amd64, a registry login docker can push with, and the configuration.
 * Each says what to do when it is not fine, with the install command for this system.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as docker from '../../docker.ts';
import type { Config } from '../../lib/config.ts';
import { NODE_RANGE, satisfies } from '../../lib/node-version.js';
import type { Runner } from '../../lib/shell.ts';
import { DEPLOYS, compareVersions, toolCheck, type CheckResult, type ToolCheck } from './check.ts';
import { detectOs, installHint, type OsInfo } from './install-hints.ts';

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

export function judgeHelmVersion(version: string, os: OsInfo = detectOs()): CheckResult {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? 0);
  if (major >= 4) return { name: 'helm', status: 'ok', message: `helm ${version}` };
  const fix = `Install Helm 4: ${installHint('helm', os)}`;
  if (major === 3) {
    return {
      name: 'helm',
      status: 'warn',
      message: `helm ${version}: Helm 3 reached end of life in November 2026; deckhand is built and tested for Helm 4`,
      fix,
    };
  }
  return { name: 'helm', status: 'fail', message: `helm ${version} is not supported`, fix };
}

export const TERRAFORM_MINIMUM = '1.9.0';

export function judgeTerraformVersion(version: string, os: OsInfo = detectOs()): CheckResult {
  if (compareVersions(version, TERRAFORM_MINIMUM) >= 0)
    return { name: 'terraform', status: 'ok', message: `terraform ${version}` };
  return {
    name: 'terraform',
    status: 'fail',
    message: `terraform ${version} is too old (the configuration needs ${TERRAFORM_MINIMUM} or newer)`,
    fix: `Install Terraform ${TERRAFORM_MINIMUM}+ (or OpenTofu 1.8+): ${installHint('terraform', os)}`,
    blocks: { purposes: ['infra'], lack: `terraform ${version}` },
  };
}

export interface LocalChecks {
  results: CheckResult[];
  helm: ToolCheck;
  kubectl: ToolCheck;
}

export async function localChecks(config: Config, shell: Runner, os: OsInfo = detectOs()): Promise<LocalChecks> {
  const [helm, kubectl, dockerChecks, terraform, linodeCli] = await Promise.all([
    // A dry run renders the chart when helm is there and says so when it is not: only real deploys need helm.
    toolCheck(shell, 'helm', (version) => judgeHelmVersion(version, os), {
      status: 'fail',
      fix: `Install Helm 4: ${installHint('helm', os)}`,
      blocks: DEPLOYS,
    }),
    // The version against the server's is judged with the cluster checks.
    toolCheck(shell, 'kubectl', (version) => ({ name: 'kubectl', status: 'ok', message: `kubectl ${version}` }), {
      status: 'fail',
      fix: `Install kubectl: ${installHint('kubectl', os)}`,
      blocks: DEPLOYS,
    }),
    checkDocker(config, shell, os),
    toolCheck(shell, 'terraform', (version) => judgeTerraformVersion(version, os), {
      status: 'warn',
      fix: `Install Terraform ${TERRAFORM_MINIMUM}+ (or OpenTofu 1.8+) to use \`infra\` commands: ${installHint('terraform', os)}`,
      blocks: ['infra'],
    }).then(({ result }) =>
      result.status === 'warn' && result.blocks
        ? { ...result, message: `${result.message} (only the infra commands need it)` }
        : result,
    ),
    toolCheck(shell, 'linode-cli', (version) => ({ name: 'linode-cli', status: 'ok', message: version }), {
      status: 'ok',
      fix: '',
      message: 'linode-cli not installed: fine, deckhand calls the Linode API directly',
      blocks: [],
    }).then(({ result }) => result),
  ]);
  return {
    helm,
    kubectl,
    results: [
      checkNode(),
      helm.result,
      kubectl.result,
      ...dockerChecks,
      terraform,
      linodeCli,
      checkConfiguration(config),
    ],
  };
}

async function checkDocker(config: Config, shell: Runner, os: OsInfo): Promise<CheckResult[]> {
  const { result: client } = await toolCheck(
    shell,
    'docker',
    (version) => ({ name: 'docker', status: 'ok', message: `docker ${version}` }),
    {
      status: 'warn',
      fix: `Install Docker: ${installHint('docker', os)} (needed to build images; \`deploy --image REF\` works without it)`,
      blocks: ['build'],
    },
  );
  if (client.status !== 'ok') return [client];
  const [engine, buildx, login] = await Promise.all([
    shell.run(docker.serverVersionArgs(), { kind: 'read', nothrow: true, timeoutMs: 20_000 }),
    checkBuildx(shell, os),
    checkRegistryLogin(config, shell),
  ]);
  return [
    client,
    engine.exitCode === 0
      ? { name: 'docker engine', status: 'ok', message: `engine ${engine.stdout.trim()} answers` }
      : {
          name: 'docker engine',
          status: 'warn',
          message: 'no docker engine answers',
          fix: 'Start Docker Desktop / `sudo systemctl start docker` (deploy needs it to build; `deploy --image REF` does not).',
          blocks: { purposes: ['build'], lack: 'no docker engine' },
        },
    buildx,
    login,
  ];
}

/** The platforms of buildx's current builder, from `docker buildx inspect`'s "Platforms:" line. */
export function parseBuildxPlatforms(stdout: string): string[] {
  const line = stdout.split('\n').find((candidate) => /^\s*Platforms:/.test(candidate));
  return (
    line
      ?.replace(/^\s*Platforms:/, '')
      .split(',')
      .map((platform) => platform.trim().replace(/\*$/, ''))
      .filter(Boolean) ?? []
  );
}

async function checkBuildx(shell: Runner, os: OsInfo): Promise<CheckResult> {
  if (!(await docker.hasBuildx(shell))) {
    return {
      name: 'buildx',
      status: 'warn',
      message:
        "docker buildx is missing: deploy falls back to `docker build` + `docker push`, which builds for this machine's own platform",
      fix: `Install the buildx plugin: ${installHint('buildx', os)}. Without it, images built on an arm64 Mac will not run on LKE (amd64).`,
    };
  }
  const inspect = await shell.run(docker.buildxInspectArgs(), { kind: 'read', nothrow: true, timeoutMs: 20_000 });
  const platforms = inspect.exitCode === 0 ? parseBuildxPlatforms(inspect.stdout) : [];
  if (platforms.includes('linux/amd64'))
    return { name: 'buildx', status: 'ok', message: 'docker buildx builds linux/amd64 (the platform of LKE nodes)' };
  if (platforms.length === 0)
    return {
      name: 'buildx',
      status: 'warn',
      message: `docker buildx is installed, but its builder did not say which platforms it builds (${(inspect.stderr || inspect.stdout).trim().split('\n').pop() ?? 'no answer'})`,
      fix: 'Start the docker engine, then check with: docker buildx inspect --bootstrap',
    };
  return {
    name: 'buildx',
    status: 'fail',
    message: `docker buildx builds ${platforms.join(', ')}, not linux/amd64: images would not run on LKE`,
    fix: 'Add amd64 emulation: docker run --privileged --rm tonistiigi/binfmt --install amd64 (Docker Desktop has it built in)',
    blocks: { purposes: ['build'], lack: 'buildx without linux/amd64' },
  };
}

interface DockerConfigFile {
  auths?: Record<string, unknown>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The keys docker uses for a registry in config.json (`ghcr.io`, `https://ghcr.io`, `https://ghcr.io/v1/`). */
function registryKeys(registry: string): string[] {
  return [registry, `https://${registry}`, `https://${registry}/`, `https://${registry}/v1/`];
}

/**
 * Can docker push to the image registry? deploy logs in with GITHUB_TOKEN when it is set; otherwise docker's own
 * credential for the registry must exist (`docker login`): an entry in config.json, or one its credential helper
 * lists (`docker-credential-<helper> list` prints server names and user names, never a secret).
 */
export async function checkRegistryLogin(config: Config, shell: Runner): Promise<CheckResult> {
  const registry = config.image.registry;
  const name = `${registry} login`;
  if (docker.isLoopbackRegistry(registry))
    return { name, status: 'ok', message: `${registry} is on this machine: no login needed` };
  if (config.githubToken)
    return { name, status: 'ok', message: `GITHUB_TOKEN is set: deploy logs docker in to ${registry} with it` };
  const dir = config.realEnv.DOCKER_CONFIG || path.join(config.realEnv.HOME || os.homedir(), '.docker');
  let file: DockerConfigFile = {};
  try {
    file = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as DockerConfigFile;
  } catch {
    // no config.json: no credential
  }
  const keys = registryKeys(registry);
  const helper = keys.map((key) => file.credHelpers?.[key]).find(Boolean) ?? file.credsStore;
  const inline = keys.some((key) => {
    const entry = file.auths?.[key] as { auth?: string; identitytoken?: string } | undefined;
    return Boolean(entry?.auth || entry?.identitytoken);
  });
  let found = inline;
  if (!found && helper) {
    const listed = await shell
      .run([`docker-credential-${helper}`, 'list'], { kind: 'read', nothrow: true, timeoutMs: 15_000 })
      .catch(() => undefined);
    try {
      const servers = Object.keys(JSON.parse(listed?.stdout || '{}') as Record<string, string>);
      found = servers.some((server) => keys.includes(server));
    } catch {
      found = false;
    }
  }
  if (found) return { name, status: 'ok', message: `docker has a credential for ${registry}` };
  return {
    name,
    status: 'warn',
    message: `docker has no credential for ${registry} and GITHUB_TOKEN is not set: pushing an image will be refused`,
    fix: `Set GITHUB_TOKEN (a token with write:packages) in .env, or log in once: docker login ${registry}`,
    blocks: { purposes: ['build'], lack: `no ${registry} login` },
  };
}

function checkConfiguration(config: Config): CheckResult {
  if (!config.image.owner) {
    return {
      name: 'config',
      status: 'warn',
      message: 'IMAGE_OWNER is not set: deploy cannot name the image it builds',
      fix: 'Copy .env.example to .env and set IMAGE_OWNER (your GitHub user or organisation), or run `setup`.',
      blocks: { purposes: ['build'], lack: 'IMAGE_OWNER not set' },
    };
  }
  return { name: 'config', status: 'ok', message: `images go to ${config.image.registry}/${config.image.owner}/<app>` };
}

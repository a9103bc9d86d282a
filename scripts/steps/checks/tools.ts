/**
 * Which of the wrapped tools are installed, and their versions: one probe per tool, shared by `doctor` and by the
 * prerequisite checks of every pipeline. Each probe is a read that never throws; what a missing tool means (fatal,
 * fine for a dry run, not needed at all) is the caller's decision.
 */
import * as docker from '../../docker.ts';
import * as gh from '../../gh.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import * as linode from '../../linode.ts';
import { ToolMissingError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import * as terraform from '../../terraform.ts';

export type ToolName = 'git' | 'docker' | 'helm' | 'kubectl' | 'terraform' | 'linode-cli' | 'gh';

interface ToolDefinition {
  versionArgs: () => string[];
  parseVersion: (stdout: string) => string;
  /** Where to get it. */
  install: string;
}

export const TOOLS: Readonly<Record<ToolName, ToolDefinition>> = {
  git: {
    versionArgs: () => ['git', '--version'],
    parseVersion: (stdout) => stdout.trim().replace(/^git version /, ''),
    install: 'https://git-scm.com/downloads',
  },
  docker: {
    versionArgs: docker.clientVersionArgs,
    parseVersion: docker.parseClientVersion,
    install: 'https://docs.docker.com/get-docker/',
  },
  helm: {
    versionArgs: helm.versionArgs,
    parseVersion: helm.parseVersion,
    install: 'https://helm.sh/docs/intro/install/',
  },
  kubectl: {
    versionArgs: kubectl.clientVersionArgs,
    parseVersion: kubectl.parseClientVersion,
    install: 'https://kubernetes.io/docs/tasks/tools/',
  },
  terraform: {
    versionArgs: terraform.versionArgs,
    parseVersion: terraform.parseVersion,
    install: 'https://developer.hashicorp.com/terraform/install',
  },
  'linode-cli': {
    versionArgs: linode.cliVersionArgs,
    parseVersion: (stdout) => stdout.trim().split('\n')[0] ?? '',
    install: 'https://techdocs.akamai.com/cloud-computing/docs/install-and-configure-the-cli',
  },
  gh: { versionArgs: gh.versionArgs, parseVersion: gh.parseVersion, install: gh.INSTALL_URL },
};

export type ToolProbe =
  | { name: ToolName; found: true; version: string }
  | {
      name: ToolName;
      found: false;
      /** `not on PATH`, or the last line the program printed when it ran and failed. */
      reason: string;
      /** True when the program is not there at all (not merely failing). */
      missing: boolean;
    };

const PROBE_TIMEOUT_MS = 20_000;

export async function probeTool(shell: Runner, name: ToolName): Promise<ToolProbe> {
  const tool = TOOLS[name];
  let result;
  try {
    result = await shell.run(tool.versionArgs(), { kind: 'read', nothrow: true, timeoutMs: PROBE_TIMEOUT_MS });
  } catch (error) {
    if (error instanceof ToolMissingError) return { name, found: false, reason: 'not on PATH', missing: true };
    throw error;
  }
  if (result.exitCode === 0) {
    try {
      return { name, found: true, version: tool.parseVersion(result.stdout) };
    } catch {
      return { name, found: false, reason: `its version output was not understood`, missing: false };
    }
  }
  const lastLine = (result.stderr || result.stdout).trim().split('\n').pop() || `exit ${result.exitCode}`;
  return { name, found: false, reason: lastLine, missing: false };
}

/** The probes, side by side, by tool name. */
export async function probeTools<Name extends ToolName>(
  shell: Runner,
  names: readonly Name[],
): Promise<Record<Name, ToolProbe>> {
  const probes = await Promise.all(names.map((name) => probeTool(shell, name)));
  return Object.fromEntries(probes.map((probe) => [probe.name, probe])) as Record<Name, ToolProbe>;
}

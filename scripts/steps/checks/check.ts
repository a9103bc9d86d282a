/**
 * What a doctor check reports, and how a tool's probe becomes one. Shared by the groups of checks (this machine,
 * the Linode token, the cluster) and by `setup`, which reads the same results to decide what to offer.
 */
import { displayCommand } from '../../lib/quote.ts';
import type { Runner } from '../../lib/shell.ts';
import { probeTool, TOOLS, type ToolName, type ToolProbe } from './tools.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** What a person may want this machine for, from least to most demanding. */
export type Purpose = 'dry-run' | 'deploy-image' | 'build' | 'infra';
export const PURPOSES: readonly Purpose[] = ['dry-run', 'deploy-image', 'build', 'infra'];
export const DEPLOYS: readonly Purpose[] = ['deploy-image', 'build'];

export interface CheckResult {
  name: string;
  status: CheckStatus;
  message: string;
  fix?: string;
  /** When not ok: what it makes impossible, and what is lacking in a few words ("no kubeconfig"). */
  blocks?: { purposes: readonly Purpose[]; lack: string };
}

export interface ToolCheck {
  result: CheckResult;
  probe: ToolProbe;
}

/**
 * The check for one tool: its probe, judged. A missing tool has `whenMissing`'s status and blocks its purposes, as
 * does a version the judge fails.
 */
export async function toolCheck(
  shell: Runner,
  name: ToolName,
  judge: (version: string) => CheckResult,
  whenMissing: { status: CheckStatus; fix: string; message?: string; blocks: readonly Purpose[] },
): Promise<ToolCheck> {
  const probe = await probeTool(shell, name);
  if (probe.found) {
    const judged = judge(probe.version);
    const result =
      judged.status === 'fail' && !judged.blocks
        ? { ...judged, blocks: { purposes: whenMissing.blocks, lack: judged.message } }
        : judged;
    return { result, probe };
  }
  const message = probe.missing
    ? `${name} is not installed`
    : `${displayCommand(TOOLS[name].versionArgs())} failed: ${probe.reason}`;
  return {
    probe,
    result: {
      name,
      status: whenMissing.status,
      message: whenMissing.message ?? message,
      ...(whenMissing.fix ? { fix: whenMissing.fix } : {}),
      ...(whenMissing.blocks.length > 0 ? { blocks: { purposes: whenMissing.blocks, lack: `no ${name}` } } : {}),
    },
  };
}

/** `1.34` from v1.34.5, 1.34.2+lke1 or "1.34"; undefined when it is not a version. */
export function minorOf(version: string): { major: number; minor: number } | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** -1, 0 or 1 as `a` is older than, the same as or newer than `b` (major.minor.patch). */
export function compareVersions(a: string, b: string): number {
  const parts = (version: string) => (/(\d+)\.(\d+)(?:\.(\d+))?/.exec(version) ?? []).slice(1).map(Number);
  const [left, right] = [parts(a), parts(b)];
  for (let index = 0; index < 3; index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/**
 * `doctor`: is this machine ready — and for what? Each check observes one thing and says what to do about it; checks
 * are independent reads, so they run concurrently and every problem shows at once. The report goes to stdout (it is
 * what the command was asked for), one line per check or, with --json, one JSON document whose field names are
 * stable; its last line names what is ready and what is not, and why: a machine with no kubeconfig and no docker
 * engine is ready for `deploy --dry-run`, not for a deploy. Exit 1 only when a check marked ✖ failed.
 *
 * The checks live beside this file by subject: doctor-local.ts (this machine), token-check.ts (the Linode token),
 * doctor-cluster.ts (the cluster).
 */
import { findApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { doctor } from '../../cli/commands/project.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { findToken } from '../infra/token.ts';
import { PURPOSES, type CheckResult, type Purpose } from './check.ts';
import { clusterChecks } from './doctor-cluster.ts';
import { localChecks } from './doctor-local.ts';
import { tokenCheckResult, verifyToken } from './token-check.ts';
import { plural } from '../../lib/wording.ts';

export type { CheckResult, CheckStatus, Purpose } from './check.ts';
export { checkNode, judgeHelmVersion } from './doctor-local.ts';

export type DoctorContext = Pick<CommandContext, 'config' | 'shell' | 'masker' | 'resolveTarget' | 'interruption'>;

export async function runChecks(ctx: DoctorContext, namespace: string): Promise<CheckResult[]> {
  const token = findToken(ctx);
  const verdict = token ? verifyToken(ctx.config, token, ctx.interruption.signal) : Promise.resolve(undefined);
  // The cluster checks need kubectl's version (for the skew) and whether helm runs; the token check runs meanwhile.
  const local = await localChecks(ctx.config, ctx.shell);
  const cluster = await clusterChecks({
    config: ctx.config,
    shell: ctx.shell,
    resolveTarget: (ns) => ctx.resolveTarget(ns),
    namespace,
    ...(local.kubectl.probe.found ? { kubectlVersion: local.kubectl.probe.version } : {}),
    helm: local.helm.probe.found,
  });
  return [...local.results, tokenCheckResult(await verdict), ...cluster];
}

export function formatCheck(result: CheckResult): string {
  const mark = result.status === 'ok' ? '✔' : result.status === 'warn' ? '⚠' : '✖';
  return `${mark} ${result.name.padEnd(16)} ${result.message}${result.fix ? `\n  ${''.padEnd(16)} → ${result.fix}` : ''}`;
}

const READY_FOR: Record<Purpose, string> = {
  'dry-run': '--dry-run',
  'deploy-image': 'deploy --image',
  build: 'deploy with a build',
  infra: 'infra',
};

function lackingByPurpose(results: readonly CheckResult[]): Map<Purpose, string[]> {
  const lacking = new Map<Purpose, string[]>();
  for (const result of results) {
    if (result.status === 'ok' || !result.blocks) continue;
    for (const purpose of result.blocks.purposes) {
      const list = lacking.get(purpose) ?? [];
      if (!list.includes(result.blocks.lack)) list.push(result.blocks.lack);
      lacking.set(purpose, list);
    }
  }
  return lacking;
}

/**
 * One line: what this machine is ready for, and for each thing it is not ready for, what is lacking. A deploy that
 * builds needs all a deploy of an existing image needs and more, so when both are blocked they are told as one.
 */
export function readiness(results: readonly CheckResult[]): string {
  const lacking = lackingByPurpose(results);
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

/** The --json document. Field names are a contract for scripts: add fields, never rename or remove one. */
export interface DoctorReport {
  checks: { name: string; status: CheckResult['status']; message: string; fix?: string; blocks?: Purpose[] }[];
  /** For each purpose: ready, or what is lacking. */
  ready: Record<Purpose, { ready: boolean; lacking: string[] }>;
  summary: string;
  failed: string[];
}

export function doctorReport(results: readonly CheckResult[]): DoctorReport {
  const lacking = lackingByPurpose(results);
  return {
    checks: results.map((result) => ({
      name: result.name,
      status: result.status,
      message: result.message,
      ...(result.fix ? { fix: result.fix } : {}),
      ...(result.blocks && result.status !== 'ok' ? { blocks: [...result.blocks.purposes] } : {}),
    })),
    ready: Object.fromEntries(
      PURPOSES.map((purpose) => [purpose, { ready: !lacking.has(purpose), lacking: lacking.get(purpose) ?? [] }]),
    ) as DoctorReport['ready'],
    summary: readiness(results),
    failed: results.filter((result) => result.status === 'fail').map((result) => result.name),
  };
}

/** `doctor [app]`: every check, one line each, then what the machine is ready for; exit 1 when any check failed. */
export async function runDoctor(ctx: CommandContext<typeof doctor>): Promise<void> {
  const app = findApp(ctx.invocation.args.app ?? 'caelundas');
  const results = await runChecks(ctx, app.namespace);
  if (ctx.invocation.options.json) ctx.ui.data(JSON.stringify(doctorReport(results), null, 2));
  else {
    for (const result of results) ctx.ui.data(formatCheck(result));
    ctx.ui.data(readiness(results));
  }
  const failed = results.filter((result) => result.status === 'fail');
  if (failed.length > 0) {
    throw new DeckhandError(
      `${plural(failed.length, 'check')} failed: ${failed.map((result) => result.name).join(', ')}.`,
      `Fix the items marked ✖ above, then run \`${deckhand('doctor')}\` again.`,
    );
  }
}

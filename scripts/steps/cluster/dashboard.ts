/**
 * `dashboard install | token <app>`: Headlamp from its chart repository at a pinned version, without the chart's
 * cluster-admin binding; and short-lived tokens to log in to it with, bound to the built-in `view` role in one
 * app's namespace (see dashboard-access.ts). The token is printed alone on stdout — nothing else goes there, so it can
 * be piped — and is registered with the masker first, so it appears nowhere else: not in logs, errors or --verbose,
 * and never on a command line (kubectl prints it; nobody passes it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { findApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { dashboard } from '../../cli/commands/addons.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { parseDuration } from '../../lib/duration.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { runPipeline, taskLog, type StepTask } from '../../lib/pipeline.ts';
import { revealLine } from '../../lib/reveal.ts';
import { ensureNamespace, resolveAddonTarget, type AddonTarget } from './addon-target.ts';
import { decideRelease, readRelease, wantedValues, type ReleaseDecision } from './chart-release.ts';
import { ADMIN, VIEWER, checkViewerLimits, convergeAccess } from './dashboard-access.ts';

/**
 * The pinned chart: headlamp 0.45.0 (Headlamp 0.45.0, published 2026-08-20), read in kubernetes-sigs/headlamp
 * `charts/headlamp/Chart.yaml` at tag v0.45.0 and in the repository's gh-pages `index.yaml`.
 */
export const HEADLAMP = {
  release: 'headlamp',
  namespace: 'headlamp',
  chartName: 'headlamp',
  chartVersion: '0.45.0',
  appVersion: '0.45.0',
  service: 'headlamp',
  servicePort: 80,
  localPort: 8080,
  valuesFile: 'k8s/addons/headlamp/values.yaml',
} as const;

const DEFAULT_TOKEN_MS = 3_600_000;
/** kube-apiserver refuses TokenRequests shorter than 10 minutes. */
const MIN_TOKEN_MS = 10 * 60_000;
const INSTALL_TIMEOUT_MS = 5 * 60_000;

type DashboardContext = CommandContext<typeof dashboard>;

export async function runDashboard(ctx: DashboardContext): Promise<void> {
  if (ctx.invocation.args.action === 'install') return installHeadlamp(ctx);
  return issueToken(ctx);
}

/** The port-forward that reaches Headlamp, as the person types it (their kubeconfig and context named). */
export function reachCommand(cluster: AddonTarget): string {
  const { target } = cluster;
  return [
    'kubectl port-forward',
    ...(cluster.reachable ? ['--kubeconfig', target.kubeconfig, '--context', target.context] : []),
    `-n ${HEADLAMP.namespace} service/${HEADLAMP.service} ${HEADLAMP.localPort}:${HEADLAMP.servicePort}`,
  ].join(' ');
}

interface InstallRun {
  ctx: DashboardContext;
  cluster: AddonTarget;
  decision: ReleaseDecision;
}

async function installHeadlamp(ctx: DashboardContext): Promise<void> {
  const cluster = await resolveAddonTarget(ctx, HEADLAMP.namespace, { forWrite: true, fixedNamespace: true });
  const source: helm.ChartSource = {
    chart: HEADLAMP.chartName,
    version: HEADLAMP.chartVersion,
    repo: ctx.config.addons.headlampChartRepo,
  };
  const valuesFile = path.join(ctx.config.repoRoot, HEADLAMP.valuesFile);
  const run: InstallRun = { ctx, cluster, decision: { action: 'install' } };
  const shellOf = (task: StepTask) => ctx.shell.withLog(taskLog(task));
  await runPipeline(
    run,
    [
      {
        title: 'Plan the Headlamp install',
        keepOutput: true,
        run: async (_, task) => {
          task.output = cluster.banner;
          task.output = `chart ${HEADLAMP.chartName} ${HEADLAMP.chartVersion} from ${source.repo}, values ${HEADLAMP.valuesFile} (no cluster-admin binding)`;
          const live = cluster.reachable
            ? await readRelease(shellOf(task), cluster.target, HEADLAMP.namespace, HEADLAMP.release, HEADLAMP.chartName)
            : undefined;
          run.decision = decideRelease(live, {
            chartVersion: HEADLAMP.chartVersion,
            values: wantedValues(readFileSync(valuesFile, 'utf8')),
          });
          task.title = `Planned: ${run.decision.action === 'unchanged' ? 'nothing to change' : run.decision.action}`;
        },
      },
      {
        title: `Create the ${HEADLAMP.namespace} namespace (Pod Security restricted)`,
        run: async (_, task) => {
          const result = await ensureNamespace(shellOf(task), cluster.target, HEADLAMP.namespace, cluster.reachable);
          task.title = `Namespace ${HEADLAMP.namespace}: ${ctx.config.dryRun ? 'checked' : result}`;
        },
      },
      {
        title: `Install Headlamp ${HEADLAMP.chartVersion}`,
        run: async (_, task) => {
          const { decision } = run;
          if (decision.action === 'unchanged') return task.skip(`Headlamp unchanged: ${decision.reason}.`);
          if (decision.action === 'upgrade') task.output = `upgrade: ${decision.reason}`;
          await shellOf(task).run(
            helm.upgradeInstallArgs(cluster.target, {
              release: HEADLAMP.release,
              chart: source.chart,
              source: { version: source.version, repo: source.repo! },
              namespace: HEADLAMP.namespace,
              valuesFiles: [valuesFile],
              wait: true,
              timeoutMs: INSTALL_TIMEOUT_MS,
            }),
            { kind: 'write', timeoutMs: INSTALL_TIMEOUT_MS + 60_000 },
          );
          task.title = `${ctx.config.dryRun ? `Would ${decision.action}` : decision.action === 'install' ? 'Installed' : 'Upgraded'} Headlamp ${HEADLAMP.chartVersion}`;
        },
      },
    ],
    { verbose: ctx.config.verbose, interactive: ctx.prompter.interactive },
  );
  ctx.ui.info(`Reach it: ${reachCommand(cluster)}, then open http://127.0.0.1:${HEADLAMP.localPort}`);
  ctx.ui.info(`Log in with a read-only token: ${deckhand('dashboard', 'token')} <app>`);
  ctx.ui.success(
    ctx.config.dryRun
      ? 'Dry run done: nothing was changed.'
      : run.decision.action === 'unchanged'
        ? `Headlamp ${HEADLAMP.chartVersion} was already installed with these values: nothing changed.`
        : `Headlamp ${HEADLAMP.chartVersion} is installed.`,
  );
}

/** Milliseconds of the token's lifetime from --duration (default 1h, at least 10m). */
export function tokenDuration(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TOKEN_MS;
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`--duration expects a duration such as 30m or 2h, got "${text}".`);
  if (ms < MIN_TOKEN_MS)
    throw new UsageError(`--duration ${text} is too short: Kubernetes issues tokens for 10m or more.`);
  return ms;
}

async function issueToken(ctx: DashboardContext): Promise<void> {
  const { options } = ctx.invocation;
  const appName = ctx.invocation.args.app;
  if (!appName) {
    throw new UsageError(
      "Which app? A token may view one app's namespace.",
      `Example: ${deckhand('dashboard', 'token', 'wpp-bot')}`,
    );
  }
  const app = findApp(appName);
  const durationMs = tokenDuration(options.duration);
  const role = options.admin ? ADMIN : VIEWER;
  const cluster = await resolveAddonTarget(ctx, app.namespace, { forWrite: true });
  const namespace = cluster.target.namespace;
  ctx.ui.info(cluster.banner);
  if (options.admin && !ctx.config.dryRun) {
    const granted =
      ctx.config.yes ||
      (await ctx.prompter.confirm(
        {
          message: `A token from --admin grants ${role.grants}, in namespace ${namespace}, for ${Math.round(durationMs / 60_000)} minutes, to whoever holds it. Issue it?`,
          default: false,
        },
        {
          what: 'confirmation for an admin token',
          howToProvide: 'pass --yes (it grants full control of the namespace)',
        },
      ));
    if (!granted)
      throw new UsageError('No admin token issued.', `A read-only token: ${deckhand('dashboard', 'token', app.name)}`);
  }
  const log = (line: string) => ctx.ui.info(line);
  const shell = ctx.shell.withLog(log);
  const access = await convergeAccess(shell, cluster.target, namespace, role, cluster.reachable);
  log(
    `ServiceAccount ${role.serviceAccount} (${role.clusterRole} in ${namespace}): ${ctx.config.dryRun ? 'checked' : access}`,
  );
  if (role === VIEWER && cluster.reachable && !(ctx.config.dryRun && access === 'created')) {
    const note = await checkViewerLimits(shell, cluster.target, namespace, role);
    if (note) ctx.ui.warn(note);
  }
  const result = await shell.run(kubectl.createTokenArgs(cluster.target, namespace, role.serviceAccount, durationMs), {
    kind: 'write',
    hint: `Is ${role.serviceAccount} in namespace ${namespace}? Run the command again; it creates it.`,
  });
  if (result.skipped) {
    ctx.ui.success('Dry run done: no token was issued.');
    return;
  }
  const issued = JSON.parse(result.stdout) as { status?: { token?: string; expirationTimestamp?: string } };
  const token = issued.status?.token;
  if (!token) throw new DeckhandError('kubectl create token answered without a token.', 'Run it again with --verbose.');
  // Masked everywhere from here on; printed once, on purpose, alone on stdout.
  ctx.masker.add(token);
  revealLine(1, token);
  const expires = issued.status?.expirationTimestamp;
  const shortened =
    expires && Date.parse(expires) - Date.now() < durationMs - 60_000 ? ' (the cluster shortened it)' : '';
  log(`Token for ${role.serviceAccount}: ${role.grants}. Valid until ${expires ?? 'unknown'}${shortened}.`);
  const headlamp = cluster.reachable
    ? await kubectl.getByPath(
        ctx.shell,
        cluster.target,
        kubectl.corePath('services', HEADLAMP.service, HEADLAMP.namespace),
      )
    : undefined;
  if (!headlamp) log(`Headlamp is not installed yet: ${deckhand('dashboard', 'install')}`);
  log(
    `Reach the dashboard: ${reachCommand(cluster)}, open http://127.0.0.1:${HEADLAMP.localPort} and paste the token.`,
  );
}

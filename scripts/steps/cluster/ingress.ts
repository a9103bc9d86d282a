/**
 * `ingress install | status`: Traefik from its OCI chart at a pinned version, in order — the namespace (Pod Security
 * restricted), the chart's CRDs (server-side, because helm never upgrades CRDs), the release, the NodeBalancer
 * address — then the DNS records to create and whether they, and TLS, work yet. A re-run with the same version and
 * values changes nothing: the release is read first, and CRDs and upgrade are skipped when it already matches.
 */
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../../cli/context.ts';
import type { ingress } from '../../cli/commands/addons.ts';
import * as helm from '../../helm.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { runPipeline, taskLog, type StepTask } from '../../lib/pipeline.ts';
import type { Runner } from '../../lib/shell.ts';
import { ensureNamespace, resolveAddonTarget, type AddonTarget } from './addon-target.ts';
import {
  decideRelease,
  readRelease,
  wantedValues,
  type InstalledRelease,
  type ReleaseDecision,
} from './chart-release.ts';
import { ingressReport, waitForAddress } from './ingress-report.ts';
import { caOf, ingressHosts, planIngress, TRAEFIK, type IngressPlan } from './ingress-plan.ts';
import { addressOf, type LoadBalancerAddress } from './ingress-dns.ts';

type IngressContext = CommandContext<typeof ingress>;

interface IngressRun {
  ctx: IngressContext;
  plan: IngressPlan;
  cluster: AddonTarget;
  live?: InstalledRelease;
  decision: ReleaseDecision;
  address?: LoadBalancerAddress;
}

const HINT = `Is the cluster reachable? Try: ${deckhand('doctor')}`;
/** `helm show crds` pulls the chart (a few hundred KB) from its registry. */
const CHART_READ_TIMEOUT_MS = 2 * 60_000;

export async function runIngress(ctx: IngressContext): Promise<void> {
  if (ctx.invocation.args.action === 'status') return showIngressStatus(ctx);
  const { options } = ctx.invocation;
  const plan = planIngress(ctx.config, {
    production: options.production,
    ...(options.replicas !== undefined ? { replicas: options.replicas } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  });
  const cluster = await resolveAddonTarget(ctx, TRAEFIK.namespace, { forWrite: true, fixedNamespace: true });
  const run: IngressRun = { ctx, plan, cluster, decision: { action: 'install' } };
  await runPipeline(
    run,
    [
      { title: 'Plan the Traefik install', run: planStep, keepOutput: true },
      { title: `Create the ${TRAEFIK.namespace} namespace (Pod Security restricted)`, run: namespaceStep },
      { title: "Apply Traefik's CRDs (server-side, before the release)", run: crdStep },
      { title: `Install Traefik ${TRAEFIK.chartVersion}`, run: installStep },
      { title: 'Wait for the NodeBalancer address', run: addressStep },
      { title: 'Check DNS and TLS', run: reportStep, keepOutput: true },
    ],
    { verbose: ctx.config.verbose, interactive: ctx.prompter.interactive },
  );
  ctx.ui.success(
    ctx.config.dryRun
      ? 'Dry run done: nothing was changed.'
      : run.decision.action === 'unchanged'
        ? `Traefik ${TRAEFIK.chartVersion} was already installed with these values: nothing changed.`
        : `Traefik ${TRAEFIK.chartVersion} is installed.`,
  );
}

function shellOf(run: IngressRun, task: Pick<StepTask, 'output'>): Runner {
  return run.ctx.shell.withLog(taskLog(task));
}

async function planStep(run: IngressRun, task: StepTask): Promise<void> {
  const { plan, cluster } = run;
  task.output = cluster.banner;
  for (const warning of plan.warnings) task.output = `⚠ ${warning}`;
  task.output = `chart ${plan.source.chart} ${TRAEFIK.chartVersion} (Traefik ${TRAEFIK.appVersion}), values ${TRAEFIK.valuesFile}`;
  task.output = `Let's Encrypt ${plan.production ? 'PRODUCTION' : 'staging (browsers will not trust it; --production when ready)'}, contact ${plan.email ?? '<ACME_EMAIL>'}`;
  if (cluster.reachable) {
    run.live = await readRelease(
      shellOf(run, task),
      cluster.target,
      TRAEFIK.namespace,
      TRAEFIK.release,
      TRAEFIK.chartName,
    );
  }
  const wanted = {
    chartVersion: TRAEFIK.chartVersion,
    values: wantedValues(readFileSync(plan.valuesFile, 'utf8'), plan.setString),
  };
  run.decision = decideRelease(run.live, wanted);
  const installed = run.live
    ? `installed: chart ${run.live.chartVersion}, revision ${run.live.revision}, ${run.live.status}`
    : 'not installed yet';
  task.title = `Planned: ${run.decision.action === 'unchanged' ? 'nothing to change' : run.decision.action} (${installed})`;
}

async function namespaceStep(run: IngressRun, task: StepTask): Promise<void> {
  const result = await ensureNamespace(
    shellOf(run, task),
    run.cluster.target,
    TRAEFIK.namespace,
    run.cluster.reachable,
  );
  task.title = `Namespace ${TRAEFIK.namespace}: ${run.ctx.config.dryRun ? 'checked' : result}`;
}

async function crdStep(run: IngressRun, task: StepTask): Promise<void> {
  if (run.decision.action === 'unchanged') {
    task.skip(`CRDs skipped: the installed chart is already ${TRAEFIK.chartVersion}.`);
    return;
  }
  const shell = shellOf(run, task);
  // A read: it changes nothing, so a dry run shows which CRDs a real run would apply — when the chart can be reached.
  const shown = await shell.run(helm.showCrdsArgs(run.plan.source), {
    kind: 'read',
    nothrow: run.ctx.config.dryRun,
    timeoutMs: CHART_READ_TIMEOUT_MS,
    hint: `Can this machine reach ${run.plan.source.chart}? A mirror goes in DECKHAND_TRAEFIK_CHART.`,
  });
  if (shown.exitCode !== 0) {
    task.output = `could not read the chart's CRDs (${shown.stderr.trim().split('\n').pop()}); a real run needs the chart`;
  }
  const count = (shown.stdout.match(/^kind:\s*CustomResourceDefinition\s*$/gm) ?? []).length;
  if (count === 0 && shown.exitCode === 0) {
    task.skip(`The chart ships no CRDs.`);
    return;
  }
  await shell.run(kubectl.applyArgs(run.cluster.target), { kind: 'write', input: shown.stdout, hint: HINT });
  task.title = `${shell.dryRun ? 'Would apply' : 'Applied'} Traefik's CRDs (server-side)${count ? `: ${count} definitions` : ''}`;
}

async function installStep(run: IngressRun, task: StepTask): Promise<void> {
  const { decision, plan } = run;
  if (decision.action === 'unchanged') {
    task.skip(`Traefik unchanged: ${decision.reason}.`);
    return;
  }
  const shell = shellOf(run, task);
  if (decision.action === 'upgrade') task.output = `upgrade: ${decision.reason}`;
  await shell.run(
    helm.upgradeInstallArgs(run.cluster.target, {
      release: TRAEFIK.release,
      chart: plan.source.chart,
      source: { version: plan.source.version, ...(plan.source.plainHttp ? { plainHttp: true } : {}) },
      skipCrds: true,
      namespace: TRAEFIK.namespace,
      valuesFiles: [plan.valuesFile],
      setString: plan.setString,
      wait: true,
      timeoutMs: plan.timeoutMs,
    }),
    {
      kind: 'write',
      timeoutMs: plan.timeoutMs + 60_000,
      hint: `See what Traefik's pod says: kubectl logs -n ${TRAEFIK.namespace} deploy/traefik`,
    },
  );
  task.title = `${shell.dryRun ? `Would ${decision.action}` : decision.action === 'install' ? 'Installed' : 'Upgraded'} Traefik ${TRAEFIK.chartVersion} (Traefik ${TRAEFIK.appVersion})`;
}

async function addressStep(run: IngressRun, task: StepTask): Promise<void> {
  const shell = shellOf(run, task);
  const address = await waitForAddress(shell, run.cluster, run.plan.timeoutMs, {
    installedBefore: run.live !== undefined,
  });
  if (!address) {
    task.skip('Dry run: the address is known once a real run has installed Traefik.');
    return;
  }
  run.address = address;
  task.title = `NodeBalancer address: ${[address.ip, address.hostname].filter(Boolean).join(' · ')}`;
}

async function reportStep(run: IngressRun, task: StepTask): Promise<void> {
  for (const line of await ingressReport(run.ctx.config, run.plan.hosts, run.address)) task.output = line;
}

/** `ingress status`: the release, the CA it uses, the address, the DNS records, and what DNS and TLS do now. */
async function showIngressStatus(ctx: IngressContext): Promise<void> {
  const cluster = await resolveAddonTarget(ctx, TRAEFIK.namespace, { forWrite: false, fixedNamespace: true });
  if (!cluster.reachable) {
    ctx.ui.info(`${cluster.banner}\nNothing to show without a cluster.`);
    return;
  }
  const live = await readRelease(ctx.shell, cluster.target, TRAEFIK.namespace, TRAEFIK.release, TRAEFIK.chartName);
  if (!live) {
    throw new DeckhandError(
      `Traefik is not installed (no release "${TRAEFIK.release}" in namespace ${TRAEFIK.namespace}).`,
      `Install it: ${deckhand('ingress', 'install')}`,
    );
  }
  const ca = caOf(live.values);
  const lines = [
    cluster.banner,
    `Traefik: chart ${live.chartVersion} (Traefik ${live.appVersion}), revision ${live.revision}, ${live.status}` +
      (live.chartVersion === TRAEFIK.chartVersion
        ? ''
        : ` — deckhand pins ${TRAEFIK.chartVersion}: ${deckhand('ingress', 'install')}`),
    `Let's Encrypt: ${ca === 'none' ? 'no resolver configured' : ca}`,
  ];
  const service = await kubectl.getByPath(
    ctx.shell,
    cluster.target,
    kubectl.corePath('services', TRAEFIK.service, TRAEFIK.namespace),
    HINT,
  );
  const address = addressOf(service);
  if (!address) lines.push(`Load balancer: no address yet (${service ? 'pending' : 'the Service is missing'})`);
  else lines.push(`Load balancer: ${[address.ip, address.hostname].filter(Boolean).join(' · ')}`);
  lines.push(...(await ingressReport(ctx.config, ingressHosts(ctx.config.addons.domain), address)));
  ctx.ui.data(lines.join('\n'));
}

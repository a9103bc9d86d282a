/**
 * setup's cluster stages, each the stand-alone command behind a look at the world: the cluster (`infra apply`,
 * skipped when terraform's state has it), its kubeconfig (`kubeconfig`, skipped when that cluster is recorded and
 * answers), Traefik (`ingress install`, skipped when the pinned chart is deployed and has its address) and the DNS
 * records (skipped when both hosts resolve to the load balancer; otherwise shown, and on a terminal checked again
 * while you create them).
 */
import { existsSync } from 'node:fs';
import { ingress } from '../../cli/commands/addons.ts';
import { infra, kubeconfig } from '../../cli/commands/infra.ts';
import * as kubectl from '../../kubectl.ts';
import { readManagedCluster } from '../../lib/cluster-state.ts';
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { readRelease } from '../cluster/chart-release.ts';
import {
  addressOf,
  checkDns,
  describeDns,
  dnsLookup,
  dnsRecords,
  type LoadBalancerAddress,
} from '../cluster/ingress-dns.ts';
import { ingressHosts, TRAEFIK } from '../cluster/ingress-plan.ts';
import { runIngress } from '../cluster/ingress.ts';
import { runInfra } from '../infra/infra.ts';
import { runKubeconfig } from '../infra/kubeconfig.ts';
import { commandContext, type SetupRun, type Stage } from './run.ts';
import { surveySetup } from './survey.ts';

/** In a dry run nothing was created, so the stages that need the cluster have nothing to look at. */
function dryRunWithoutCluster(run: SetupRun): string | undefined {
  return run.ctx.config.dryRun && !run.survey!.cluster
    ? 'dry run: there is no cluster yet (a real run creates it first)'
    : undefined;
}

export const clusterStage: Stage = {
  title: 'Create the cluster (infra apply)',
  async look(run) {
    const cluster = run.survey!.cluster;
    return cluster
      ? `terraform's state has cluster "${cluster.label}"${cluster.id ? ` (id ${cluster.id})` : ''} (to change it: ${deckhand('infra', 'apply')})`
      : undefined;
  },
  async act(run) {
    const ctx = commandContext(run, infra, { action: 'apply' }, { 'plan-file': undefined, json: false });
    await runInfra(ctx, 'apply');
    if (!ctx.config.dryRun) run.survey = await surveySetup(run);
  },
};

/** The managed cluster's target, when it is the one terraform made and its kubeconfig is there. */
function managedTarget(run: SetupRun): KubeTarget | undefined {
  const managed = readManagedCluster(run.ctx.config.stateRoot);
  const cluster = run.survey!.cluster;
  if (!managed || !cluster || managed.label !== cluster.label || !existsSync(managed.kubeconfig)) return undefined;
  if (cluster.id !== undefined && managed.clusterId !== undefined && managed.clusterId !== cluster.id) return undefined;
  return {
    kubeconfig: managed.kubeconfig,
    context: managed.context,
    cluster: managed.label,
    server: managed.server,
    namespace: 'default',
    explicit: true,
    kubeconfigSource: '.deckhand/cluster.json',
  };
}

export const kubeconfigStage: Stage = {
  title: 'Fetch the kubeconfig and record the cluster',
  async look(run) {
    const skip = dryRunWithoutCluster(run);
    if (skip) return skip;
    const target = managedTarget(run);
    if (!target) return undefined;
    try {
      const version = await kubectl.serverVersion(run.ctx.shell, target);
      return `"${run.survey!.cluster!.label}" is recorded (${target.kubeconfig}) and answers: Kubernetes ${version}`;
    } catch (error) {
      if (error instanceof DeckhandError) return undefined;
      throw error;
    }
  },
  async act(run) {
    const ctx = commandContext(run, kubeconfig, {}, { 'cluster-id': undefined, label: undefined, merge: false });
    await runKubeconfig(ctx);
  },
};

interface TraefikState {
  deployed: boolean;
  address?: LoadBalancerAddress;
}

async function traefikState(run: SetupRun): Promise<TraefikState | undefined> {
  const target = run.ctx.resolveTarget(TRAEFIK.namespace);
  const shell = run.ctx.shell;
  const release = await readRelease(shell, target, TRAEFIK.namespace, TRAEFIK.release, TRAEFIK.chartName);
  if (!release) return undefined;
  const service = await kubectl.getByPath(
    shell,
    target,
    kubectl.corePath('services', TRAEFIK.service, TRAEFIK.namespace),
  );
  const address = addressOf(service);
  return {
    deployed: release.status === 'deployed' && release.chartVersion === TRAEFIK.chartVersion,
    ...(address ? { address } : {}),
  };
}

function shownAddress(address: LoadBalancerAddress): string {
  return [address.ip, address.hostname].filter(Boolean).join(' · ');
}

export const ingressStage: Stage = {
  title: 'Install Traefik with Let’s Encrypt (ingress install)',
  async look(run) {
    const skip = dryRunWithoutCluster(run);
    if (skip) return skip;
    const state = await traefikState(run);
    return state?.deployed && state.address
      ? `Traefik ${TRAEFIK.chartVersion} is deployed; its load balancer is ${shownAddress(state.address)}`
      : undefined;
  },
  async act(run) {
    const ctx = commandContext(
      run,
      ingress,
      { action: 'install' },
      { production: false, replicas: undefined, timeout: undefined },
    );
    await runIngress(ctx);
  },
};

export const dnsStage: Stage = {
  title: 'Point DNS at the load balancer',
  async look(run) {
    const skip = dryRunWithoutCluster(run);
    if (skip) return skip;
    if (run.ctx.config.dryRun) return 'dry run: the records are shown once Traefik has its address';
    const hosts = ingressHosts(run.ctx.config.addons.domain);
    if (hosts.length === 0) return 'DOMAIN is not set, so there are no host names to point';
    const state = await traefikState(run);
    if (!state?.address) return undefined;
    const checks = await checkDns(dnsLookup(run.ctx.config.addons.dnsServers), hosts, state.address);
    return checks.every((check) => check.state === 'ok')
      ? `${hosts.join(' and ')} resolve to ${shownAddress(state.address)}`
      : undefined;
  },
  async act(run) {
    const { ctx } = run;
    const state = await traefikState(run);
    if (!state?.address)
      throw new DeckhandError(
        'Traefik has no load balancer address, so there is nothing to point DNS at yet.',
        `See what the cloud controller says: ${deckhand('ingress', 'status')}`,
      );
    const hosts = ingressHosts(ctx.config.addons.domain);
    const records = dnsRecords(hosts, state.address);
    ctx.ui.info('  Create these records at your DNS provider:');
    for (const record of records) ctx.ui.info(`    ${record.type.padEnd(5)} ${record.host.padEnd(28)} ${record.value}`);
    const lookup = dnsLookup(ctx.config.addons.dnsServers);
    for (;;) {
      const checks = await checkDns(lookup, hosts, state.address);
      for (const check of checks)
        ctx.ui.info(
          `  ${describeDns(
            check,
            records.find((record) => record.host === check.host),
          )}`,
        );
      if (checks.every((check) => check.state === 'ok')) return;
      if (!ctx.prompter.interactive) {
        ctx.ui.warn(
          `DNS is not pointed yet; caelundas does not need it. \`${deckhand('ingress', 'status')}\` (or setup again) checks later.`,
        );
        return;
      }
      const again = await ctx.prompter.confirm(
        { message: 'Check again (answer no to go on without it; the Job app does not need DNS)?', default: true },
        { what: 'DNS check', howToProvide: 'run ingress status later' },
      );
      if (!again) {
        ctx.ui.info(`  Going on; \`${deckhand('ingress', 'status')}\` checks DNS and TLS later.`);
        return;
      }
    }
  },
};

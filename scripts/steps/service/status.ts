/** `status <service>`: what runs now — each Deployment, its pods, the hosts the Ingress serves — as text or JSON. */
import { findServiceApp, type ServiceApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { status } from '../../cli/commands/service.ts';
import { deckhand } from '../../lib/hints.ts';
import { parseImageReference } from '../../lib/image-ref.ts';
import { shortImage } from './change-cause.ts';
import { rolloutProgress } from './rollout-diagnosis.ts';
import { ageOf } from '../../lib/duration.ts';
import { podsOf, readServiceState, revisionsOf, type DeploymentInfo, type ServiceState } from './state.ts';

export interface DeploymentStatus {
  name: string;
  readyReplicas: number;
  replicas: number;
  state: 'available' | 'rolling out' | 'not available' | 'paused' | 'failed';
  note?: string;
  revision?: number;
  commit?: string;
  images: string[];
  /** The digest the main container runs by (undefined: it runs a tag, e.g. postgres:17.6-bookworm). */
  digest?: string;
  /** When the current revision was made. */
  since?: string;
  changeCause?: string;
}

export interface PodStatus {
  name: string;
  deployment?: string;
  state: string;
  ready: boolean;
  restarts: number;
  createdAt?: string;
}

export interface StatusReport {
  app: string;
  namespace: string;
  deployments: DeploymentStatus[];
  /** Deployments the app declares that the cluster does not have. */
  missing: string[];
  pods: PodStatus[];
  ingresses: { name: string; urls: string[]; address?: string }[];
}

export function statusReport(app: ServiceApp, namespace: string, state: ServiceState): StatusReport {
  const order = (name: string) => {
    const index = app.deployments.indexOf(name);
    return index === -1 ? app.deployments.length : app.readyFirst.includes(name) ? -1 : index;
  };
  const deployments = [...state.deployments].sort((a, b) => order(a.metadata.name) - order(b.metadata.name));
  const owner = new Map<string, string>();
  for (const deployment of deployments)
    for (const pod of podsOf(state, deployment.metadata.name)) owner.set(pod.metadata.name, deployment.metadata.name);
  return {
    app: app.name,
    namespace,
    deployments: deployments.map((deployment) => deploymentStatus(deployment, state)),
    missing: app.deployments.filter((name) => !deployments.some((deployment) => deployment.metadata.name === name)),
    pods: state.pods.map((pod): PodStatus => {
      const statuses = pod.status?.containerStatuses ?? [];
      const reason = statuses
        .map((status) => status.state?.waiting?.reason ?? status.state?.terminated?.reason)
        .find(Boolean);
      return {
        name: pod.metadata.name,
        ...(owner.has(pod.metadata.name) ? { deployment: owner.get(pod.metadata.name)! } : {}),
        state: pod.metadata.deletionTimestamp ? 'Terminating' : (reason ?? pod.status?.phase ?? 'Unknown'),
        ready: statuses.length > 0 && statuses.every((status) => status.ready),
        restarts: statuses.reduce((sum, status) => sum + (status.restartCount ?? 0), 0),
        ...(pod.metadata.creationTimestamp ? { createdAt: pod.metadata.creationTimestamp } : {}),
      };
    }),
    ingresses: state.ingresses.map((ingress) => {
      const secured = new Set((ingress.spec?.tls ?? []).flatMap((tls) => tls.hosts ?? []));
      const address = ingress.status?.loadBalancer?.ingress?.map((entry) => entry.ip ?? entry.hostname).find(Boolean);
      return {
        name: ingress.metadata.name,
        urls: (ingress.spec?.rules ?? []).map(
          (rule) => `${rule.host && secured.has(rule.host) ? 'https' : 'http'}://${rule.host ?? '*'}`,
        ),
        ...(address ? { address } : {}),
      };
    }),
  };
}

function deploymentStatus(deployment: DeploymentInfo, state: ServiceState): DeploymentStatus {
  const current = revisionsOf(deployment, state.replicaSets).find((revision) => revision.current);
  const images = (deployment.spec?.template?.spec?.containers ?? []).map((container) => container.image ?? '?');
  const replicas = deployment.spec?.replicas ?? 1;
  const progress = rolloutProgress(deployment, deployment.metadata.generation ?? 0);
  const available = (deployment.status?.availableReplicas ?? 0) >= replicas;
  const digest = parseImageReference(images[0] ?? '')?.digest;
  const stateOf = (): Pick<DeploymentStatus, 'state' | 'note'> => {
    if (deployment.spec?.paused) return { state: 'paused' };
    if (progress.state === 'failed') return { state: 'failed', note: progress.diagnosis.summary };
    if (progress.state === 'waiting') return { state: 'rolling out', note: progress.note };
    return { state: available ? 'available' : 'not available' };
  };
  return {
    name: deployment.metadata.name,
    readyReplicas: deployment.status?.readyReplicas ?? 0,
    replicas,
    ...stateOf(),
    ...(current ? { revision: current.revision } : {}),
    ...(current?.commit ? { commit: current.commit } : {}),
    images,
    ...(digest ? { digest } : {}),
    ...(current?.createdAt ? { since: current.createdAt } : {}),
    ...(current?.changeCause ? { changeCause: current.changeCause } : {}),
  };
}

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatStatus(report: StatusReport, now: Date): string {
  const lines = [`${report.app} in namespace ${report.namespace}`, ''];
  lines.push(
    table([
      ['DEPLOYMENT', 'READY', 'STATE', 'REVISION', 'COMMIT', 'SINCE', 'IMAGE'],
      ...report.deployments.map((deployment) => [
        deployment.name,
        `${deployment.readyReplicas}/${deployment.replicas}`,
        deployment.state,
        deployment.revision === undefined ? '—' : String(deployment.revision),
        deployment.commit?.slice(0, 7) ?? '—',
        ageOf(deployment.since, now),
        deployment.images.map(shortImage).join(', '),
      ]),
    ]),
  );
  for (const deployment of report.deployments)
    if (deployment.note && deployment.state !== 'available') lines.push(`  ${deployment.note}`);
  for (const name of report.missing)
    lines.push(`  ${name}: not in the cluster (deploy it: ${deckhand('deploy', report.app)})`);
  if (report.pods.length > 0) {
    lines.push(
      '',
      table([
        ['POD', 'DEPLOYMENT', 'STATE', 'READY', 'RESTARTS', 'AGE'],
        ...report.pods.map((pod) => [
          pod.name,
          pod.deployment ?? '—',
          pod.state,
          pod.ready ? 'yes' : 'no',
          String(pod.restarts),
          ageOf(pod.createdAt, now),
        ]),
      ]),
    );
  }
  for (const ingress of report.ingresses)
    lines.push(
      '',
      `Ingress ${ingress.name}: ${ingress.urls.join(', ')}${ingress.address ? ` (load balancer ${ingress.address})` : ''}`,
    );
  return lines.join('\n');
}

/** status <service>: read only. */
export async function showStatus(ctx: CommandContext<typeof status>): Promise<void> {
  const app = findServiceApp(ctx.invocation.args.app, 'status');
  const target = ctx.resolveTarget(app.namespace);
  const report = statusReport(app, target.namespace, await readServiceState(ctx.shell, target, target.namespace));
  if (ctx.invocation.options.json) ctx.ui.data(JSON.stringify(report, null, 2));
  else if (report.deployments.length === 0)
    ctx.ui.info(
      `${app.name} has nothing in namespace ${target.namespace} yet. Roll it out with: ${deckhand('deploy', app.name)}`,
    );
  else ctx.ui.data(formatStatus(report, new Date()));
}

/**
 * `logs <service>`: the log of one pod of a Deployment — of its current revision, a ready one when there is one —
 * and with --previous the run before the container's last restart (what a crash printed). --follow keeps streaming
 * until Ctrl-C; a service runs forever, so it is not followed unless asked.
 */
import type { ServiceApp } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { logs } from '../../cli/commands/app.ts';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError, UsageError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { REVISION } from './compare.ts';
import { ownedBy, podsOf, readServiceState, unknownDeployment } from './state.ts';
import { plural } from '../../lib/wording.ts';

const FOLLOW_TIMEOUT_MS = 24 * 3_600_000;
const READ_TIMEOUT_MS = 2 * 60_000;

export async function showServiceLogs(ctx: CommandContext<typeof logs>, app: ServiceApp): Promise<void> {
  const { options } = ctx.invocation;
  const name = options.deployment ?? app.images[0]!.deployment;
  if (!app.deployments.includes(name)) throw unknownDeployment(app, name);
  const tail = options.tail === undefined ? undefined : parseTail(options.tail);
  const target = ctx.resolveTarget(app.namespace);
  const state = await readServiceState(ctx.shell, target, target.namespace);
  const deployment = state.deployments.find((candidate) => candidate.metadata.name === name);
  if (!deployment) {
    throw new DeckhandError(
      `Deployment ${name} is not in namespace ${target.namespace}.`,
      `Roll ${app.name} out first: ${deckhand('deploy', app.name)}`,
    );
  }
  const revision = deployment.metadata.annotations?.[REVISION];
  const current = state.replicaSets.find(
    (rs) => ownedBy(rs, 'Deployment', name) && rs.metadata.annotations?.[REVISION] === revision,
  );
  const pods = podsOf(state, name).filter((pod) => !pod.metadata.deletionTimestamp);
  const ofCurrent = pods.filter((pod) => current && ownedBy(pod, 'ReplicaSet', current.metadata.name));
  const ready = (pod: (typeof pods)[number]) => pod.status?.containerStatuses?.every((status) => status.ready) ?? false;
  const pod = ofCurrent.find(ready) ?? ofCurrent[0] ?? pods.find(ready) ?? pods[0];
  if (!pod) {
    throw new DeckhandError(
      `Deployment ${name} has no pod right now.`,
      `See why: ${deckhand('status', app.name)} (or kubectl describe deployment ${name} --namespace ${target.namespace})`,
    );
  }
  const container =
    app.images.find((image) => image.deployment === name)?.container ??
    deployment.spec?.template?.spec?.containers?.[0]?.name;
  const restarts = pod.status?.containerStatuses?.find((status) => status.name === container)?.restartCount ?? 0;
  if (options.previous && restarts === 0) {
    throw new DeckhandError(
      `The container ${container} of pod ${pod.metadata.name} has not restarted: there is no previous run to show.`,
      `Its current log: ${deckhand('logs', app.name, '--deployment', name)}`,
    );
  }
  ctx.ui.info(
    `${options.follow ? 'Following' : 'Showing'} the ${options.previous ? 'previous ' : ''}log of pod ${pod.metadata.name} (container ${container}${tail !== undefined ? `, last ${plural(tail, 'line')}` : ''})${options.follow ? '; Ctrl-C stops following' : ''}.`,
  );
  const result = await ctx.shell.run(
    kubectl.logsArgs(target, target.namespace, pod.metadata.name, {
      container,
      follow: options.follow,
      previous: options.previous,
      tail,
    }),
    {
      kind: 'read',
      nothrow: true,
      timeoutMs: options.follow ? FOLLOW_TIMEOUT_MS : READ_TIMEOUT_MS,
      onStdoutLine: (line) => ctx.ui.data(line),
    },
  );
  if (result.exitCode !== 0) {
    const reason = (result.stderr.trim().split('\n').pop() ?? '').replace(/^Error from server \(BadRequest\): /, '');
    throw new DeckhandError(
      `Could not read the log of pod ${pod.metadata.name}: ${reason}`,
      `See the pod: kubectl describe pod ${pod.metadata.name} --namespace ${target.namespace}`,
    );
  }
}

function parseTail(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`--tail must be a whole number of lines, got "${value}".`);
  return Number(value.trim());
}

/**
 * The cluster target of the add-on and access commands (ingress, dashboard, db), as deploy's dry run treats it: a dry
 * run works without a cluster — no kubeconfig, or a cluster that does not answer — and then skips the reads and shows
 * the commands against a placeholder target, saying so.
 */
import type { CommandContext } from '../../cli/context.ts';
import * as kubectl from '../../kubectl.ts';
import { UsageError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import { targetBanner, type KubeTarget } from '../../lib/target.ts';
import { convergeNamespaceAndSecrets, readLiveState, type ConvergeResult } from './namespace.ts';

export interface AddonTarget {
  target: KubeTarget;
  /** The cluster answered (always true outside a dry run: there, an unanswering cluster fails the first command). */
  reachable: boolean;
  /** One line for the person: the target banner, or why a dry run reads nothing. */
  banner: string;
}

const PLACEHOLDER: Omit<KubeTarget, 'namespace'> = {
  kubeconfig: '<kubeconfig>',
  context: '<context>',
  cluster: '<cluster>',
  server: '<no cluster>',
  explicit: false,
  kubeconfigSource: 'none',
};

export async function resolveAddonTarget(
  ctx: Pick<CommandContext, 'config' | 'shell' | 'resolveTarget'>,
  namespace: string,
  options: { forWrite: boolean; fixedNamespace?: boolean },
): Promise<AddonTarget> {
  let target: KubeTarget;
  try {
    target = ctx.resolveTarget(namespace, { forWrite: options.forWrite });
    // An add-on's own namespace (traefik, headlamp) is not the app namespace --namespace chooses: the wpp-bot
    // NetworkPolicies name `traefik`, and the dashboard instructions name `headlamp`.
    if (options.fixedNamespace) target = { ...target, namespace };
  } catch (error) {
    if (ctx.config.dryRun && error instanceof UsageError && /kubeconfig/i.test(error.message)) {
      return {
        target: { ...PLACEHOLDER, namespace },
        reachable: false,
        banner: `Target: no cluster (dry run: ${error.message.split('\n')[0]} Cluster reads are skipped.)`,
      };
    }
    throw error;
  }
  if (!ctx.config.dryRun) return { target, reachable: true, banner: targetBanner(target) };
  try {
    await kubectl.serverVersion(ctx.shell, target);
    return { target, reachable: true, banner: targetBanner(target) };
  } catch {
    return {
      target,
      reachable: false,
      banner: `${targetBanner(target)} (it does not answer: dry run, cluster reads are skipped)`,
    };
  }
}

/**
 * An add-on's own namespace with Pod Security "restricted" enforced, applied only when missing or different. Without
 * a cluster to read (a dry run), it is shown as it would be applied.
 */
export async function ensureNamespace(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  reachable: boolean,
): Promise<ConvergeResult> {
  const live = reachable ? await readLiveState(shell, target, namespace, []) : { secrets: {} };
  return (await convergeNamespaceAndSecrets(shell, target, namespace, [], live)).namespace;
}

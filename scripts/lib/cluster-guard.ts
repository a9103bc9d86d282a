/**
 * The cluster guard. Once `tasks.ts kubeconfig` has recorded the cluster this project manages
 * (`.deckhand/cluster.json`), a command that is about to change a cluster refuses any other API server unless the
 * user named the target on this very command line (--context or --kubeconfig). A KUBECONFIG or DECKHAND_CONTEXT left
 * over in the shell or in .env therefore cannot send a deploy to the wrong cluster.
 *
 * No cluster recorded means no guard: deckhand then works with whatever kubeconfig it is given, as before.
 */
import { readManagedCluster, type ManagedCluster } from './cluster-state.ts';
import type { Config } from './config.ts';
import { UsageError } from './errors.ts';
import type { KubeTarget } from './target.ts';
import { deckhand } from './hints.ts';

/** Two spellings of one API server compare equal: case of the host, a default port, a trailing slash. */
export function sameServer(a: string, b: string): boolean {
  return normalizeServer(a) === normalizeServer(b);
}

function normalizeServer(server: string): string {
  try {
    const url = new URL(server.trim());
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  } catch {
    return server.trim().replace(/\/+$/, '').toLowerCase();
  }
}

/** Throws a UsageError (exit 2, nothing changed) when a write would reach a cluster other than the managed one. */
export function assertManagedTarget(target: KubeTarget, managed: ManagedCluster | undefined): void {
  if (!managed || target.explicit || sameServer(target.server, managed.server)) return;
  throw new UsageError(
    [
      `Refusing to change a cluster this project does not manage.`,
      `  managed:  "${managed.label}" at ${managed.server} (recorded in .deckhand/cluster.json by \`tasks.ts kubeconfig\`)`,
      `  targeted: context "${target.context}" at ${target.server} (kubeconfig ${target.kubeconfig}, from ${target.kubeconfigSource})`,
    ].join('\n'),
    `To use the managed cluster, unset KUBECONFIG / DECKHAND_CONTEXT (or pass --kubeconfig ${managed.kubeconfig}). ` +
      `To change the other cluster on purpose, name it on the command line: --context ${target.context} or --kubeconfig ${target.kubeconfig}. ` +
      `If this project now manages another cluster, record it with \`${deckhand('kubeconfig')}\`.`,
  );
}

/** The guard as the command context applies it. */
export function guardTarget(config: Pick<Config, 'stateRoot'>, target: KubeTarget): KubeTarget {
  assertManagedTarget(target, readManagedCluster(config.stateRoot));
  return target;
}

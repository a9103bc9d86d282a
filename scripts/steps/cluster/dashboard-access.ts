/**
 * Who a dashboard token is: a ServiceAccount in the app's namespace, bound there (a RoleBinding, never a
 * ClusterRoleBinding) to a built-in ClusterRole — `view` by default: read workloads, logs, events and ConfigMaps; no
 * Secrets, no exec or port-forward, no RBAC objects, nothing in other namespaces. The objects are converged
 * idempotently (read, then applied server-side only when missing or different), and before a view token is issued
 * the API server itself is asked what the account may do, so a binding someone added elsewhere cannot widen it.
 */
import { stringify as stringifyYaml } from 'yaml';
import * as kubectl from '../../kubectl.ts';
import { DeckhandError } from '../../lib/errors.ts';
import type { Runner } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';

export interface DashboardRole {
  serviceAccount: string;
  binding: string;
  clusterRole: 'view' | 'admin';
  /** What the token may do, in words (the --admin confirmation and the message beside the token). */
  grants: string;
}

export const VIEWER: DashboardRole = {
  serviceAccount: 'headlamp-viewer',
  binding: 'headlamp-viewer',
  clusterRole: 'view',
  grants: 'read-only: workloads, logs, events and ConfigMaps; no Secrets, no exec, nothing outside the namespace',
};

export const ADMIN: DashboardRole = {
  serviceAccount: 'headlamp-admin',
  binding: 'headlamp-admin',
  clusterRole: 'admin',
  grants:
    'full control of the namespace: read every Secret in it (database password, API keys), open a shell in its pods, ' +
    'change or delete anything there, and grant these rights to others in it',
};

/** What a view token must not be able to do; each is a question the API server answers with yes or no. */
export const VIEWER_MUST_NOT: readonly (readonly [verb: string, resource: string])[] = [
  ['get', 'secrets'],
  ['create', 'pods/exec'],
  ['create', 'rolebindings.rbac.authorization.k8s.io'],
];

const LABELS = {
  'app.kubernetes.io/name': 'headlamp',
  'app.kubernetes.io/component': 'dashboard-access',
  'app.kubernetes.io/managed-by': 'deckhand',
};

export function serviceAccountManifest(role: DashboardRole, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: role.serviceAccount, namespace, labels: LABELS },
    // No pod runs as this account: it exists for `kubectl create token` only.
    automountServiceAccountToken: false,
  };
}

export function roleBindingManifest(role: DashboardRole, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: role.binding, namespace, labels: LABELS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: role.serviceAccount, namespace }],
  };
}

export type AccessResult = 'created' | 'updated' | 'unchanged';

interface RoleBindingLike extends kubectl.KubeObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

/** Brings the ServiceAccount and its RoleBinding to the wanted state; reads first, writes only what differs. */
export async function convergeAccess(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  role: DashboardRole,
  reachable: boolean,
): Promise<AccessResult> {
  const [account, binding] = reachable
    ? await Promise.all([
        kubectl.getByPath(shell, target, kubectl.corePath('serviceaccounts', role.serviceAccount, namespace)),
        kubectl.getByPath<RoleBindingLike>(
          shell,
          target,
          `/apis/rbac.authorization.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/rolebindings/${encodeURIComponent(role.binding)}`,
        ),
      ])
    : [undefined, undefined];
  const wantedBinding = roleBindingManifest(role, namespace) as unknown as RoleBindingLike;
  const roleMatches = binding?.roleRef?.kind === 'ClusterRole' && binding.roleRef.name === role.clusterRole;
  const subjectsMatch =
    JSON.stringify(binding?.subjects?.map((s) => [s.kind, s.name, s.namespace])) ===
    JSON.stringify(wantedBinding.subjects?.map((s) => [s.kind, s.name, s.namespace]));
  if (account && binding && roleMatches && subjectsMatch) return 'unchanged';
  if (binding && !roleMatches) {
    // A RoleBinding's roleRef cannot be changed in place; the old one goes first.
    await shell.run(kubectl.deleteArgs(target, 'rolebinding', role.binding, { namespace, wait: true }), {
      kind: 'write',
    });
  }
  await shell.run(kubectl.applyArgs(target, { namespace }), {
    kind: 'write',
    input: [serviceAccountManifest(role, namespace), wantedBinding]
      .map((object) => stringifyYaml(object))
      .join('---\n'),
    hint: 'Does your kubeconfig user have permission to create ServiceAccounts and RoleBindings in this namespace?',
  });
  return account || binding ? 'updated' : 'created';
}

/**
 * Asks the API server (`kubectl auth can-i --as`) whether the viewer may do any of what it must not. Refuses to go on
 * when it may: some other binding grants the account more than view. Returns a note when the question could not be
 * asked (a kubeconfig user without impersonation rights).
 */
export async function checkViewerLimits(
  shell: Runner,
  target: KubeTarget,
  namespace: string,
  role: DashboardRole,
): Promise<string | undefined> {
  const as = `system:serviceaccount:${namespace}:${role.serviceAccount}`;
  const answers = await Promise.all(
    VIEWER_MUST_NOT.map(async ([verb, resource]) => {
      const result = await shell.run(kubectl.authCanIArgs(target, verb, resource, { namespace, as }), {
        kind: 'read',
        nothrow: true,
      });
      return { question: `${verb} ${resource}`, answer: result.stdout.trim(), exitCode: result.exitCode };
    }),
  );
  const allowed = answers.filter((entry) => entry.exitCode === 0 && entry.answer === 'yes');
  if (allowed.length > 0) {
    throw new DeckhandError(
      `${role.serviceAccount} may ${allowed.map((entry) => entry.question).join(', ')} in ${namespace}: something besides its view binding grants it more. No token was issued.`,
      `Find the binding: kubectl get rolebindings,clusterrolebindings -A -o wide | grep ${role.serviceAccount}`,
    );
  }
  const unanswered = answers.filter((entry) => entry.answer !== 'no');
  return unanswered.length > 0
    ? `could not ask the API server what ${role.serviceAccount} may do (impersonation not allowed?); it is bound to view only`
    : undefined;
}

/**
 * RBAC as kube-apiserver evaluates it: ClusterRoleBindings grant their ClusterRole everywhere, RoleBindings grant
 * a Role (or a ClusterRole) in their namespace; rules match verbs, API groups, resources (`resource/subresource`,
 * `*`, or `*` before a subresource), resourceNames and non-resource URLs (with a trailing `*`). Subjects are Users, Groups and
 * ServiceAccounts (`system:serviceaccount:NS:NAME`). Aggregated ClusterRoles (`view`, `edit`, `admin`) get their
 * rules from the ClusterRoles their selectors pick, kept current by the aggregation controller below.
 */
import type { Controller } from './controllers/runtime.ts';
import { deepEqual, getPath, isPlainObject } from './json.ts';
import type { Registry } from './registry.ts';
import { typeFor } from './resources.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import type { StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

const CLUSTER_ROLE = typeFor('rbac.authorization.k8s.io/v1', 'ClusterRole');
const CLUSTER_ROLE_BINDING = typeFor('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding');
const ROLE = typeFor('rbac.authorization.k8s.io/v1', 'Role');
const ROLE_BINDING = typeFor('rbac.authorization.k8s.io/v1', 'RoleBinding');

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';

export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  return {
    username: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
    ...(uid ? { uid } : {}),
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

function rulesOf(role: KubeObject | undefined): PolicyRule[] {
  const rules = role?.['rules'];
  return Array.isArray(rules) ? (rules.filter(isPlainObject) as unknown as PolicyRule[]) : [];
}

function has(list: string[] | undefined, value: string): boolean {
  return (list ?? []).includes('*') || (list ?? []).includes(value);
}

function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some(
    (r) => r === '*' || r === combined || (subresource !== undefined && r === `*/${subresource}`),
  );
}

export function ruleAllows(rule: PolicyRule, attrs: ResourceAttributes | NonResourceAttributes): boolean {
  if (!has(rule.verbs, attrs.verb)) return false;
  if ('path' in attrs) {
    return (rule.nonResourceURLs ?? []).some(
      (url) => url === '*' || url === attrs.path || (url.endsWith('*') && attrs.path.startsWith(url.slice(0, -1))),
    );
  }
  if (!has(rule.apiGroups, attrs.group) || !resourceMatches(rule, attrs.resource, attrs.subresource)) return false;
  const names = rule.resourceNames ?? [];
  return names.length === 0 || (attrs.name !== undefined && names.includes(attrs.name));
}

function describeSubject(subject: Record<string, unknown>, bindingNamespace: string | undefined): string {
  const kind = String(subject['kind'] ?? '');
  if (kind === 'ServiceAccount')
    return `ServiceAccount "${String(subject['name'] ?? '')}/${String(subject['namespace'] ?? bindingNamespace ?? '')}"`;
  return `${kind} "${String(subject['name'] ?? '')}"`;
}

export class RbacAuthorizer {
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  private subjectMatches(
    subject: Record<string, unknown>,
    user: UserInfo,
    bindingNamespace: string | undefined,
  ): boolean {
    const name = String(subject['name'] ?? '');
    switch (subject['kind']) {
      case 'User':
        return user.username === name;
      case 'Group':
        return user.groups.includes(name);
      case 'ServiceAccount':
        return (
          user.username === `${SERVICE_ACCOUNT_PREFIX}${String(subject['namespace'] ?? bindingNamespace ?? '')}:${name}`
        );
      default:
        return false;
    }
  }

  /** Every (binding, role, subject) that applies to the user in the namespace (cluster-wide ones included). */
  private grants(user: UserInfo, namespace: string | undefined): Array<{ rules: PolicyRule[]; reason: string }> {
    const found: Array<{ rules: PolicyRule[]; reason: string }> = [];
    const collect = (binding: KubeObject, bindingNamespace: string | undefined): void => {
      const subjects = (Array.isArray(binding['subjects']) ? binding['subjects'] : []).filter(isPlainObject);
      const subject = subjects.find((s) => this.subjectMatches(s, user, bindingNamespace));
      if (!subject) return;
      const refKind = String(getPath(binding, 'roleRef.kind') ?? '');
      const refName = String(getPath(binding, 'roleRef.name') ?? '');
      const role =
        refKind === 'ClusterRole'
          ? this.registry.find(CLUSTER_ROLE, undefined, refName)
          : this.registry.find(ROLE, bindingNamespace, refName);
      const bindingName = bindingNamespace
        ? `RoleBinding "${binding.metadata.name ?? ''}/${bindingNamespace}"`
        : `ClusterRoleBinding "${binding.metadata.name ?? ''}"`;
      const roleName =
        refKind === 'ClusterRole' ? `ClusterRole "${refName}"` : `Role "${refName}/${bindingNamespace ?? ''}"`;
      found.push({
        rules: rulesOf(role),
        reason: `RBAC: allowed by ${bindingName} of ${roleName} to ${describeSubject(subject, bindingNamespace)}`,
      });
    };
    for (const binding of this.registry.list(CLUSTER_ROLE_BINDING)) collect(binding, undefined);
    if (namespace) for (const binding of this.registry.list(ROLE_BINDING, { namespace })) collect(binding, namespace);
    return found;
  }

  authorize(user: UserInfo, attrs: ResourceAttributes | NonResourceAttributes): Decision {
    const namespace = 'path' in attrs ? undefined : attrs.namespace;
    for (const grant of this.grants(user, namespace)) {
      if (grant.rules.some((r) => ruleAllows(r, attrs))) return { allowed: true, reason: grant.reason };
    }
    return { allowed: false, reason: '' };
  }

  /** What `SelfSubjectRulesReview` answers: every rule that applies in the namespace. */
  rulesFor(user: UserInfo, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[] } {
    const rules = this.grants(user, namespace).flatMap((g) => g.rules);
    return {
      resourceRules: rules
        .filter((r) => !r.nonResourceURLs)
        .map((r) => ({
          verbs: r.verbs,
          apiGroups: r.apiGroups ?? [],
          resources: r.resources ?? [],
          ...(r.resourceNames ? { resourceNames: r.resourceNames } : {}),
        })),
      nonResourceRules: rules
        .filter((r) => r.nonResourceURLs)
        .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs ?? [] })),
    };
  }
}

/** The clusterrole-aggregation controller: an aggregated ClusterRole's rules are the union of the roles it selects. */
export class ClusterRoleAggregator implements Controller {
  readonly name = 'clusterrole-aggregation';
  private readonly registry: Registry;

  constructor(registry: Registry) {
    this.registry = registry;
  }

  handle(event: StoreEvent): void {
    if (event.object.kind === 'ClusterRole') this.reconcileAll();
  }

  reconcileAll(): void {
    const roles = this.registry.list(CLUSTER_ROLE);
    for (const role of roles) {
      const selectors = getPath(role, 'aggregationRule.clusterRoleSelectors');
      if (!Array.isArray(selectors)) continue;
      const parsed = selectors.map((s) => labelSelectorFromObject(s)).filter((s) => s !== undefined);
      const rules: PolicyRule[] = [];
      for (const source of roles) {
        if (
          source.metadata.name === role.metadata.name ||
          !parsed.some((s) => matchesLabels(s, source.metadata.labels))
        )
          continue;
        for (const r of rulesOf(source)) if (!rules.some((existing) => deepEqual(existing, r))) rules.push(r);
      }
      if (!deepEqual(role['rules'] ?? [], rules)) this.registry.writeInternal(CLUSTER_ROLE, { ...role, rules });
    }
  }
}

/**
 * Who can reach and control wpp-bot, checked on the parsed k8s/wpp-bot manifests (reliability checklist section A,
 * items 12, 15-17 and the NetworkPolicy row of "Conflicts between tools"): Pod Security Admission, dashboard RBAC,
 * Services, the Traefik Ingress and the NetworkPolicies.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { wppBot } from '../../scripts/apps/wpp-bot.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { namespaceManifest } from '../../scripts/steps/cluster/namespace.ts';
import {
  allObjects,
  containerDeclaresPort,
  deployments,
  findObject,
  objectsOfKind,
  podTemplatesSelectedBy,
  selects,
  type Ingress,
  type KubeObject,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyRule,
  type PolicyRule,
  type RoleBinding,
  type Service,
} from './wpp-bot-manifests.ts';

/** Subresources that amount to a shell or a tunnel into a pod. */
const POD_ENTRY_SUBRESOURCES = [
  'pods/exec',
  'pods/attach',
  'pods/portforward',
  'pods/proxy',
  'services/proxy',
  'nodes/proxy',
];
const READ_VERBS = new Set(['get', 'list', 'watch']);
const BUILT_IN_POWER_ROLES = new Set(['cluster-admin', 'admin', 'edit']);
const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];

function podLabels(name: string): Record<string, string> {
  const deployment = deployments().find((candidate) => candidate.metadata.name === name);
  assert.ok(deployment, `no Deployment ${name}`);
  return deployment.spec.template.metadata.labels ?? {};
}

function policiesFor(name: string): NetworkPolicy[] {
  const labels = podLabels(name);
  return objectsOfKind<NetworkPolicy>('NetworkPolicy').filter((policy) =>
    selects(policy.spec.podSelector.matchLabels, labels),
  );
}

function peerIsTraefik(peer: NetworkPolicyPeer): boolean {
  return (
    peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'traefik' &&
    peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'traefik'
  );
}

function peerIsPod(peer: NetworkPolicyPeer, name: string): boolean {
  return (
    peer.namespaceSelector === undefined &&
    peer.ipBlock === undefined &&
    peer.podSelector !== undefined &&
    selects(peer.podSelector.matchLabels, podLabels(name))
  );
}

function allowsPort(rule: NetworkPolicyRule, port: number, protocol = 'TCP'): boolean {
  return (rule.ports ?? []).some((candidate) => candidate.port === port && (candidate.protocol ?? 'TCP') === protocol);
}

/** Ingress rules of every policy that selects the pod `name`. */
function ingressRulesTo(name: string): NetworkPolicyRule[] {
  return policiesFor(name).flatMap((policy) => policy.spec.ingress ?? []);
}

function egressRulesFrom(name: string): NetworkPolicyRule[] {
  return policiesFor(name).flatMap((policy) => policy.spec.egress ?? []);
}

describe('k8s/wpp-bot access', () => {
  it('labels the namespace for Pod Security Admission restricted, enforced at a pinned v1.34, with warn and audit', () => {
    const namespace = findObject('Namespace', wppBot.namespace);
    const labels = namespace.metadata.labels ?? {};
    assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
    assert.equal(labels['pod-security.kubernetes.io/enforce-version'], 'v1.34');
    assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
    assert.equal(labels['pod-security.kubernetes.io/audit'], 'restricted');
  });

  it('labels the namespace as deckhand does when it creates it, so kubectl apply and deckhand never fight over a label', () => {
    const namespace = findObject('Namespace', wppBot.namespace);
    const deckhandLabels = (namespaceManifest(wppBot.namespace).metadata as { labels: Record<string, string> }).labels;
    for (const [key, value] of Object.entries(deckhandLabels)) {
      assert.equal(namespace.metadata.labels?.[key], value, `label ${key}`);
    }
  });

  it('grants nothing cluster-wide: no ClusterRole, no ClusterRoleBinding, no binding to a built-in power role', () => {
    assert.deepEqual(
      allObjects()
        .filter((object) => object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding')
        .map((object) => object.metadata.name),
      [],
    );
    for (const binding of objectsOfKind<RoleBinding>('RoleBinding')) {
      assert.ok(
        !BUILT_IN_POWER_ROLES.has(binding.roleRef.name),
        `RoleBinding ${binding.metadata.name} grants ${binding.roleRef.name}`,
      );
      assert.equal(binding.roleRef.kind, 'Role', `RoleBinding ${binding.metadata.name} must bind a namespaced Role`);
    }
  });

  it('gives the dashboard viewer read-only access without wildcards, secrets or a way into pods', () => {
    const roles = objectsOfKind<KubeObject & { rules: PolicyRule[] }>('Role');
    assert.ok(roles.length > 0);
    for (const role of roles) {
      for (const rule of role.rules) {
        const where = `Role ${role.metadata.name}`;
        for (const field of [rule.apiGroups ?? [], rule.resources ?? [], rule.verbs])
          assert.ok(!field.includes('*'), `${where}: wildcard in ${JSON.stringify(rule)}`);
        assert.equal(rule.nonResourceURLs, undefined, `${where}: nonResourceURLs`);
        for (const verb of rule.verbs) assert.ok(READ_VERBS.has(verb), `${where}: verb ${verb} is not read-only`);
        for (const resource of rule.resources ?? []) {
          assert.ok(resource !== 'secrets' && !resource.startsWith('secrets/'), `${where}: reads secrets`);
          assert.ok(!POD_ENTRY_SUBRESOURCES.includes(resource), `${where}: ${resource} opens a way into a pod`);
        }
      }
    }
  });

  it('binds the viewer Role to the dashboard-viewer ServiceAccount declared here, and nothing else', () => {
    const binding = findObject<RoleBinding>('RoleBinding', 'dashboard-viewer');
    findObject('Role', binding.roleRef.name);
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'dashboard-viewer', namespace: wppBot.namespace },
    ]);
    findObject('ServiceAccount', 'dashboard-viewer');
  });

  it('uses every ServiceAccount: each runs a pod or is bound to a Role', () => {
    const podAccounts = new Set(deployments().map((deployment) => deployment.spec.template.spec.serviceAccountName));
    const boundAccounts = new Set(
      objectsOfKind<RoleBinding>('RoleBinding').flatMap((binding) =>
        (binding.subjects ?? []).map((subject) => subject.name),
      ),
    );
    for (const account of objectsOfKind('ServiceAccount')) {
      const name = account.metadata.name;
      assert.ok(podAccounts.has(name) || boundAccounts.has(name), `ServiceAccount ${name} is unused`);
      assert.ok(
        !(podAccounts.has(name) && boundAccounts.has(name)),
        `ServiceAccount ${name} both runs a pod and holds API rights`,
      );
    }
  });

  it('commits no Secret at all, so no service-account-token or app credential is ever in git', () => {
    const secrets = objectsOfKind<KubeObject & { type?: string }>('Secret');
    assert.deepEqual(
      secrets.map((secret) => `${secret.metadata.name} (${secret.type ?? 'Opaque'})`),
      [],
    );
    for (const object of allObjects()) {
      assert.ok(
        !JSON.stringify(object).includes('kubernetes.io/service-account-token'),
        `${object.kind}/${object.metadata.name} mentions a service-account-token`,
      );
    }
  });

  it('keeps every Service internal, selecting a pod template and targeting a port its container declares', () => {
    const services = objectsOfKind<Service>('Service');
    assert.deepEqual(services.map((service) => service.metadata.name).sort(), ['dashboard', 'postgres', 'wpp-bot']);
    for (const service of services) {
      const where = `Service ${service.metadata.name}`;
      assert.equal(service.spec.type, 'ClusterIP', `${where}: type`);
      for (const field of ['externalIPs', 'loadBalancerIP', 'loadBalancerSourceRanges', 'externalName'])
        assert.equal(service.spec[field], undefined, `${where}: ${field}`);
      assert.ok(Object.keys(service.spec.selector ?? {}).length > 0, `${where}: no selector`);
      const targets = podTemplatesSelectedBy(service.spec.selector);
      assert.equal(targets.length, 1, `${where} selects ${targets.length} pod templates`);
      const containers = targets[0]?.spec.template.spec.containers ?? [];
      for (const port of service.spec.ports) {
        assert.equal((port as { nodePort?: number }).nodePort, undefined, `${where}: nodePort`);
        const target = port.targetPort ?? port.port;
        assert.ok(
          containers.some((container) => containerDeclaresPort(container, target)),
          `${where}: targetPort ${target} is no container port`,
        );
      }
    }
  });

  it('routes the Ingress through Traefik on the websecure entry point with TLS', () => {
    const [ingress, ...others] = objectsOfKind<Ingress>('Ingress');
    assert.ok(ingress);
    assert.equal(others.length, 0);
    assert.equal(ingress.spec.ingressClassName, 'traefik');
    assert.equal(
      ingress.metadata.annotations?.['kubernetes.io/ingress.class'],
      undefined,
      'the deprecated class annotation conflicts with ingressClassName',
    );
    assert.equal(ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.entrypoints'], 'websecure');
    assert.equal(ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.tls'], 'true');
  });

  it("asks the Let's Encrypt resolver that ingress install configures for a certificate covering every host", () => {
    const [ingress] = objectsOfKind<Ingress>('Ingress');
    assert.ok(ingress);
    const resolver = ingress.metadata.annotations?.['traefik.ingress.kubernetes.io/router.tls.certresolver'];
    const traefik = parseYaml(readFileSync(path.join(REPO_ROOT, 'k8s/addons/traefik/values.yaml'), 'utf8')) as {
      certificatesResolvers?: Record<string, unknown>;
    };
    assert.ok(resolver, 'no certresolver annotation: Traefik would serve its self-signed certificate');
    assert.ok(traefik.certificatesResolvers?.[resolver], `Traefik's values define no resolver "${resolver}"`);
    const tls = ingress.spec.tls ?? [];
    assert.ok(tls.length > 0, 'no spec.tls');
    const covered = new Set(tls.flatMap((entry) => entry.hosts ?? []));
    const hosts = ingress.spec.rules.map((rule) => rule.host);
    assert.deepEqual(hosts.sort(), ['api.example.com', 'dashboard.example.com']);
    for (const host of hosts) {
      assert.ok(host, 'a rule without host would catch every name');
      assert.ok(covered.has(host), `host ${host} is not covered by TLS`);
    }
  });

  it('sends every Ingress path to a declared Service port', () => {
    const [ingress] = objectsOfKind<Ingress>('Ingress');
    assert.ok(ingress);
    const backends = ingress.spec.rules.flatMap((rule) =>
      rule.http.paths.map((path) => ({ host: rule.host, backend: path.backend.service })),
    );
    assert.deepEqual(backends.map(({ host, backend }) => `${host} -> ${backend.name}`).sort(), [
      'api.example.com -> wpp-bot',
      'dashboard.example.com -> dashboard',
    ]);
    for (const { host, backend } of backends) {
      const service = findObject<Service>('Service', backend.name);
      const matches = service.spec.ports.some((port) =>
        backend.port.name !== undefined ? port.name === backend.port.name : port.port === backend.port.number,
      );
      assert.ok(matches, `${host}: Service ${backend.name} has no port ${JSON.stringify(backend.port)}`);
    }
  });

  it('denies all ingress and egress in the namespace by default', () => {
    const defaultDeny = objectsOfKind<NetworkPolicy>('NetworkPolicy').filter(
      (policy) =>
        Object.keys(policy.spec.podSelector.matchLabels ?? {}).length === 0 &&
        policy.spec.ingress === undefined &&
        policy.spec.egress === undefined,
    );
    assert.equal(defaultDeny.length, 1);
    assert.deepEqual([...(defaultDeny[0]?.spec.policyTypes ?? [])].sort(), ['Egress', 'Ingress']);
  });

  it('lets every pod resolve names through kube-dns on UDP and TCP 53, and nowhere else on 53', () => {
    const dns = objectsOfKind<NetworkPolicy>('NetworkPolicy').filter((policy) =>
      (policy.spec.egress ?? []).some((rule) => allowsPort(rule, 53, 'UDP')),
    );
    assert.equal(dns.length, 1);
    const [policy] = dns;
    assert.ok(policy);
    assert.deepEqual(policy.spec.podSelector, {}, 'DNS must be open to every pod');
    for (const rule of policy.spec.egress ?? []) {
      assert.ok(allowsPort(rule, 53, 'UDP') && allowsPort(rule, 53, 'TCP'));
      for (const peer of rule.to ?? []) {
        assert.equal(peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'], 'kube-system');
        assert.equal(peer.podSelector?.matchLabels?.['k8s-app'], 'kube-dns');
      }
    }
  });

  it('admits traffic to wpp-bot and the dashboard only from Traefik (and the dashboard to the API) on port 3000', () => {
    for (const name of ['wpp-bot', 'dashboard']) {
      const rules = ingressRulesTo(name);
      assert.ok(
        rules.some((rule) => (rule.from ?? []).some(peerIsTraefik) && allowsPort(rule, 3000)),
        `${name}: Traefik cannot reach port 3000`,
      );
      for (const rule of rules) {
        assert.ok((rule.from ?? []).length > 0, `${name}: an ingress rule without "from" admits everyone`);
        for (const peer of rule.from ?? []) {
          assert.ok(
            peerIsTraefik(peer) || (name === 'wpp-bot' && peerIsPod(peer, 'dashboard')),
            `${name}: unexpected source ${JSON.stringify(peer)}`,
          );
        }
        assert.deepEqual(rule.ports, [{ protocol: 'TCP', port: 3000 }]);
      }
    }
  });

  it('admits connections to Postgres on 5432 from wpp-bot only, and lets wpp-bot open them', () => {
    const rules = ingressRulesTo('postgres');
    assert.ok(rules.length > 0);
    for (const rule of rules) {
      assert.ok(
        (rule.from ?? []).length > 0 && (rule.from ?? []).every((peer) => peerIsPod(peer, 'wpp-bot')),
        `Postgres admits ${JSON.stringify(rule.from)}`,
      );
      assert.deepEqual(rule.ports, [{ protocol: 'TCP', port: 5432 }]);
    }
    assert.ok(
      egressRulesFrom('wpp-bot').some(
        (rule) => (rule.to ?? []).some((peer) => peerIsPod(peer, 'postgres')) && allowsPort(rule, 5432),
      ),
    );
    assert.ok(
      !egressRulesFrom('dashboard').some((rule) => (rule.to ?? []).some((peer) => peerIsPod(peer, 'postgres'))),
      'the dashboard must not reach Postgres',
    );
  });

  it('lets wpp-bot out to the internet on 443 only, never into private or link-local ranges', () => {
    const internet = egressRulesFrom('wpp-bot').filter((rule) => (rule.to ?? []).some((peer) => peer.ipBlock));
    assert.equal(internet.length, 1);
    const [rule] = internet;
    assert.ok(rule);
    assert.deepEqual(rule.ports, [{ protocol: 'TCP', port: 443 }]);
    for (const peer of rule.to ?? []) {
      assert.equal(peer.ipBlock?.cidr, '0.0.0.0/0');
      for (const range of PRIVATE_RANGES)
        assert.ok(peer.ipBlock?.except?.includes(range), `internet egress must exclude ${range}`);
    }
    for (const name of ['postgres', 'dashboard']) {
      assert.ok(
        !egressRulesFrom(name).some((candidate) => (candidate.to ?? []).some((peer) => peer.ipBlock)),
        `${name} must not reach the internet`,
      );
    }
  });

  it('never allows a rule with no peers or no ports, which would open everything', () => {
    for (const policy of objectsOfKind<NetworkPolicy>('NetworkPolicy')) {
      for (const rule of [...(policy.spec.ingress ?? []), ...(policy.spec.egress ?? [])]) {
        assert.ok([...(rule.from ?? []), ...(rule.to ?? [])].length > 0, `${policy.metadata.name}: rule without peers`);
        assert.ok((rule.ports ?? []).length > 0, `${policy.metadata.name}: rule without ports`);
      }
    }
  });

  it('aims every NetworkPolicy at pods that exist', () => {
    for (const policy of objectsOfKind<NetworkPolicy>('NetworkPolicy')) {
      assert.ok(
        podTemplatesSelectedBy(policy.spec.podSelector.matchLabels).length > 0,
        `${policy.metadata.name} selects no pod`,
      );
      for (const rule of [...(policy.spec.ingress ?? []), ...(policy.spec.egress ?? [])]) {
        for (const peer of [...(rule.from ?? []), ...(rule.to ?? [])]) {
          if (peer.podSelector && !peer.namespaceSelector) {
            assert.ok(
              podTemplatesSelectedBy(peer.podSelector.matchLabels).length > 0,
              `${policy.metadata.name}: peer ${JSON.stringify(peer)} selects no pod`,
            );
          }
        }
      }
    }
  });
});

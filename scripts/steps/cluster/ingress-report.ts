/**
 * After Traefik is installed: wait (on observable state, bounded) until its Service has the NodeBalancer's address,
 * explaining a NodeBalancer that never comes; then the DNS records to create and whether DNS and TLS work yet.
 */
import * as kubectl from '../../kubectl.ts';
import type { Config } from '../../lib/config.ts';
import { DeckhandError, formatMs } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import type { Runner } from '../../lib/shell.ts';
import type { AddonTarget } from './addon-target.ts';
import {
  addressOf,
  checkDns,
  describeDns,
  describeTls,
  dnsLookup,
  dnsRecords,
  probeTls,
  type DnsLookup,
  type LoadBalancerAddress,
} from './ingress-dns.ts';
import { TRAEFIK } from './ingress-plan.ts';

const SERVICE_PATH = kubectl.corePath('services', TRAEFIK.service, TRAEFIK.namespace);

/**
 * The Service's address once the cloud controller has set it. A dry run reads what is there now (undefined when
 * Traefik is not installed) and shows the wait it would do.
 */
export async function waitForAddress(
  shell: Runner,
  cluster: AddonTarget,
  timeoutMs: number,
  options: { installedBefore: boolean },
): Promise<LoadBalancerAddress | undefined> {
  const { target } = cluster;
  if (shell.dryRun) {
    const now =
      cluster.reachable && options.installedBefore
        ? addressOf(await kubectl.getByPath(shell, target, SERVICE_PATH))
        : undefined;
    if (now) return now;
  }
  const waited = await shell.run(
    kubectl.waitArgs(
      target,
      TRAEFIK.namespace,
      `service/${TRAEFIK.service}`,
      'jsonpath={.status.loadBalancer.ingress}',
      timeoutMs,
    ),
    { kind: 'read', dependsOnWrites: 'wait', nothrow: true, timeoutMs: timeoutMs + 30_000 },
  );
  if (waited.skipped) return undefined;
  const service = await kubectl.getByPath(shell, target, SERVICE_PATH);
  const address = addressOf(service);
  if (address) return address;
  const events = await kubectl.list<kubectl.KubeObject & { type?: string; reason?: string; message?: string }>(
    shell,
    target,
    'events',
    {
      namespace: TRAEFIK.namespace,
      fieldSelector: `involvedObject.kind=Service,involvedObject.name=${TRAEFIK.service}`,
    },
  );
  const warnings = events
    .filter((event) => event.type === 'Warning')
    .map((event) => `${event.reason}: ${event.message}`);
  throw new DeckhandError(
    `The Traefik Service got no NodeBalancer address within ${formatMs(timeoutMs)}.` +
      (warnings.length
        ? `\n${warnings
            .slice(-5)
            .map((line) => `  ${line}`)
            .join('\n')}`
        : ''),
    warnings.length
      ? `Fix what the cloud controller reports above (an annotation value, the account limit of NodeBalancers, a firewall-id that does not exist), then: ${deckhand('ingress', 'install')}`
      : `Linode usually needs a minute or two. Look again with: kubectl -n ${TRAEFIK.namespace} describe service ${TRAEFIK.service}, then: ${deckhand('ingress', 'status')}`,
  );
}

/** The DNS records to create, whether they resolve to the load balancer yet, and whether TLS is served for each host. */
export async function ingressReport(
  config: Pick<Config, 'addons'>,
  hosts: readonly string[],
  address: LoadBalancerAddress | undefined,
  lookup: DnsLookup = dnsLookup(config.addons.dnsServers),
  tlsPort?: number,
): Promise<string[]> {
  if (hosts.length === 0) return ['Set DOMAIN (e.g. DOMAIN=example.com in .env) to see the DNS records to create.'];
  if (!address)
    return [
      'DNS records to create once the NodeBalancer has an address:',
      ...hosts.map((host) => `  ${host}  →  <NodeBalancer address>`),
    ];
  const records = dnsRecords(hosts, address);
  const width = Math.max(...hosts.map((host) => host.length));
  const lines = [
    'DNS records to create at your DNS provider:',
    ...records.map((record) => `  ${record.type.padEnd(5)} ${record.host.padEnd(width)}  ${record.value}`),
  ];
  const checks = await checkDns(lookup, hosts, address);
  for (const check of checks)
    lines.push(
      describeDns(
        check,
        records.find((record) => record.host === check.host),
      ),
    );
  const tlsAddress = address.ip ?? address.hostname!;
  const tls = await Promise.all(
    hosts.map((host) => probeTls({ host, address: tlsAddress, ...(tlsPort ? { port: tlsPort } : {}) })),
  );
  lines.push(...tls.map(describeTls));
  return lines;
}

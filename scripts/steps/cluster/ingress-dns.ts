/**
 * From a load balancer address to "your site works": the DNS records to create, whether they already resolve to the
 * address (node:dns, through a Resolver a test can point at its own server), and which certificate the ingress serves
 * for each host (a TLS handshake with the host's name, as a browser makes it).
 */
import { Resolver } from 'node:dns/promises';
import { connect, type PeerCertificate } from 'node:tls';
import { deckhand } from '../../lib/hints.ts';

export interface LoadBalancerAddress {
  ip?: string;
  hostname?: string;
}

/** The first ingress address of a LoadBalancer Service's status, or undefined while it has none. */
export function addressOf(service: { status?: Record<string, unknown> } | undefined): LoadBalancerAddress | undefined {
  const ingress = (service?.status?.['loadBalancer'] as { ingress?: LoadBalancerAddress[] } | undefined)?.ingress;
  const first = ingress?.find((entry) => entry.ip || entry.hostname);
  if (!first) return undefined;
  return { ...(first.ip ? { ip: first.ip } : {}), ...(first.hostname ? { hostname: first.hostname } : {}) };
}

export interface DnsRecord {
  host: string;
  type: 'A' | 'CNAME';
  value: string;
}

/** An A record per host when the NodeBalancer has an IPv4 address; a CNAME to its hostname when it has only that. */
export function dnsRecords(hosts: readonly string[], address: LoadBalancerAddress): DnsRecord[] {
  return hosts.map((host) =>
    address.ip ? { host, type: 'A', value: address.ip } : { host, type: 'CNAME', value: address.hostname ?? '?' },
  );
}

/** The lookups deckhand makes; a test gives its own (or points DECKHAND_DNS_SERVERS at a server it runs). */
export interface DnsLookup {
  resolve4(host: string): Promise<string[]>;
}

/** node:dns with the given servers ("1.1.1.1", "127.0.0.1:5353"), or this machine's resolver when none are given. */
export function dnsLookup(servers: readonly string[] = []): DnsLookup {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return { resolve4: (host) => resolver.resolve4(host) };
}

export type DnsState = 'ok' | 'elsewhere' | 'missing' | 'error';

export interface DnsCheck {
  host: string;
  state: DnsState;
  addresses: string[];
  detail?: string;
}

/** Whether each host resolves to the load balancer (for a hostname-only NodeBalancer: to what its hostname does). */
export async function checkDns(
  lookup: DnsLookup,
  hosts: readonly string[],
  address: LoadBalancerAddress,
): Promise<DnsCheck[]> {
  const expected = address.ip
    ? [address.ip]
    : address.hostname
      ? await lookup.resolve4(address.hostname).catch(() => [] as string[])
      : [];
  return Promise.all(
    hosts.map(async (host): Promise<DnsCheck> => {
      try {
        const addresses = await lookup.resolve4(host);
        const state = addresses.some((found) => expected.includes(found)) ? 'ok' : 'elsewhere';
        return { host, state, addresses };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA') return { host, state: 'missing', addresses: [] };
        return { host, state: 'error', addresses: [], detail: code ?? (error as Error).message };
      }
    }),
  );
}

export type TlsState = 'letsencrypt' | 'staging' | 'traefik-default' | 'other' | 'none';

export interface TlsCheck {
  host: string;
  state: TlsState;
  issuer?: string;
  validTo?: string;
  detail?: string;
}

export const TLS_PROBE_TIMEOUT_MS = 5_000;

/** Which certificate `address`:`port` serves for `host` (SNI), without trusting it: the point is to see what it is. */
export function probeTls(options: {
  host: string;
  address: string;
  port?: number;
  timeoutMs?: number;
}): Promise<TlsCheck> {
  const { host } = options;
  return new Promise((resolve) => {
    const socket = connect({
      host: options.address,
      port: options.port ?? 443,
      servername: host,
      rejectUnauthorized: false,
      timeout: options.timeoutMs ?? TLS_PROBE_TIMEOUT_MS,
    });
    const done = (check: TlsCheck) => {
      socket.destroy();
      resolve(check);
    };
    socket.once('secureConnect', () => done(classifyCertificate(host, socket.getPeerCertificate())));
    socket.once('timeout', () => done({ host, state: 'none', detail: 'no answer on port 443' }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({
        host,
        state: 'none',
        detail: error.code === 'ECONNREFUSED' ? 'port 443 refused' : (error.code ?? error.message),
      }),
    );
  });
}

export function classifyCertificate(
  host: string,
  certificate: Pick<PeerCertificate, 'issuer' | 'subject' | 'valid_to'>,
): TlsCheck {
  const issuer = [certificate.issuer?.O, certificate.issuer?.CN].filter(Boolean).join(' / ');
  const base = { host, issuer, validTo: certificate.valid_to };
  if (certificate.subject?.CN === 'TRAEFIK DEFAULT CERT') return { ...base, state: 'traefik-default' };
  if (/\(STAGING\)/i.test(issuer)) return { ...base, state: 'staging' };
  if (certificate.issuer?.O === "Let's Encrypt") return { ...base, state: 'letsencrypt' };
  return { ...base, state: 'other' };
}

/** One line per host, saying what it means and what to do. */
export function describeDns(check: DnsCheck, record: DnsRecord | undefined): string {
  const want = record ? `${record.type} ${record.value}` : 'the load balancer';
  switch (check.state) {
    case 'ok':
      return `✔ ${check.host} resolves to ${check.addresses.join(', ')}`;
    case 'elsewhere':
      return `✖ ${check.host} resolves to ${check.addresses.join(', ')}, not the load balancer: change its record to ${want}`;
    case 'missing':
      return `… ${check.host} does not resolve yet: create the record ${want} (new records can take minutes to spread)`;
    case 'error':
      return `? ${check.host}: the DNS lookup failed (${check.detail ?? 'unknown error'}); check again later`;
  }
}

export function describeTls(check: TlsCheck): string {
  switch (check.state) {
    case 'letsencrypt':
      return `✔ TLS is served for ${check.host}: a Let's Encrypt certificate (${check.issuer}), valid until ${check.validTo}`;
    case 'staging':
      return `✔ TLS is served for ${check.host} with a Let's Encrypt STAGING certificate (browsers warn about it). When everything works: ${deckhand('ingress', 'install', '--production')}`;
    case 'traefik-default':
      return `… ${check.host} gets Traefik's self-signed default certificate: no certificate for it yet. Traefik asks Let's Encrypt once DNS points here and an Ingress for the host names certresolver letsencrypt; look at: kubectl logs -n traefik deploy/traefik`;
    case 'other':
      return `✔ TLS is served for ${check.host}, with a certificate from ${check.issuer || 'an unknown issuer'} (valid until ${check.validTo})`;
    case 'none':
      return `… TLS is not served for ${check.host} yet (${check.detail ?? 'no answer'})`;
  }
}

/**
 * The pure parts of `ingress` and the add-on installs: the plan from configuration, the decision to install,
 * upgrade or leave a release alone, the DNS records and checks (through a lookup the test controls), and the TLS
 * probe against real TLS servers on loopback with certificates made by openssl.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { loadConfig, type Config } from '../../scripts/lib/config.ts';
import { SecretMasker } from '../../scripts/lib/redact.ts';
import {
  changedSections,
  decideRelease,
  wantedValues,
  type InstalledRelease,
} from '../../scripts/steps/cluster/chart-release.ts';
import {
  addressOf,
  checkDns,
  classifyCertificate,
  describeDns,
  describeTls,
  dnsRecords,
  probeTls,
  type DnsLookup,
} from '../../scripts/steps/cluster/ingress-dns.ts';
import { LETSENCRYPT, caOf, planIngress } from '../../scripts/steps/cluster/ingress-plan.ts';
import { ingressReport } from '../../scripts/steps/cluster/ingress-report.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { freePort } from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

function config(env: Record<string, string>, dryRun = false): Config {
  return loadConfig({
    repoRoot: REPO_ROOT,
    flags: { dryRun, verbose: false, yes: false },
    env: { DECKHAND_ENV_DIR: os.tmpdir(), ...env },
    interactive: false,
    masker: new SecretMasker(),
  });
}

const WITH_EMAIL = { ACME_EMAIL: 'ops@example.com', DOMAIN: 'Example.com' };

describe('the ingress plan', () => {
  it("defaults to Let's Encrypt staging with its own acme file, one replica, and the two hosts under DOMAIN", () => {
    const plan = planIngress(config(WITH_EMAIL), { production: false });
    assert.deepEqual(plan.setString, {
      'certificatesResolvers.letsencrypt.acme.email': 'ops@example.com',
      'certificatesResolvers.letsencrypt.acme.caServer': LETSENCRYPT.staging,
      'certificatesResolvers.letsencrypt.acme.storage': '/data/acme-staging.json',
    });
    assert.deepEqual(plan.hosts, ['api.example.com', 'dashboard.example.com']);
    assert.deepEqual(plan.source, { chart: 'oci://ghcr.io/traefik/helm/traefik', version: '41.3.0' });
    assert.equal(plan.timeoutMs, 600_000);
    assert.deepEqual(plan.warnings, []);
  });

  it('uses production from --production or LETSENCRYPT_PRODUCTION=true, and plain HTTP for a loopback mirror', () => {
    const byFlag = planIngress(config(WITH_EMAIL), { production: true });
    const byConfig = planIngress(config({ ...WITH_EMAIL, LETSENCRYPT_PRODUCTION: 'true' }), { production: false });
    for (const plan of [byFlag, byConfig]) {
      assert.equal(plan.setString['certificatesResolvers.letsencrypt.acme.caServer'], LETSENCRYPT.production);
      assert.equal(plan.setString['certificatesResolvers.letsencrypt.acme.storage'], '/data/acme.json');
    }
    const mirror = planIngress(
      config({ ...WITH_EMAIL, DECKHAND_TRAEFIK_CHART: 'oci://localhost:5000/traefik/helm/traefik' }),
      { production: false },
    );
    assert.equal(mirror.source.plainHttp, true);
  });

  it('refuses more than one replica, naming cert-manager, and nonsense replica counts and timeouts (exit 2)', () => {
    assert.throws(
      () => planIngress(config(WITH_EMAIL), { production: false, replicas: '3' }),
      (error: Error & { exitCode?: number }) => {
        assert.equal(error.exitCode, 2);
        assert.match(error.message, /cannot run 3 replicas with its Let's Encrypt resolver/);
        return true;
      },
    );
    assert.throws(() => planIngress(config(WITH_EMAIL), { production: false, replicas: 'two' }), /whole number/);
    assert.throws(
      () => planIngress(config(WITH_EMAIL), { production: false, timeout: 'soon' }),
      /--timeout expects a duration/,
    );
    assert.equal(
      planIngress(config(WITH_EMAIL), { production: false, replicas: '1', timeout: '90s' }).timeoutMs,
      90_000,
    );
  });

  it('needs ACME_EMAIL for a real run; a dry run goes on with a warning and a placeholder', () => {
    assert.throws(() => planIngress(config({}), { production: false }), /ACME_EMAIL is not set/);
    const dry = planIngress(config({}, true), { production: false });
    assert.equal(dry.setString['certificatesResolvers.letsencrypt.acme.email'], '<ACME_EMAIL>');
    assert.match(dry.warnings.join('\n'), /ACME_EMAIL is not set.*A real run refuses/);
    assert.match(dry.warnings.join('\n'), /DOMAIN is not set/);
  });

  it('validates the new configuration keys', () => {
    assert.throws(() => config({ DOMAIN: 'https://example.com' }), /DOMAIN: expected a domain name/);
    assert.throws(() => config({ ACME_EMAIL: 'nobody' }), /ACME_EMAIL: expected an email address/);
    assert.throws(() => config({ LETSENCRYPT_PRODUCTION: 'yes' }), /LETSENCRYPT_PRODUCTION: expected true or false/);
    assert.throws(() => config({ DECKHAND_TRAEFIK_CHART: 'ghcr.io/traefik' }), /expected an oci:\/\/ chart reference/);
    assert.deepEqual(config({ DECKHAND_DNS_SERVERS: '1.1.1.1, 127.0.0.1:5353' }).addons.dnsServers, [
      '1.1.1.1',
      '127.0.0.1:5353',
    ]);
  });

  it('tells the CA of installed values', () => {
    const values = (caServer: string) => ({ certificatesResolvers: { letsencrypt: { acme: { caServer } } } });
    assert.equal(caOf(values(LETSENCRYPT.staging)), 'staging');
    assert.equal(caOf(values(LETSENCRYPT.production)), 'production');
    assert.equal(caOf(values('https://acme.example/dir')), 'other');
    assert.equal(caOf({}), 'none');
  });
});

describe('install, upgrade or leave alone', () => {
  const file =
    'ports:\n  web:\n    port: 8000\ncertificatesResolvers:\n  letsencrypt:\n    acme:\n      httpChallenge: {entryPoint: web}\n';
  const wanted = wantedValues(file, { 'certificatesResolvers.letsencrypt.acme.email': 'a@b.c' });
  const live = (overrides: Partial<InstalledRelease> = {}): InstalledRelease => ({
    status: 'deployed',
    revision: 3,
    chartVersion: '41.3.0',
    appVersion: 'v3.7.11',
    values: structuredClone(wanted),
    ...overrides,
  });

  it('merges --set-string pairs into the values file as helm records them', () => {
    assert.deepEqual(wanted, {
      ports: { web: { port: 8000 } },
      certificatesResolvers: { letsencrypt: { acme: { httpChallenge: { entryPoint: 'web' }, email: 'a@b.c' } } },
    });
  });

  it('installs what is missing, leaves an identical release alone, and upgrades for a version, values or a bad state', () => {
    assert.deepEqual(decideRelease(undefined, { chartVersion: '41.3.0', values: wanted }), { action: 'install' });
    assert.deepEqual(decideRelease(live(), { chartVersion: '41.3.0', values: wanted }), {
      action: 'unchanged',
      reason: 'chart 41.3.0 with these values, revision 3',
    });
    assert.deepEqual(decideRelease(live({ chartVersion: '40.0.0' }), { chartVersion: '41.3.0', values: wanted }), {
      action: 'upgrade',
      reason: 'chart 40.0.0 → 41.3.0',
    });
    const changed = wantedValues(file, { 'certificatesResolvers.letsencrypt.acme.email': 'other@b.c' });
    assert.deepEqual(decideRelease(live(), { chartVersion: '41.3.0', values: changed }), {
      action: 'upgrade',
      reason: 'values changed: certificatesResolvers',
    });
    assert.deepEqual(decideRelease(live({ status: 'failed' }), { chartVersion: '41.3.0', values: wanted }), {
      action: 'upgrade',
      reason: 'the release is failed',
    });
    assert.deepEqual(changedSections({ a: 1, b: { c: [1] } }, { b: { c: [1] }, d: 2 }), ['a', 'd']);
  });
});

describe('DNS records and checks', () => {
  const lookup = (table: Record<string, string[] | string>): DnsLookup => ({
    resolve4: async (host) => {
      const entry = table[host];
      if (entry === undefined) throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
      if (typeof entry === 'string') throw Object.assign(new Error(`queryA ${entry}`), { code: entry });
      return entry;
    },
  });

  it('reads the NodeBalancer address and makes A records, or CNAMEs when it has a hostname only', () => {
    assert.deepEqual(
      addressOf({ status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', hostname: 'nb.example' }] } } }),
      { ip: '1.2.3.4', hostname: 'nb.example' },
    );
    assert.equal(addressOf({ status: { loadBalancer: {} } }), undefined);
    assert.deepEqual(dnsRecords(['api.x.io'], { ip: '1.2.3.4', hostname: 'nb.example' }), [
      { host: 'api.x.io', type: 'A', value: '1.2.3.4' },
    ]);
    assert.deepEqual(dnsRecords(['api.x.io'], { hostname: 'nb.example' }), [
      { host: 'api.x.io', type: 'CNAME', value: 'nb.example' },
    ]);
  });

  it('says which hosts point here, elsewhere, nowhere yet, or could not be asked', async () => {
    const checks = await checkDns(
      lookup({ 'a.x.io': ['1.2.3.4'], 'b.x.io': ['9.9.9.9'], 'd.x.io': 'ESERVFAIL' }),
      ['a.x.io', 'b.x.io', 'c.x.io', 'd.x.io'],
      { ip: '1.2.3.4' },
    );
    assert.deepEqual(
      checks.map((check) => [check.host, check.state]),
      [
        ['a.x.io', 'ok'],
        ['b.x.io', 'elsewhere'],
        ['c.x.io', 'missing'],
        ['d.x.io', 'error'],
      ],
    );
    const records = dnsRecords(['b.x.io', 'c.x.io'], { ip: '1.2.3.4' });
    assert.match(
      describeDns(checks[1]!, records[0]),
      /b\.x\.io resolves to 9\.9\.9\.9, not the load balancer: change its record to A 1\.2\.3\.4/,
    );
    assert.match(describeDns(checks[2]!, records[1]), /c\.x\.io does not resolve yet: create the record A 1\.2\.3\.4/);
    const viaHostname = await checkDns(lookup({ 'nb.example': ['5.6.7.8'], 'a.x.io': ['5.6.7.8'] }), ['a.x.io'], {
      hostname: 'nb.example',
    });
    assert.equal(viaHostname[0]?.state, 'ok', 'a hostname-only NodeBalancer is compared by what its name resolves to');
  });

  it('asks for DOMAIN, or for the address, before it can print records', async () => {
    const none = config({});
    assert.deepEqual(await ingressReport(none, [], { ip: '1.2.3.4' }), [
      'Set DOMAIN (e.g. DOMAIN=example.com in .env) to see the DNS records to create.',
    ]);
    assert.match(
      (await ingressReport(none, ['api.x.io'], undefined)).join('\n'),
      /once the NodeBalancer has an address:\n {2}api\.x\.io {2}→ {2}<NodeBalancer address>/,
    );
  });
});

describe('the TLS probe, against real TLS servers', () => {
  let dir: string;
  const servers: Server[] = [];
  const ports: Record<string, number> = {};
  const subjects = {
    staging: "/O=(STAGING) Let's Encrypt/CN=(STAGING) Ersatz Edamame E1",
    production: "/O=Let's Encrypt/CN=E6",
    traefik: '/CN=TRAEFIK DEFAULT CERT',
  };
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'deckhand-tls-'));
    for (const [name, subject] of Object.entries(subjects)) {
      const key = path.join(dir, `${name}.key`);
      const cert = path.join(dir, `${name}.crt`);
      await execFileAsync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        subject,
      ]);
      const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (socket) => socket.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      ports[name] = (server.address() as AddressInfo).port;
    }
  });
  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await rm(dir, { recursive: true, force: true });
  });

  it("tells a staging certificate, a Let's Encrypt one, Traefik's default, and nothing listening", async () => {
    const probe = (port: number) => probeTls({ host: 'api.example.com', address: '127.0.0.1', port });
    const staging = await probe(ports['staging']!);
    assert.equal(staging.state, 'staging');
    assert.match(describeTls(staging), /Let's Encrypt STAGING certificate .*ingress install --production/);
    const production = await probe(ports['production']!);
    assert.equal(production.state, 'letsencrypt');
    assert.match(
      describeTls(production),
      /✔ TLS is served for api\.example\.com: a Let's Encrypt certificate \(Let's Encrypt \/ E6\), valid until /,
    );
    const traefik = await probe(ports['traefik']!);
    assert.equal(traefik.state, 'traefik-default');
    assert.match(describeTls(traefik), /self-signed default certificate: no certificate for it yet/);
    const closed = await probe(await freePort());
    assert.deepEqual([closed.state, closed.detail], ['none', 'port 443 refused']);
  });

  it('names any other issuer', () => {
    const other = classifyCertificate('a.x.io', {
      issuer: { O: 'ZeroSSL', CN: 'ZeroSSL ECC' } as never,
      subject: { CN: 'a.x.io' } as never,
      valid_to: 'Jan 1 00:00:00 2027 GMT',
    });
    assert.deepEqual([other.state, other.issuer], ['other', 'ZeroSSL / ZeroSSL ECC']);
  });
});

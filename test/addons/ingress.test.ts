/**
 * `ingress install | status` end to end: the real helm and kubectl against the simulated cluster, a stand-in Traefik
 * chart pushed to a real OCI registry at the real chart's path and version, the simulated Linode cloud controller
 * giving the Service its NodeBalancer address, and a DNS server on loopback that the DNS check asks.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { STAND_IN_TRAEFIK_CRDS, pushStandInTraefik } from '../support/stand-in-traefik.ts';
import { createAddonsBed, type AddonsBed } from '../support/addons-bed.ts';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.ts';
import { createSandbox } from '../support/sandbox.ts';
import { useRegistry, type Registry } from '../support/registry.ts';

const LB_IP = '127.0.0.1';
const LB_HOSTNAME = 'nb-127-0-0-1.chicago.nodebalancer.linode.com';

/** Whether something on this machine answers on 127.0.0.1:443 (then the "TLS not served" wording differs). */
function port443Refused(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LB_IP, port: 443 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const MUTATING = /^(POST|PUT|PATCH|DELETE)$/;

describe('ingress install and status', { concurrency: 2 }, () => {
  let registry: Registry | undefined;
  let skip: string | undefined;
  let chart = '';
  let dns: TestDnsServer;
  before(async () => {
    const used = await useRegistry();
    if ('skip' in used) skip = used.skip;
    else {
      registry = used;
      const sandbox = await createSandbox();
      try {
        chart = await pushStandInTraefik(sandbox.bin.helm, registry.host, sandbox.dir, sandbox.env);
      } finally {
        await sandbox.cleanup();
      }
    }
    // api points at the NodeBalancer; dashboard still at an old server; nothing else exists.
    dns = await startDnsServer({ 'api.example.test': [LB_IP], 'dashboard.example.test': ['198.51.100.9'] });
  });
  after(async () => {
    await registry?.stop();
    await dns?.stop();
  });

  const withBed = async (fn: (bed: AddonsBed) => Promise<void>, extraEnv: NodeJS.ProcessEnv = {}) => {
    const bed = await createAddonsBed({
      DECKHAND_TRAEFIK_CHART: chart,
      ACME_EMAIL: 'ops@example.test',
      DOMAIN: 'example.test',
      DECKHAND_DNS_SERVERS: dns.address,
      ...extraEnv,
    });
    bed.sim.setLoadBalancerBehavior({ namespace: 'traefik', name: 'traefik' }, { ip: LB_IP, hostname: LB_HOSTNAME });
    try {
      await fn(bed);
    } finally {
      await bed.close();
    }
    bed.sim.assertNoGaps();
  };

  test('installs the chart with CRDs first, waits for the address, prints the DNS records, and a re-run changes nothing', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      const first = await bed.cli(['ingress', 'install']);
      assert.equal(first.code, 0, first.output);

      // CRDs are applied server-side before helm stores its first release record.
      const requests = bed.sim.requests;
      const crdApply = requests.findIndex(
        (r) => r.method === 'PATCH' && r.path.includes('/customresourcedefinitions/'),
      );
      const releaseRecord = requests.findIndex(
        (r) => r.method === 'POST' && /\/namespaces\/traefik\/secrets/.test(r.path),
      );
      assert.ok(crdApply !== -1 && releaseRecord !== -1 && crdApply < releaseRecord, 'CRDs before the release');
      for (const name of STAND_IN_TRAEFIK_CRDS) {
        assert.ok(bed.sim.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, name), name);
      }

      // What the values file asked for reached the cluster through the chart.
      const namespace = bed.sim.get('v1', 'Namespace', undefined, 'traefik');
      assert.equal(namespace?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      const deployment = bed.sim.get<{
        spec: { replicas: number; strategy: { type: string }; template: { spec: Record<string, any> } };
      }>('apps/v1', 'Deployment', 'traefik', 'traefik');
      assert.equal(deployment?.spec.replicas, 1);
      assert.equal(deployment?.spec.strategy.type, 'Recreate');
      const pod = deployment!.spec.template.spec;
      assert.equal(pod['securityContext'].fsGroup, 65532);
      assert.match(pod['initContainers'][0].command.join(' '), /chmod 600 \/data\/acme\.json/);
      const args: string[] = pod['containers'][0].args;
      assert.ok(args.includes('--certificatesresolvers.letsencrypt.acme.email=ops@example.test'), args.join('\n'));
      assert.ok(
        args.includes(
          '--certificatesresolvers.letsencrypt.acme.caserver=https://acme-staging-v02.api.letsencrypt.org/directory',
        ),
      );
      assert.ok(args.includes('--certificatesresolvers.letsencrypt.acme.storage=/data/acme-staging.json'));
      assert.ok(args.includes('--entryPoints.web.http.redirections.entryPoint.scheme=https'));
      assert.ok(bed.sim.get('v1', 'PersistentVolumeClaim', 'traefik', 'traefik'), 'acme.json has a volume');
      const service = bed.sim.get<{ spec: { type: string }; metadata: { annotations?: Record<string, string> } }>(
        'v1',
        'Service',
        'traefik',
        'traefik',
      );
      assert.equal(service?.spec.type, 'LoadBalancer');
      assert.equal(
        service?.metadata.annotations?.['service.beta.kubernetes.io/linode-loadbalancer-default-protocol'],
        'tcp',
      );
      assert.ok(bed.sim.get('networking.k8s.io/v1', 'IngressClass', undefined, 'traefik'));
      assert.deepEqual(
        bed.sim.nodeBalancers.map((nb) => [nb.namespace, nb.service, nb.ip]),
        [['traefik', 'traefik', LB_IP]],
      );

      assert.match(first.output, new RegExp(`NodeBalancer address: ${LB_IP} · ${LB_HOSTNAME.replace(/\./g, '\\.')}`));
      assert.match(first.output, /A\s+api\.example\.test\s+127\.0\.0\.1/);
      assert.match(first.output, /A\s+dashboard\.example\.test\s+127\.0\.0\.1/);
      assert.match(first.output, /✔ api\.example\.test resolves to 127\.0\.0\.1/);
      assert.match(
        first.output,
        /✖ dashboard\.example\.test resolves to 198\.51\.100\.9, not the load balancer: change its record to A 127\.0\.0\.1/,
      );
      if (await port443Refused())
        assert.match(first.output, /TLS is not served for api\.example\.test yet \(port 443 refused\)/);
      assert.ok(dns.queries.includes('api.example.test') && dns.queries.includes('dashboard.example.test'));

      // The second run reads, decides, and writes nothing at all.
      const before = bed.sim.requests.length;
      const second = await bed.cli(['ingress', 'install']);
      assert.equal(second.code, 0, second.output);
      const writes = bed.sim.requests.slice(before).filter((r) => MUTATING.test(r.method));
      assert.deepEqual(
        writes.map((r) => `${r.method} ${r.path}`),
        [],
      );
      assert.match(second.output, /Planned: nothing to change/);
      assert.match(second.output, /Traefik unchanged: chart 41\.3\.0 with these values, revision 1/);
      assert.match(second.output, /already installed with these values: nothing changed/);

      // Production is a change of values: CRDs again, then an upgrade to revision 2, with its own acme file.
      const production = await bed.cli(['ingress', 'install', '--production']);
      assert.equal(production.code, 0, production.output);
      assert.match(production.output, /upgrade: values changed: certificatesResolvers/);
      const upgraded = bed.sim.get<{ spec: { template: { spec: { containers: { args: string[] }[] } } } }>(
        'apps/v1',
        'Deployment',
        'traefik',
        'traefik',
      );
      const upgradedArgs = upgraded!.spec.template.spec.containers[0]!.args;
      assert.ok(
        upgradedArgs.includes(
          '--certificatesresolvers.letsencrypt.acme.caserver=https://acme-v02.api.letsencrypt.org/directory',
        ),
      );
      assert.ok(upgradedArgs.includes('--certificatesresolvers.letsencrypt.acme.storage=/data/acme.json'));

      const status = await bed.cli(['ingress', 'status']);
      assert.equal(status.code, 0, status.output);
      assert.match(status.stdout, /Traefik: chart 41\.3\.0 \(Traefik v3\.7\.11\), revision 2, deployed/);
      assert.match(status.stdout, /Let's Encrypt: production/);
      assert.match(status.stdout, /Load balancer: 127\.0\.0\.1 · nb-127-0-0-1/);
      assert.match(status.stdout, /✔ api\.example\.test resolves to 127\.0\.0\.1/);
    });
  });

  test('a NodeBalancer that never comes fails with what the cloud controller said', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      bed.sim.setLoadBalancerBehavior({ namespace: 'traefik', name: 'traefik' }, { outcome: 'never' });
      const result = await bed.cli(['ingress', 'install', '--timeout', '3s']);
      assert.equal(result.code, 1, result.output);
      assert.match(result.output, /The Traefik Service got no NodeBalancer address within 3\.0 s/);
      assert.match(result.output, /SyncLoadBalancerFailed: /);
    });
  });

  test('refuses more than one replica and a missing ACME_EMAIL before touching the cluster (exit 2)', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      const replicas = await bed.cli(['ingress', 'install', '--replicas', '2']);
      assert.equal(replicas.code, 2, replicas.output);
      assert.match(replicas.stderr, /cannot run 2 replicas with its Let's Encrypt resolver/);
      assert.match(replicas.stderr, /cert-manager/);
      const noEmail = await bed.cli(['ingress', 'install'], { env: { ACME_EMAIL: '' } });
      assert.equal(noEmail.code, 2, noEmail.output);
      assert.match(noEmail.stderr, /ACME_EMAIL is not set/);
      assert.deepEqual(
        bed.sim.requests.filter((r) => MUTATING.test(r.method)),
        [],
      );
    });
  });

  test('a dry run against the cluster reads the chart and the cluster and changes nothing', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      const result = await bed.cli(['ingress', 'install', '--dry-run']);
      assert.equal(result.code, 0, result.output);
      // The namespace is missing: one POST would create it.
      assert.match(
        result.output,
        /\[dry run\] would run: kubectl create --raw '\/api\/v1\/namespaces\?fieldValidation=Strict'/,
      );
      assert.match(result.output, /Would apply Traefik's CRDs \(server-side\): 2 definitions/);
      assert.match(
        result.output,
        /\[dry run\] would run: helm upgrade --install traefik oci:\/\/localhost:\d+\/traefik\/helm\/traefik --version 41\.3\.0 --plain-http --skip-crds/,
      );
      assert.match(result.output, /\[dry run\] would wait: kubectl wait service\/traefik/);
      assert.match(result.output, /Dry run done: nothing was changed/);
      assert.deepEqual(
        bed.sim.requests.filter((r) => MUTATING.test(r.method)),
        [],
      );
    });
  });

  test('status says so when Traefik is not installed (exit 1)', async (t) => {
    if (!registry) return t.skip(skip);
    await withBed(async (bed) => {
      const result = await bed.cli(['ingress', 'status']);
      assert.equal(result.code, 1, result.output);
      assert.match(result.stderr, /Traefik is not installed .* Install it: npx tsx tasks\.ts ingress install/s);
    });
  });
});

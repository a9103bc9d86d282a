/**
 * The plan of `ingress install`, from configuration alone (pure): which chart at which version, the values file and
 * the values set from configuration, the Let's Encrypt CA, and the hosts whose DNS records it prints. Refuses, before
 * anything runs, what cannot work: more than one replica sharing acme.json, an ACME email that is missing.
 */
import path from 'node:path';
import type { ChartSource } from '../../helm.ts';
import { isLoopbackOci } from '../../helm.ts';
import type { Config } from '../../lib/config.ts';
import { UsageError } from '../../lib/errors.ts';
import { parseDuration } from '../../lib/duration.ts';

/**
 * The pinned chart: traefik-helm-chart 41.3.0 (released 2026-08-19, Traefik v3.7.11, Kubernetes ≥ 1.25), read in
 * traefik/traefik-helm-chart `traefik/Chart.yaml` at commit a8a66d0. Raise both together, after reading the chart's
 * Changelog.md for renamed values (41.0.0 renamed `logs.*`).
 */
export const TRAEFIK = {
  release: 'traefik',
  namespace: 'traefik',
  chartName: 'traefik',
  chartVersion: '41.3.0',
  appVersion: 'v3.7.11',
  service: 'traefik',
  valuesFile: 'k8s/addons/traefik/values.yaml',
  resolver: 'letsencrypt',
} as const;

export const LETSENCRYPT = {
  staging: 'https://acme-staging-v02.api.letsencrypt.org/directory',
  production: 'https://acme-v02.api.letsencrypt.org/directory',
} as const;

/** One file per CA: switching a file's CA would keep serving the old CA's certificates until they expire. */
export const ACME_STORAGE = { staging: '/data/acme-staging.json', production: '/data/acme.json' } as const;

/** The hosts k8s/wpp-bot/60-ingress.yaml routes: the API and the dashboard, under your DOMAIN. */
export const INGRESS_HOST_PREFIXES = ['api', 'dashboard'] as const;

export const DEFAULT_INGRESS_TIMEOUT_MS = 10 * 60_000;

/** api.<domain> and dashboard.<domain>; none without a domain. */
export function ingressHosts(domain: string | undefined): string[] {
  return domain ? INGRESS_HOST_PREFIXES.map((prefix) => `${prefix}.${domain}`) : [];
}

export interface IngressPlan {
  source: ChartSource;
  /** Absolute path of the values file. */
  valuesFile: string;
  setString: Record<string, string>;
  production: boolean;
  /** Undefined only in a dry run (which says what is missing). */
  email?: string;
  hosts: string[];
  timeoutMs: number;
  /** Things a dry run lets pass that a real run refuses. */
  warnings: string[];
}

export interface IngressOptions {
  production: boolean;
  replicas?: string;
  timeout?: string;
}

const ACME_KEY = `certificatesResolvers.${TRAEFIK.resolver}.acme`;

export function planIngress(config: Config, options: IngressOptions): IngressPlan {
  const replicas = options.replicas === undefined ? 1 : Number(options.replicas);
  if (!Number.isInteger(replicas) || replicas < 1)
    throw new UsageError(`--replicas must be a whole number ≥ 1, got "${options.replicas}".`);
  if (replicas > 1) {
    throw new UsageError(
      `Traefik cannot run ${replicas} replicas with its Let's Encrypt resolver: the certificates live in one acme.json on a ` +
        'ReadWriteOnce volume, which a second replica can neither mount nor safely share (they would renew and overwrite ' +
        "each other's file).",
      'Keep one replica (a restart takes seconds), or move certificates to cert-manager, which stores them in Secrets ' +
        'every replica can read: see README, "Ingress and TLS".',
    );
  }
  const timeoutMs = options.timeout === undefined ? DEFAULT_INGRESS_TIMEOUT_MS : parseDuration(options.timeout);
  if (timeoutMs === undefined)
    throw new UsageError(`--timeout expects a duration such as 5m or 1h, got "${options.timeout}".`);

  const warnings: string[] = [];
  const email = config.addons.acmeEmail;
  if (!email) {
    const missing = "ACME_EMAIL is not set: Let's Encrypt needs an address to write to about your certificates.";
    if (!config.dryRun) throw new UsageError(missing, 'Set ACME_EMAIL in .env or the environment (see .env.example).');
    warnings.push(`${missing} A real run refuses.`);
  }
  const domain = config.addons.domain;
  if (!domain) warnings.push('DOMAIN is not set: set it (e.g. DOMAIN=example.com) to see the DNS records to create.');
  const production = options.production || config.addons.letsencryptProduction;
  const ca = production ? 'production' : 'staging';
  return {
    source: {
      chart: config.addons.traefikChart,
      version: TRAEFIK.chartVersion,
      ...(isLoopbackOci(config.addons.traefikChart) ? { plainHttp: true } : {}),
    },
    valuesFile: path.join(config.repoRoot, TRAEFIK.valuesFile),
    setString: {
      [`${ACME_KEY}.email`]: email ?? '<ACME_EMAIL>',
      [`${ACME_KEY}.caServer`]: LETSENCRYPT[ca],
      [`${ACME_KEY}.storage`]: ACME_STORAGE[ca],
    },
    production,
    ...(email ? { email } : {}),
    hosts: ingressHosts(domain),
    timeoutMs,
    warnings,
  };
}

/** Which CA the installed values point at, for `ingress status`. */
export function caOf(values: Record<string, unknown>): 'staging' | 'production' | 'other' | 'none' {
  const resolvers = values['certificatesResolvers'] as Record<string, { acme?: { caServer?: string } }> | undefined;
  const server = resolvers?.[TRAEFIK.resolver]?.acme?.caServer;
  if (server === undefined) return 'none';
  if (server === LETSENCRYPT.production) return 'production';
  if (server === LETSENCRYPT.staging) return 'staging';
  return 'other';
}

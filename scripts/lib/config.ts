/**
 * Configuration: one typed, validated, frozen object built once per run.
 *
 * Precedence, highest first: command-line flags > the real environment > `.env` > defaults. `.env` is parsed with
 * dotenv into a separate map — it never overrides (or even touches) the real environment, and children get exactly
 * the environment the runner gives them.
 *
 * CONFIG_KEYS is the single list of keys: validation, `.env.example` (checked by a test) and `doctor` read it.
 */
import path from 'node:path';
import { readEnvFile } from './envfile.ts';
import { ValidationError } from './errors.ts';
import type { SecretMasker } from './redact.ts';
import { durationProblem, parseDuration } from './duration.ts';
import { DNS_LABEL, isDnsLabel } from './names.ts';

export interface ConfigKey {
  key: string;
  description: string;
  /** Secrets are masked in all output and never written anywhere by deckhand. */
  secret?: boolean;
  default?: string;
  /** The global or command flag that overrides this key. */
  flag?: string;
  /** Returns what is expected when the value is invalid. */
  validate?: (value: string) => string | undefined;
}

/**
 * The image of the short-lived pod that copies files out of a PVC: busybox has `tar`, is about 1 MB, and runs as any
 * non-root user. Pinned by tag and by the digest of its multi-platform index, so the bytes cannot change under us.
 * Override with DECKHAND_HELPER_IMAGE (for a private mirror, say).
 */
export const DEFAULT_HELPER_IMAGE =
  'docker.io/library/busybox:1.37.0-musl@sha256:597bf7e5e8faf26b8efc4cb558eea5dc14d9cc97d5b4c8cdbe6404a7432d5a67';

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: 'IMAGE_REGISTRY',
    description: 'Registry host that images are pushed to and pulled from.',
    default: 'ghcr.io',
    validate: (value) =>
      /^[a-z0-9.-]+(:\d+)?$/i.test(value) ? undefined : 'a registry host such as ghcr.io or localhost:5000',
  },
  {
    key: 'IMAGE_OWNER',
    description: 'Your GitHub user or organisation: images are named <IMAGE_REGISTRY>/<IMAGE_OWNER>/<app>.',
    validate: (value) =>
      /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/.test(value)
        ? undefined
        : 'a lowercase name such as my-org',
  },
  {
    key: 'GITHUB_USER',
    description: 'User name for `docker login` to the registry. Defaults to IMAGE_OWNER.',
  },
  {
    key: 'GITHUB_TOKEN',
    description:
      'Token with write:packages for pushing to ghcr.io (and read:packages for the cluster to pull private images).',
    secret: true,
  },
  {
    key: 'REGISTRY_PULL_TOKEN',
    description:
      'Token the cluster uses to pull private images (read:packages only). When set, deploy creates an image pull secret. Kept apart from GITHUB_TOKEN so a push-capable token never lands in the cluster.',
    secret: true,
  },
  {
    key: 'REGISTRY_PULL_USER',
    description: 'User name for the image pull secret. Defaults to GITHUB_USER, then IMAGE_OWNER.',
  },
  {
    key: 'KUBECONFIG',
    description:
      "The kubeconfig file to use; several files separated by ':' are merged as kubectl does. Default: the one `tasks.ts kubeconfig` wrote, else ~/.kube/config.",
    flag: '--kubeconfig',
  },
  {
    key: 'DECKHAND_CONTEXT',
    description: "The kubeconfig context to use. Default: the kubeconfig's current-context (always passed explicitly).",
    flag: '--context',
  },
  {
    key: 'DECKHAND_NAMESPACE',
    description: "Namespace to deploy into instead of the app's own.",
    flag: '--namespace',
    validate: (value) => (isDnsLabel(value) ? undefined : `a DNS label (${DNS_LABEL.source}), at most 63 characters`),
  },
  {
    key: 'LINODE_TOKEN',
    description: 'Linode API token (Kubernetes and Volumes read/write) for terraform and kubeconfig retrieval.',
    secret: true,
  },
  {
    key: 'DECKHAND_ENV_DIR',
    description:
      'Folder holding .env and the app files (.env.caelundas, …), e.g. outside the repository. Read from the real environment only. Default: the project folder.',
  },
  {
    key: 'DECKHAND_TERRAFORM_DIR',
    description: 'Folder holding the terraform configuration (*.tf), relative to the project. Default: terraform/.',
  },
  {
    key: 'DECKHAND_STATE_ROOT',
    description:
      'Folder that holds .deckhand/ (the record of the cluster this project manages). Default: the project folder.',
  },
  {
    key: 'LINODE_API_URL',
    description: 'Base URL of the Linode API, for a proxy or a test server. Default: https://api.linode.com.',
    validate: (value) =>
      /^https?:\/\/[^\s]+$/.test(value) ? undefined : 'an http(s) URL such as https://api.linode.com',
  },
  {
    key: 'DECKHAND_JOB_TIMEOUT',
    description: 'How long `deploy` waits for a Job to finish before giving up (the Job keeps running).',
    default: '30m',
    flag: '--timeout',
    validate: durationProblem,
  },
  {
    key: 'DECKHAND_WATCH_RETRY',
    description:
      "How often a watch (a Job's, a roll-out's) may try in a row to get the API back after its connection dropped, and the first wait between tries (doubling, at most 15s): ATTEMPTS or ATTEMPTS,WAIT such as 8,1s.",
    default: '8,1s',
    validate: (value) =>
      parseWatchRetry(value) ? undefined : 'ATTEMPTS or ATTEMPTS,WAIT such as 8 or 8,1s (1 to 100 attempts)',
  },
  {
    key: 'DECKHAND_OUTPUT_DIR',
    description: 'Folder (relative to the project) that Job output is copied into, one subfolder per release.',
    default: 'output',
  },
  {
    key: 'DECKHAND_HELPER_IMAGE',
    description: 'Image of the short-lived pod that copies files out of a PVC. Must contain tar; pin it by digest.',
    default: DEFAULT_HELPER_IMAGE,
    validate: (value) =>
      /[:@]/.test(value) && !/:latest$/.test(value) ? undefined : 'an image pinned by tag or digest (not latest)',
  },
  {
    key: 'DOMAIN',
    description:
      'Your domain, e.g. example.com: the ingress serves api.<DOMAIN> and dashboard.<DOMAIN>, and `ingress` prints their DNS records.',
    validate: (value) =>
      DOMAIN_NAME.test(value) ? undefined : 'a domain name such as example.com (no scheme, no trailing dot)',
  },
  {
    key: 'ACME_EMAIL',
    description: "Email address Let's Encrypt writes to about the certificates Traefik requests (expiry, problems).",
    validate: (value) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? undefined : 'an email address'),
  },
  {
    key: 'LETSENCRYPT_PRODUCTION',
    description:
      "true: Traefik asks Let's Encrypt's production CA (trusted certificates, strict rate limits). Default false: the staging CA, whose certificates browsers do not trust, while you test.",
    default: 'false',
    flag: '--production',
    validate: (value) => (/^(true|false)$/.test(value) ? undefined : 'true or false'),
  },
  {
    key: 'DECKHAND_TRAEFIK_CHART',
    description:
      "Traefik's Helm chart (OCI reference), for a mirror. A chart on a loopback registry is read over plain HTTP.",
    default: 'oci://ghcr.io/traefik/helm/traefik',
    validate: (value) => (/^oci:\/\/[^\s]+$/.test(value) ? undefined : 'an oci:// chart reference'),
  },
  {
    key: 'DECKHAND_HEADLAMP_CHART_REPO',
    description: "Headlamp's Helm chart repository (the `headlamp` chart), for a mirror.",
    default: 'https://kubernetes-sigs.github.io/headlamp/',
    validate: (value) => (/^https?:\/\/[^\s]+$/.test(value) ? undefined : 'an http(s) URL of a chart repository'),
  },
  {
    key: 'DECKHAND_DNS_SERVERS',
    description:
      "DNS servers `ingress` asks whether your records point at the load balancer (comma-separated, host or host:port), e.g. your domain's own nameserver before the records have spread. Default: this machine's resolver.",
    validate: (value) =>
      value.split(',').every((server) => /^[\w.:[\]-]+$/.test(server.trim()))
        ? undefined
        : 'comma-separated addresses such as 1.1.1.1 or 127.0.0.1:5353',
  },
  {
    key: 'DECKHAND_BACKUP_DIR',
    description: 'Folder (relative to the project) that `db dump` writes database dumps into (mode 0700, files 0600).',
    default: 'backups',
  },
];

/** The keys whose values are secrets: masked everywhere, and withheld from every child's environment. */
export const SECRET_CONFIG_KEYS: readonly string[] = CONFIG_KEYS.filter((spec) => spec.secret).map((spec) => spec.key);
/** A DNS name of two or more labels: example.com, my-team.example.co.uk. */
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/i;

export interface GlobalFlags {
  dryRun: boolean;
  verbose: boolean;
  yes: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface WatchRetryPolicy {
  /** Connection attempts in a row (the first one included) before a watch gives up on the API. */
  readonly attempts: number;
  /** The wait before the third attempt (the second follows at once); it doubles up to 15 s. */
  readonly firstWaitMs: number;
}

/** `8` or `8,1s` or `3,0s` (tests: no waiting); undefined when it is neither. */
export function parseWatchRetry(text: string): WatchRetryPolicy | undefined {
  const match = /^(\d{1,3})(?:,(\d+)(ms|s))?$/.exec(text.trim());
  if (!match) return undefined;
  const attempts = Number(match[1]);
  if (attempts < 1 || attempts > 100) return undefined;
  const wait = match[2] === undefined ? 1000 : Number(match[2]) * (match[3] === 's' ? 1000 : 1);
  return { attempts, firstWaitMs: Math.min(wait, 15_000) };
}

export interface Config {
  readonly repoRoot: string;
  /** Where .env and the app env files are read from. */
  readonly envDir: string;
  readonly dryRun: boolean;
  readonly verbose: boolean;
  readonly yes: boolean;
  /** A person is at a terminal: prompts are allowed. False in CI and pipes. */
  readonly interactive: boolean;
  readonly kube: { readonly kubeconfig?: string; readonly context?: string; readonly namespace?: string };
  readonly image: { readonly registry: string; readonly owner?: string; readonly user?: string };
  readonly githubToken?: string;
  /** Read-only registry token for an image pull secret (never the push token). */
  readonly pullToken?: string;
  readonly pullUser?: string;
  readonly linodeToken?: string;
  readonly jobTimeoutMs: number;
  /** DECKHAND_WATCH_RETRY: reconnect attempts in a row, and the first wait between them. */
  readonly watchRetry: WatchRetryPolicy;
  readonly outputDir: string;
  /** The terraform configuration folder (absolute). */
  readonly terraformDir: string;
  /** The folder holding `.deckhand/` (the record of the managed cluster), absolute. */
  readonly stateRoot: string;
  /** `.deckhand/bin`: the pinned helm and kubectl of `tools install`, first on the PATH of every program deckhand runs. */
  readonly toolsDir: string;
  /** Base URL of the Linode API when not the public one (a proxy, a test server). */
  readonly linodeApiUrl?: string;
  readonly helperImage: string;
  /** The cluster add-ons: Traefik with Let's Encrypt, DNS checks, Headlamp. */
  readonly addons: {
    readonly domain?: string;
    readonly acmeEmail?: string;
    readonly letsencryptProduction: boolean;
    readonly traefikChart: string;
    readonly headlampChartRepo: string;
    /** Empty: this machine's resolver. */
    readonly dnsServers: readonly string[];
  };
  /** Where `db dump` writes (absolute). */
  readonly backupDir: string;
  /** The real environment of this run (tests inject their own). */
  readonly realEnv: Readonly<Record<string, string>>;
  /** The entries of `.env`, which never override the real environment. */
  readonly dotenv: Readonly<Record<string, string>>;
}

export interface LoadConfigOptions {
  repoRoot: string;
  flags: GlobalFlags;
  /** Values of command flags that map to config keys, e.g. { DECKHAND_JOB_TIMEOUT: '10m' }. */
  overrides?: Record<string, string | undefined>;
  env?: NodeJS.ProcessEnv;
  interactive: boolean;
  masker: SecretMasker;
}

export function loadConfig(options: LoadConfigOptions): Config {
  const realEnv = options.env ?? process.env;
  // DECKHAND_ENV_DIR can only come from the real environment: it says where .env is.
  const envDir = path.resolve(options.repoRoot, realEnv.DECKHAND_ENV_DIR?.trim() || '.');
  const fileEnv = readEnvFile(path.join(envDir, '.env'));
  const merged: Record<string, string> = { ...fileEnv, ...definedOnly(realEnv) };

  const flagValues: Record<string, string | undefined> = {
    KUBECONFIG: options.flags.kubeconfig,
    DECKHAND_CONTEXT: options.flags.context,
    DECKHAND_NAMESPACE: options.flags.namespace,
    ...options.overrides,
  };

  const resolved: Record<string, string | undefined> = {};
  const problems: string[] = [];
  for (const spec of CONFIG_KEYS) {
    const fromFlag = flagValues[spec.key];
    const value = nonEmpty(fromFlag) ?? nonEmpty(merged[spec.key]) ?? spec.default;
    if (spec.secret) options.masker.add(value);
    if (value !== undefined && spec.validate) {
      const expected = spec.validate(value);
      if (expected) {
        const source = nonEmpty(fromFlag) !== undefined ? spec.flag : spec.key;
        // A secret's value is never repeated, not even in an error.
        problems.push(`${source}: expected ${expected}${spec.secret ? '' : `, got "${value}"`}`);
      }
    }
    resolved[spec.key] = value;
  }
  if (problems.length > 0) {
    throw new ValidationError(
      'The configuration has problems:',
      problems,
      'Fix them in .env, the environment or the flags (see .env.example), then run again.',
    );
  }

  return Object.freeze({
    repoRoot: options.repoRoot,
    envDir,
    dryRun: options.flags.dryRun,
    verbose: options.flags.verbose,
    yes: options.flags.yes,
    interactive: options.interactive,
    kube: Object.freeze({
      kubeconfig: resolved.KUBECONFIG,
      context: resolved.DECKHAND_CONTEXT,
      namespace: resolved.DECKHAND_NAMESPACE,
    }),
    image: Object.freeze({
      registry: resolved.IMAGE_REGISTRY!,
      owner: resolved.IMAGE_OWNER,
      user: resolved.GITHUB_USER ?? resolved.IMAGE_OWNER,
    }),
    githubToken: resolved.GITHUB_TOKEN,
    pullToken: resolved.REGISTRY_PULL_TOKEN,
    pullUser: resolved.REGISTRY_PULL_USER ?? resolved.GITHUB_USER ?? resolved.IMAGE_OWNER,
    linodeToken: resolved.LINODE_TOKEN,
    jobTimeoutMs: parseDuration(resolved.DECKHAND_JOB_TIMEOUT!)!,
    watchRetry: parseWatchRetry(resolved.DECKHAND_WATCH_RETRY!)!,
    outputDir: path.resolve(options.repoRoot, resolved.DECKHAND_OUTPUT_DIR!),
    terraformDir: path.resolve(options.repoRoot, resolved.DECKHAND_TERRAFORM_DIR ?? 'terraform'),
    stateRoot: path.resolve(options.repoRoot, resolved.DECKHAND_STATE_ROOT ?? '.'),
    toolsDir: path.join(path.resolve(options.repoRoot, resolved.DECKHAND_STATE_ROOT ?? '.'), '.deckhand', 'bin'),
    linodeApiUrl: resolved.LINODE_API_URL,
    helperImage: resolved.DECKHAND_HELPER_IMAGE!,
    addons: Object.freeze({
      domain: resolved.DOMAIN?.toLowerCase(),
      acmeEmail: resolved.ACME_EMAIL,
      letsencryptProduction: resolved.LETSENCRYPT_PRODUCTION === 'true',
      traefikChart: resolved.DECKHAND_TRAEFIK_CHART!,
      headlampChartRepo: resolved.DECKHAND_HEADLAMP_CHART_REPO!,
      dnsServers: Object.freeze(
        (resolved.DECKHAND_DNS_SERVERS ?? '')
          .split(',')
          .map((server) => server.trim())
          .filter((server) => server !== ''),
      ),
    }),
    backupDir: path.resolve(options.repoRoot, resolved.DECKHAND_BACKUP_DIR!),
    realEnv: Object.freeze(definedOnly(realEnv)),
    dotenv: Object.freeze(fileEnv),
  });
}

/** CI=true (or any truthy CI) means no person is watching, even if a terminal is attached. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

export function isInteractiveSession(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !isCi(env);
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) result[key] = value;
  return result;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

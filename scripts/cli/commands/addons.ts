/** What a cluster needs around the apps, and how people reach inside it: the ingress, the databases, the dashboard. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const ingress = defineCommand({
  name: 'ingress',
  summary:
    "Install Traefik (pinned chart, Let's Encrypt TLS) and show its address, the DNS records to create and whether TLS is served",
  details: [
    "install applies the chart's CRDs (server-side), then installs or upgrades Traefik from its OCI chart at a pinned version",
    "with k8s/addons/traefik/values.yaml: HTTP redirected to HTTPS, a Let's Encrypt resolver with ACME_EMAIL, the staging CA",
    'until LETSENCRYPT_PRODUCTION=true (or --production), acme.json on a volume (0600), one replica. It waits for the',
    'NodeBalancer address, prints the DNS records for api.<DOMAIN> and dashboard.<DOMAIN>, checks whether they resolve to it',
    'and whether TLS is served. Re-running with the same version and values changes nothing. status shows all of it again.',
  ].join('\n'),
  args: [{ name: 'action', description: 'What to do', required: true, choices: ['install', 'status'] }],
  options: {
    production: {
      type: 'boolean',
      description: "Use Let's Encrypt's production CA (trusted certificates, strict rate limits) instead of staging.",
    },
    replicas: {
      type: 'string',
      valueName: 'n',
      description:
        'Traefik replicas (default 1). More than one cannot share acme.json: refused (see README, cert-manager).',
    },
    timeout: {
      type: 'string',
      valueName: 'duration',
      description: 'How long to wait for the rollout and the NodeBalancer address (default 10m).',
    },
  },
  examples: [
    deckhand('ingress', 'install', '--dry-run'),
    deckhand('ingress', 'install'),
    deckhand('ingress', 'install', '--production'),
    deckhand('ingress', 'status'),
  ],
});

export const db = defineCommand({
  name: 'db',
  summary:
    "Reach a service's database: a port-forward with a connection string, psql inside the pod, or a verified dump",
  details: [
    'connect forwards a free local port (never fails because 5432 is taken) to the Postgres pod and prints a connection',
    'string; the password only with --show-password (else where to read it). It stays until Ctrl-C, and when the pod',
    'restarts it says so and forwards again on the same port. psql opens psql inside the pod (your terminal passed',
    'through), or runs one statement with -c. dump streams pg_dump through exec without a terminal (binary-clean) into',
    'backups/ (0600), and checks it is non-empty and ends like a complete dump.',
  ].join('\n'),
  args: [
    { name: 'action', description: 'What to do', required: true, choices: ['connect', 'psql', 'dump'] },
    { name: 'app', description: 'The service app whose database to reach (see `apps`)', required: true },
  ],
  options: {
    'show-password': {
      type: 'boolean',
      description: 'connect: print the password in the connection string (it is read from the cluster Secret).',
    },
    port: {
      type: 'string',
      valueName: 'port',
      description: 'connect: local port to listen on (default: a free one the system picks).',
    },
    command: {
      type: 'string',
      short: 'c',
      valueName: 'sql',
      description: 'psql: run this one statement and exit (as psql -c).',
    },
  },
  examples: [
    deckhand('db', 'connect', 'wpp-bot'),
    deckhand('db', 'psql', 'wpp-bot'),
    deckhand('db', 'psql', 'wpp-bot', '-c', 'select count(*) from messages'),
    deckhand('db', 'dump', 'wpp-bot'),
  ],
});

export const dashboard = defineCommand({
  name: 'dashboard',
  summary: 'Install Headlamp (no cluster-admin binding) and issue short-lived, read-only tokens to log in to it',
  details: [
    "install installs Headlamp from its chart repository at a pinned version with its chart's cluster-admin binding off:",
    'Headlamp then acts with the token each person logs in with. token <app> creates (once) a ServiceAccount bound to the',
    "built-in view ClusterRole in the app's namespace only (no Secrets, no exec, nothing cluster-wide), issues a token with",
    'kubectl create token --duration (default 1h) and prints it alone on stdout, so it can be piped; how to reach the',
    'dashboard goes to stderr. --admin binds the admin role in that namespace instead, after a confirmation.',
  ].join('\n'),
  args: [
    { name: 'action', description: 'What to do', required: true, choices: ['install', 'token'] },
    { name: 'app', description: 'token: the app whose namespace the token may view (see `apps`)', required: false },
  ],
  options: {
    duration: {
      type: 'string',
      valueName: 'duration',
      description: 'token: how long the token is valid (default 1h, at least 10m; the cluster may shorten it).',
    },
    admin: {
      type: 'boolean',
      description: "token: full control of the app's namespace (Secrets, exec, deletes) instead of view. Asks first.",
    },
  },
  examples: [
    deckhand('dashboard', 'install'),
    deckhand('dashboard', 'token', 'wpp-bot'),
    `${deckhand('dashboard', 'token', 'wpp-bot', '--duration', '30m')} | pbcopy`,
  ],
});

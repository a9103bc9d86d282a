/**
 * `db connect <app>`: a port-forward from a free loopback port to the database pod, a connection string to paste into
 * psql or a GUI client, and a session that lasts until Ctrl-C. kubectl's port-forward never recovers once its pod
 * goes away (kubernetes/kubectl #686: it prints "lost connection to pod" and exits), so deckhand says so, waits for the
 * next ready pod and forwards the same local port again: the client reconnects to the address it already has.
 */
import type { CommandContext } from '../../cli/context.ts';
import * as kubectl from '../../kubectl.ts';
import { UsageError } from '../../lib/errors.ts';
import { revealLine } from '../../lib/reveal.ts';
import type { Runner } from '../../lib/shell.ts';
import { commandFailure } from '../../lib/shell.ts';
import type { KubeTarget } from '../../lib/target.ts';
import { resolveAddonTarget } from '../cluster/addon-target.ts';
import { servingPod, waitForServingPod, type DatabaseApp } from './db-pod.ts';

/** A session is ended by Ctrl-C; this bound only keeps a forgotten one from running for ever. */
const SESSION_TIMEOUT_MS = 24 * 3_600_000;
/** How long a lost pod gets to come back (a restart pulls nothing: the image is on the node). */
const RECONNECT_WAIT_MS = 5 * 60_000;
const FIRST_WAIT_MS = 60_000;

type ConnectContext = Pick<CommandContext, 'config' | 'shell' | 'ui' | 'masker' | 'resolveTarget'>;

export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new UsageError(`--port expects a port number (1-65535), got "${text}".`);
  return port;
}

/** `postgresql://user[:password]@127.0.0.1:port/db`, each part encoded as URLs need. */
export function connectionUrl(database: DatabaseApp['database'], port: number, password?: string): string {
  const credentials =
    encodeURIComponent(database.user) + (password === undefined ? '' : `:${encodeURIComponent(password)}`);
  return `postgresql://${credentials}@127.0.0.1:${port}/${encodeURIComponent(database.name)}`;
}

/** The password from the app's Secret in the cluster (the truth, whatever .env says), registered with the masker. */
async function readPassword(ctx: ConnectContext, app: DatabaseApp, target: KubeTarget): Promise<string | undefined> {
  const secret = await kubectl.getByPath(
    ctx.shell,
    target,
    kubectl.corePath('secrets', app.secret.name, target.namespace),
  );
  const encoded = secret?.data?.[app.database.passwordKey];
  if (encoded === undefined) return undefined;
  const password = Buffer.from(encoded, 'base64').toString('utf8');
  ctx.masker.add(password);
  return password;
}

export async function connectDatabase(
  ctx: ConnectContext,
  app: DatabaseApp,
  options: { showPassword: boolean; port?: string },
): Promise<void> {
  const requestedPort = parsePort(options.port);
  const cluster = await resolveAddonTarget(ctx, app.namespace, { forWrite: false });
  const { target } = cluster;
  const { database } = app;
  ctx.ui.info(cluster.banner);
  const log = (line: string) => ctx.ui.info(line);
  const shell = ctx.shell.withLog(log);
  if (ctx.config.dryRun) {
    const pod = cluster.reachable ? await servingPod(shell, target, target.namespace, database) : undefined;
    await forward(shell, target, pod ?? '<database pod>', database.port, requestedPort, () => undefined);
    ctx.ui.success('Dry run done: nothing was opened.');
    return;
  }
  const password = options.showPassword ? await readPassword(ctx, app, target) : undefined;
  if (options.showPassword && password === undefined)
    ctx.ui.warn(`The Secret ${app.secret.name} has no ${database.passwordKey}: the connection string has no password.`);

  let pod = await waitForServingPod(shell, target, target.namespace, database, FIRST_WAIT_MS);
  let localPort = requestedPort;
  for (let attempt = 0; ; attempt += 1) {
    const again = attempt > 0;
    const session = await forward(shell, target, pod, database.port, localPort, (port) => {
      if (again) {
        ctx.ui.success(
          `Forwarding 127.0.0.1:${port} → ${pod}:${database.port} again. Reconnect your client to the same address.`,
        );
        return;
      }
      ctx.ui.info(
        `Forwarding 127.0.0.1:${port} → pod ${pod} port ${database.port} (namespace ${target.namespace}). Ctrl-C ends it.`,
      );
      if (password !== undefined) revealLine(2, `  ${connectionUrl(database, port, password)}`);
      else {
        ctx.ui.info(`  ${connectionUrl(database, port)}`);
        ctx.ui.info(
          `  The password is ${database.passwordKey} in .env.${app.name} (or your environment); psql reads it from PGPASSWORD:`,
        );
        ctx.ui.info(`    PGPASSWORD="$${database.passwordKey}" psql "${connectionUrl(database, port)}"`);
        ctx.ui.info('  Or run again with --show-password to see it here.');
      }
    });
    const ending = kubectl.portForwardEnding(session.stderr);
    if (ending === 'port-taken') {
      if (session.port === undefined && requestedPort !== undefined && !again)
        throw new UsageError(
          `127.0.0.1:${requestedPort} is taken by another program.`,
          'Leave out --port: a free port is then chosen for you.',
        );
      ctx.ui.warn(`127.0.0.1:${localPort} was taken while the pod restarted: forwarding a new free port instead.`);
      localPort = undefined;
      continue;
    }
    if (ending !== 'pod-gone')
      throw commandFailure(shell, session.result, 'Run it again with --verbose to see every command.');
    localPort = session.port ?? localPort;
    ctx.ui.warn(
      `Lost the connection to pod ${pod} (it restarted or was deleted); connections through 127.0.0.1:${localPort ?? '?'} were dropped. Waiting for the database to be ready again…`,
    );
    pod = await waitForServingPod(shell, target, target.namespace, database, RECONNECT_WAIT_MS);
  }
}

interface ForwardSession {
  /** The local port kubectl listened on, once it said so. */
  port: number | undefined;
  stderr: string;
  result: Awaited<ReturnType<Runner['run']>>;
}

/** One `kubectl port-forward`, until it ends (an interruption throws). `onReady` gets the local port. */
async function forward(
  shell: Runner,
  target: KubeTarget,
  pod: string,
  remotePort: number,
  localPort: number | undefined,
  onReady: (port: number) => void,
): Promise<ForwardSession> {
  let port: number | undefined;
  const result = await shell.run(
    kubectl.portForwardArgs(target, target.namespace, `pod/${pod}`, remotePort, localPort),
    {
      // A session, not a read: a dry run shows it instead of opening it.
      kind: 'write',
      nothrow: true,
      timeoutMs: SESSION_TIMEOUT_MS,
      onStdoutLine: (line) => {
        const listening = kubectl.parseForwardingLine(line);
        if (listening !== undefined && port === undefined) {
          port = listening;
          onReady(listening);
        }
      },
    },
  );
  return { port, stderr: result.stderr, result };
}

/**
 * wpp-bot sample: an HTTP service on PORT with health endpoints and a small message API stored in Postgres. It stands
 * in for a real WhatsApp bot; applications/README.md says what to replace. Exit codes: 0 after a clean shutdown, 1 when
 * it cannot start, 2 for bad settings.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readConfig } from './config.ts';
import { createDatabase } from './database.ts';
import { createLogger } from './log.ts';
import { createHandler } from './routes.ts';

/** Kubernetes waits terminationGracePeriodSeconds (30 s) after SIGTERM before it kills the pod: finish well before. */
const SHUTDOWN_DEADLINE_MS = 20_000;

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const settings = readConfig(process.env);
if (!settings.ok) {
  const log = createLogger('info');
  for (const error of settings.errors) log.error(error);
  log.error('wpp-bot did not start: fix the settings above (ConfigMap wpp-bot-config, Secret wpp-bot-secret).');
  process.exit(2);
}
const { config } = settings;
const log = createLogger(config.logLevel);

try {
  // The real bot keeps its WhatsApp session and media here; creating them now proves the volume is writable.
  await mkdir(config.authInfoDir, { recursive: true });
  await mkdir(config.cacheDir, { recursive: true });
} catch (error) {
  log.error('the data folders cannot be created', { error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

const db = createDatabase(config.postgres, log);
let shuttingDown = false;
const server = createServer(
  createHandler({
    db,
    log,
    jwtSecret: config.jwtSecret,
    corsOrigin: config.corsOrigin,
    isShuttingDown: () => shuttingDown,
  }),
);

server.once('error', (error) => {
  log.error('the HTTP server failed', { error: error.message });
  process.exit(1);
});
server.listen(config.port, () => {
  const { port } = server.address() as AddressInfo;
  log.info('listening', {
    port,
    version,
    database: `${config.postgres.user}@${config.postgres.host}:${config.postgres.port}/${config.postgres.database}`,
    textToSpeech: config.elevenLabsApiKey ? 'ElevenLabs key set' : 'no ElevenLabs key',
  });
  // Not waited for: readiness keeps trying, and the first log lines already say whether Postgres answers.
  void db.readiness();
});

async function shutDown(signal: string): Promise<void> {
  shuttingDown = true;
  // Stops accepting connections at once; the callback runs when the requests under way have been answered.
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  log.info('shutting down: no new connections, finishing the requests under way', { signal });
  const deadline = setTimeout(() => {
    log.warn(`requests still open after ${SHUTDOWN_DEADLINE_MS / 1000} s: closing them`);
    server.closeAllConnections();
  }, SHUTDOWN_DEADLINE_MS);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  await db.close();
  log.info('stopped');
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutDown(signal).catch((error: unknown) => {
      log.error('shutdown failed', { error: error instanceof Error ? error.message : String(error) });
      process.exitCode = 1;
    });
  });
}

/** Postgres through a small connection pool: readiness, the schema and the messages table. */
import pg from 'pg';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';

export interface Message {
  id: number;
  sender: string;
  text: string;
  receivedAt: string;
}

export type Readiness = { ready: true } | { ready: false; reason: string };

export interface Database {
  /** Ready means: the schema is in place and Postgres answers a query now. */
  readiness(): Promise<Readiness>;
  addMessage(sender: string, text: string): Promise<Message>;
  recentMessages(limit: number): Promise<Message[]>;
  /** Waits for the queries under way, then closes every connection. */
  close(): Promise<void>;
}

/** Below the readiness probe's 3 s timeout, so a slow database gives a clear 503 instead of a probe time-out. */
const CONNECT_TIMEOUT_MS = 2_000;
const QUERY_TIMEOUT_MS = 2_500;

// Created at start-up when missing, so a fresh database needs no separate migration step. A real app with a
// changing schema would use a migration tool instead.
const CREATE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS messages (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sender text NOT NULL CHECK (length(sender) BETWEEN 1 AND 100),
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
    received_at timestamptz NOT NULL DEFAULT now()
  )`;

export function createDatabase(settings: Config['postgres'], log: Logger): Database {
  const pool = new pg.Pool({
    ...settings,
    max: 5,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    // Shows in pg_stat_activity, so a DBA can tell whose connections these are.
    application_name: 'wpp-bot',
  });
  // A pooled connection that breaks while idle (Postgres restarted) is reported here. Without a listener the
  // 'error' event would crash the process; the next query simply opens a new connection.
  pool.on('error', (error) => log.warn('an idle database connection was closed', { reason: describeError(error) }));

  let schema: Promise<void> | undefined;
  const ensureSchema = (): Promise<void> => {
    schema ??= pool.query(CREATE_SCHEMA).then(
      () => log.info('database schema is ready'),
      (error: unknown) => {
        schema = undefined; // try again on the next readiness check
        throw error;
      },
    );
    return schema;
  };

  let lastReadiness: string | undefined;
  return {
    async readiness() {
      let result: Readiness;
      try {
        await ensureSchema();
        await pool.query('SELECT 1');
        result = { ready: true };
      } catch (error) {
        result = { ready: false, reason: describeError(error) };
      }
      // Probes ask every few seconds: log only the changes.
      const summary = result.ready ? 'ready' : result.reason;
      if (summary !== lastReadiness) {
        if (result.ready) log.info('database is reachable');
        else log.warn('database is not usable', { reason: result.reason });
        lastReadiness = summary;
      }
      return result;
    },

    async addMessage(sender, text) {
      await ensureSchema();
      const { rows } = await pool.query<Message>(
        'INSERT INTO messages (sender, text) VALUES ($1, $2) RETURNING id, sender, text, received_at AS "receivedAt"',
        [sender, text],
      );
      return serialise(rows[0]!);
    },

    async recentMessages(limit) {
      await ensureSchema();
      const { rows } = await pool.query<Message>(
        'SELECT id, sender, text, received_at AS "receivedAt" FROM messages ORDER BY id DESC LIMIT $1',
        [limit],
      );
      return rows.map(serialise);
    },

    close: () => pool.end(),
  };
}

/** pg returns timestamptz as a Date; the API sends ISO strings. */
function serialise(row: Message): Message {
  return { ...row, receivedAt: new Date(row.receivedAt).toISOString() };
}

/** A short reason for the readiness answer and the logs. pg's messages name the user at most, never the password. */
export function describeError(error: unknown): string {
  const code = errorCode(error);
  switch (code) {
    case '28P01':
    case '28000':
      return 'the database refused the user name or password';
    case '3D000':
      return 'the database does not exist (yet)';
    case '57P03':
      return 'the database is starting up';
    case '57P01':
      return 'the database is shutting down';
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the database is unreachable (${code})`;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout/i.test(message)) return 'the database did not answer in time';
  return `database error${code ? ` ${code}` : ''}`;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if ('code' in error && typeof error.code === 'string') return error.code;
  // Connecting to a name with several addresses fails with an AggregateError of one error per address.
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}

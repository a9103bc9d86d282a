import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

const execFileAsync = promisify(execFile);

describe('test bed: a real PostgreSQL on loopback', () => {
  let pg: TestPostgres | undefined;
  let skip: string | undefined;
  before(async () => {
    const started = await startPostgres({ user: 'wppbot', database: 'wppbot' });
    if ('skip' in started) skip = started.skip;
    else pg = started;
  });
  after(async () => pg?.stop());

  it('answers psql with the password, and refuses a wrong one', async (t) => {
    if (!pg) return t.skip(skip);
    const psql = path.join(pg.binDir, 'psql');
    const ok = await execFileAsync(psql, ['-XAtc', 'select current_user, current_database()'], {
      env: { ...process.env, ...pg.clientEnv },
    });
    assert.equal(ok.stdout.trim(), 'wppbot|wppbot');
    await assert.rejects(
      execFileAsync(psql, ['-XAtc', 'select 1'], { env: { ...process.env, ...pg.clientEnv, PGPASSWORD: 'wrong' } }),
      /password authentication failed/,
    );
  });
});

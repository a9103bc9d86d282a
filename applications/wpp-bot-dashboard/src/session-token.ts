/**
 * Prints a session token for an operator to sign in to the dashboard with. Run it where JWT_SECRET is set, e.g.
 *   kubectl -n wpp-bot exec deploy/dashboard -- node src/session-token.ts --name alice --hours 12
 * The token is a credential: hand it over privately, and let it expire.
 */
import { parseArgs } from 'node:util';
import { signSessionToken } from './session.ts';

const MAX_HOURS = 24 * 7;

const { values } = parseArgs({
  options: { name: { type: 'string', default: 'operator' }, hours: { type: 'string', default: '12' } },
});
const secret = process.env.JWT_SECRET ?? '';
const hours = Number(values.hours);
if (secret.length < 32) {
  console.error(
    'session-token: JWT_SECRET is not set (or shorter than 32 characters); run this where the dashboard runs.',
  );
  process.exitCode = 2;
} else if (!Number.isFinite(hours) || hours <= 0 || hours > MAX_HOURS) {
  console.error(`session-token: --hours must be a number above 0 and at most ${MAX_HOURS}.`);
  process.exitCode = 2;
} else {
  console.log(signSessionToken(secret, values.name, new Date(Date.now() + hours * 3_600_000)));
}

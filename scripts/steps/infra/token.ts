/**
 * The Linode token: TF_VAR_linode_token from the environment, LINODE_TOKEN (environment, then .env),
 * TF_VAR_linode_token from .env, and last a masked prompt on a terminal. Whatever the source, the value is registered
 * with the masker before anything can print it.
 */
import type { Config } from '../../lib/config.ts';
import type { Prompter } from '../../lib/prompts.ts';
import type { SecretMasker } from '../../lib/redact.ts';
import { TOKEN_URL } from '../../linode.ts';

interface TokenSources {
  config: Pick<Config, 'realEnv' | 'dotenv' | 'linodeToken'>;
  masker: SecretMasker;
}

export async function resolveToken(ctx: TokenSources & { prompter: Prompter }, purpose: string): Promise<string> {
  const found = findToken(ctx);
  if (found) return found;
  const typed = await ctx.prompter.password(
    {
      message: `Linode API token (${purpose}; input hidden):`,
      validate: (value) => (value.trim() ? true : 'The token cannot be empty.'),
    },
    {
      what: 'LINODE_TOKEN',
      howToProvide: `set LINODE_TOKEN in .env or the environment (a personal access token from ${TOKEN_URL}), or run on a terminal to be asked`,
    },
  );
  const token = typed.trim();
  ctx.masker.add(token);
  return token;
}

/** The token from the environment or .env, without asking; registered with the masker. */
export function findToken(ctx: TokenSources): string | undefined {
  const { config } = ctx;
  const found =
    nonEmpty(config.realEnv.TF_VAR_linode_token) ??
    nonEmpty(config.linodeToken) ??
    nonEmpty(config.dotenv.TF_VAR_linode_token);
  ctx.masker.add(found);
  return found;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() ? value.trim() : undefined;
}

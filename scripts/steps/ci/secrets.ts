/**
 * `ci secrets [--set]`: the secrets the GitHub Actions workflows need, where deckhand finds each value on this machine,
 * whether the GitHub environment has it already — and, with --set, setting them through the GitHub CLI.
 *
 * With --set, everything is checked before anything is set, like every deckhand command that changes something: a
 * value that is invalid, or a required secret with no value here and none on GitHub, stops the run with exit 2 and
 * nothing set (the message says how to provide each). Optional secrets without a value, and required ones GitHub
 * already has, are left as they are. Then one confirmation (or --yes) and one `gh secret set` per value, the value on
 * stdin.
 */
import * as gh from '../../gh.ts';
import * as git from '../../git.ts';
import type { ci } from '../../cli/commands/ci.ts';
import type { CommandContext } from '../../cli/context.ts';
import { DeckhandError, InterruptedError, MissingInputError, UsageError, ValidationError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { displayCommand } from '../../lib/quote.ts';
import { probeTool } from '../checks/tools.ts';
import { chooseKubeconfig, findLocalValues } from './local-values.ts';
import { renderReport, type SecretRow, type SecretsView } from './secrets-view.ts';
import { environmentsOf, loadWorkflowSecrets, type WorkflowSecret } from './workflow-secrets.ts';

type CiContext = CommandContext<typeof ci>;

export async function runCiSecrets(ctx: CiContext): Promise<void> {
  const { options } = ctx.invocation;
  const secrets = loadWorkflowSecrets(ctx.config.repoRoot);
  const environment = chooseEnvironment(secrets, options.env);
  const inScope = secrets.filter((secret) => secret.uses.some((use) => use.environment === environment));
  for (const secret of secrets.filter((candidate) => !inScope.includes(candidate))) {
    const jobs = secret.uses.map((use) => `${use.workflow} job ${use.job}`).join(', ');
    ctx.ui.warn(`${secret.name} is used outside environment "${environment}" (${jobs}): set it there by hand.`);
  }
  const repo = await resolveRepo(ctx, options.repo);
  const flags = { kubeconfig: ctx.invocation.flags.kubeconfig, context: ctx.invocation.flags.context };
  const locals = await findLocalValues(
    { config: ctx.config, masker: ctx.masker, shell: ctx.shell, flags },
    inScope.map((secret) => secret.name),
  );
  if (options.set) rejectInvalid(inScope.map((secret) => ({ secret, local: locals.get(secret.name)! })));
  // With --set (for real) gh must work; otherwise what gh cannot tell is shown as "?" with the reason.
  const strict = options.set && !ctx.config.dryRun;
  const onGitHub = await readGitHub(ctx, repo, environment, strict);
  const rows: SecretRow[] = inScope.map((secret) => ({
    secret,
    local: locals.get(secret.name)!,
    ...(onGitHub.names ? { onGitHub: onGitHub.names.has(secret.name) } : {}),
  }));
  const view: SecretsView = {
    environment,
    ...(repo ? { repo } : {}),
    rows,
    kubeconfig: chooseKubeconfig({ config: ctx.config, masker: ctx.masker, shell: ctx.shell, flags }),
    given: { env: options.env, repo: options.repo },
  };
  if (onGitHub.note) ctx.ui.warn(onGitHub.note);
  if (!options.set) {
    ctx.ui.data(renderReport(view));
    return;
  }
  await setSecrets(ctx, view, repo);
}

/** The environment whose secrets to show or set: --env, else the one environment the jobs using secrets run in. */
export function chooseEnvironment(secrets: readonly WorkflowSecret[], given: string | undefined): string {
  const environments = environmentsOf(secrets);
  if (given) {
    if (!environments.includes(given)) {
      throw new UsageError(
        `No workflow job that uses secrets runs in environment "${given}".`,
        `Environments the workflows use: ${environments.filter(Boolean).join(', ') || 'none'}.`,
      );
    }
    return given;
  }
  const named = environments.filter((name): name is string => name !== undefined);
  if (named.length === 1) return named[0]!;
  throw new UsageError(
    named.length === 0
      ? 'The workflows use no environment secrets (no job that uses secrets has an `environment:`).'
      : `The workflows use secrets in several environments (${named.join(', ')}).`,
    named.length === 0 ? 'Set repository secrets by hand: gh secret set NAME.' : 'Choose one with --env NAME.',
  );
}

/** --repo, else GH_REPO (gh's own variable), else the origin remote; gh always gets it as --repo. */
async function resolveRepo(ctx: CiContext, given: string | undefined): Promise<gh.GitHubRepo | undefined> {
  if (given) {
    const repo = gh.parseRepo(given);
    if (!repo) throw new UsageError(`--repo "${given}" is not OWNER/NAME (or HOST/OWNER/NAME).`);
    return repo;
  }
  const fromEnvironment = ctx.config.realEnv.GH_REPO;
  if (fromEnvironment) {
    const repo = gh.parseRepo(fromEnvironment);
    if (!repo) throw new UsageError(`GH_REPO "${fromEnvironment}" is not OWNER/NAME (or HOST/OWNER/NAME).`);
    return repo;
  }
  const remote = await ctx.shell.run(git.remoteUrlArgs(), { kind: 'read', cwd: ctx.config.repoRoot, nothrow: true });
  return remote.exitCode === 0 ? gh.repoFromRemote(remote.stdout) : undefined;
}

interface GitHubState {
  /** The environment's secret names; undefined when gh could not tell. */
  names?: Set<string>;
  /** Why not, when it could not. */
  note?: string;
}

async function readGitHub(
  ctx: CiContext,
  repo: gh.GitHubRepo | undefined,
  environment: string,
  strict: boolean,
): Promise<GitHubState> {
  const unknown = (error: DeckhandError): GitHubState => {
    if (strict) throw error;
    return { note: `${error.message}${error.fix ? ` ${error.fix}` : ''}` };
  };
  const probe = await probeTool(ctx.shell, 'gh');
  if (!probe.found) {
    return unknown(
      new DeckhandError(
        `The GitHub CLI (gh) is not available (${probe.reason}): deckhand cannot tell which secrets GitHub has${strict ? ', nor set them' : ''}.`,
        `Install it from ${gh.INSTALL_URL} (Debian/Ubuntu: apt install gh), then log in with \`gh auth login\`. Without it, \`${deckhand('ci', 'secrets')}\` prints the commands to set each secret by hand.`,
      ),
    );
  }
  if (!repo) {
    const error = new UsageError(
      'Which repository? There is no --repo, no GH_REPO, and no origin remote deckhand understands.',
      'Pass --repo OWNER/NAME.',
    );
    if (strict) throw error;
    return { note: `${error.message} ${error.fix}` };
  }
  const host = gh.repoHost(repo, ctx.config.realEnv);
  const auth = await gh.authStatus(ctx.shell, host);
  if (!auth.loggedIn) {
    return unknown(
      new DeckhandError(
        `gh is not logged in to ${host}: ${auth.reason}`,
        `Log in with \`gh auth login${host === gh.DEFAULT_HOST ? '' : ` --hostname ${host}`}\` (or set GH_TOKEN), then run again.`,
      ),
    );
  }
  try {
    return { names: new Set(await gh.listSecrets(ctx.shell, { repo, environment })) };
  } catch (error) {
    if (error instanceof DeckhandError) return unknown(error);
    throw error;
  }
}

async function setSecrets(ctx: CiContext, view: SecretsView, repo: gh.GitHubRepo | undefined): Promise<void> {
  if (!repo) throw new UsageError('Which repository? Pass --repo OWNER/NAME.');
  const target: gh.SecretsTarget = { repo, environment: view.environment };
  const byHand = (name: string) => displayCommand(gh.secretSetArgs(target, name));

  const lacking = view.rows.filter(
    (row) => !row.secret.optional && row.local.status === 'missing' && row.onGitHub !== true,
  );
  const items = lacking.map((row) => ({
    name: row.secret.name,
    howToProvide: `${row.local.status === 'missing' ? row.local.howToProvide : ''}; or set it by hand: ${byHand(row.secret.name)}`,
  }));
  if (lacking.length > 0 && !ctx.config.dryRun) {
    throw new MissingInputError(
      `The workflows need ${lacking.length === 1 ? 'a secret' : `${lacking.length} secrets`} that ${lacking.length === 1 ? 'has' : 'have'} no value here and none on GitHub (nothing was set):`,
      items,
    );
  }
  for (const item of ctx.config.dryRun ? items : [])
    ctx.ui.warn(`A real run stops here: ${item.name} has no value (${item.howToProvide}).`);
  for (const row of view.rows) {
    if (row.local.status !== 'missing') continue;
    if (row.secret.optional) ctx.ui.info(`${row.secret.name} (optional): no value here — left as it is on GitHub.`);
    else if (row.onGitHub) ctx.ui.info(`${row.secret.name}: no value here; GitHub has one — left as it is.`);
  }

  const toSet = view.rows.flatMap((row) =>
    row.local.status === 'found' ? [{ name: row.secret.name, value: row.local.value, source: row.local.source }] : [],
  );
  if (toSet.length === 0) {
    ctx.ui.success('Nothing to set: no value for these secrets was found here.');
    return;
  }
  const what = `${toSet.length === 1 ? '1 secret' : `${toSet.length} secrets`} in environment ${view.environment} of ${gh.repoName(repo)}`;
  const names = toSet.map((secret) => secret.name).join(', ');
  await confirm(ctx, `This sets ${what}, overwriting existing values: ${names}.`);

  ctx.ui.info(`Setting ${what} (${names}); each value goes to gh on standard input.`);
  const done: string[] = [];
  for (const secret of toSet) {
    try {
      await gh.setSecret(ctx.shell, target, secret.name, secret.value);
    } catch (error) {
      const left = toSet.slice(done.length).map((entry) => entry.name);
      ctx.ui.warn(`Set: ${done.join(', ') || 'none'}. Not set: ${left.join(', ')}.`);
      throw error;
    }
    done.push(secret.name);
    if (!ctx.config.dryRun) ctx.ui.success(`${secret.name} set (value from ${secret.source})`);
  }
  if (ctx.config.dryRun) ctx.ui.success('Dry run done: nothing was changed.');
  else ctx.ui.success(`${what}: set.`);
}

/** A value that would not work in the workflows is not uploaded: every such problem at once, nothing set. */
function rejectInvalid(rows: readonly Pick<SecretRow, 'secret' | 'local'>[]): void {
  const problems = rows.flatMap(({ secret, local }) =>
    local.status === 'invalid' ? [`${secret.name} (${local.source}): ${local.problem} — ${local.howToProvide}`] : [],
  );
  if (problems.length > 0)
    throw new ValidationError('Some values found here would not work in the workflows (nothing was set):', problems);
}

async function confirm(ctx: CiContext, statement: string): Promise<void> {
  if (ctx.config.dryRun || ctx.config.yes) {
    ctx.ui.info(statement);
    return;
  }
  if (!ctx.prompter.interactive) {
    throw new UsageError(
      `${statement} That needs a confirmation, and nobody is at a terminal to give it (nothing was set).`,
      'Run it on a terminal to be asked, or pass --yes.',
    );
  }
  const approved = await ctx.prompter.confirm(
    { message: `${statement} Go on?`, default: false },
    { what: 'confirmation to set the secrets', howToProvide: 'pass --yes' },
  );
  if (!approved) throw new InterruptedError('Nothing was set: you answered no.');
}

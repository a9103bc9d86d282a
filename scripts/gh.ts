/**
 * The GitHub CLI (`gh`), wrapped: pure argv builders plus thin runners, for the few calls `ci secrets` makes — is gh
 * there and logged in, which secrets an environment has, and setting one. A secret's value goes to `gh secret set` on
 * stdin (gh reads standard input when it cannot prompt, and drops a trailing newline); it is never an argument, so
 * it cannot show up in `ps`, shell history or an echoed command.
 *
 * Every call names its repository with --repo, so gh never guesses it from the git remotes of the working directory.
 * gh's own prompts and update notices are turned off through its environment: a question nobody can see would hang.
 */
import { toHttpsUrl } from './git.ts';
import { DeckhandError } from './lib/errors.ts';
import { commandFailure, type Runner } from './lib/shell.ts';

export const INSTALL_URL = 'https://cli.github.com/';

/** `gh` reads these; they keep it from prompting or printing an update notice in the middle of deckhand's output. */
export const GH_ENV: Readonly<Record<string, string>> = { GH_PROMPT_DISABLED: '1', GH_NO_UPDATE_NOTIFIER: '1' };

/** A repository as gh's --repo takes it: `OWNER/NAME`, or `HOST/OWNER/NAME` for GitHub Enterprise. */
export interface GitHubRepo {
  host?: string;
  owner: string;
  name: string;
}

/** Where an environment's secrets live. */
export interface SecretsTarget {
  repo: GitHubRepo;
  environment: string;
}

export const DEFAULT_HOST = 'github.com';

const REPO_PART = '[A-Za-z0-9_.-]+';
const REPO_PATTERN = new RegExp(`^(?:([^/\\s]+)/)?(${REPO_PART})/(${REPO_PART})$`);

/** `acme/deckhand` or `ghe.example.com/acme/deckhand`; undefined for anything else. */
export function parseRepo(text: string): GitHubRepo | undefined {
  const match = REPO_PATTERN.exec(text.trim());
  if (!match) return undefined;
  const [, host, owner, name] = match;
  return { ...(host ? { host } : {}), owner: owner!, name: name!.replace(/\.git$/, '') };
}

/** The repository a git remote points at (`git@github.com:acme/deckhand.git`, `https://ghe.example.com/a/b`). */
export function repoFromRemote(remote: string): GitHubRepo | undefined {
  const url = toHttpsUrl(remote.trim());
  if (!url) return undefined;
  const { host, pathname } = new URL(url);
  const repo = parseRepo(pathname.replace(/^\/+|\/+$/g, ''));
  if (!repo || repo.host) return undefined;
  return host === DEFAULT_HOST ? repo : { host, ...repo };
}

/** The --repo value: the host only when it is not github.com. */
export function repoArg(repo: GitHubRepo): string {
  const host = repo.host && repo.host !== DEFAULT_HOST ? `${repo.host}/` : '';
  return `${host}${repo.owner}/${repo.name}`;
}

/** `acme/deckhand`, for messages. */
export function repoName(repo: GitHubRepo): string {
  return `${repo.owner}/${repo.name}`;
}

/** The host gh talks to for this repository: its own, else GH_HOST (how gh picks an Enterprise host), else github.com. */
export function repoHost(repo: GitHubRepo, env: Readonly<Record<string, string | undefined>>): string {
  return repo.host ?? (env.GH_HOST?.trim() || DEFAULT_HOST);
}

export function versionArgs(): string[] {
  return ['gh', '--version'];
}

/** `2.23.0` from `gh version 2.23.0 (2023-02-27 Debian 2.23.0+dfsg1-1)`. */
export function parseVersion(stdout: string): string {
  const version = /gh version (\S+)/.exec(stdout)?.[1];
  if (!version) throw new Error(`not gh's version line: ${stdout.split('\n')[0]}`);
  return version;
}

export function authStatusArgs(host: string): string[] {
  return ['gh', 'auth', 'status', '--hostname', host];
}

export function secretListArgs(target: SecretsTarget): string[] {
  return ['gh', 'secret', 'list', '--env', target.environment, '--repo', repoArg(target.repo)];
}

/**
 * The names in `gh secret list` output off a terminal: one tab-separated row per secret, the name first. (gh 2.23,
 * Debian's, has no --json for this command; the rows look the same in later versions.)
 */
export function parseSecretList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.split('\t')[0]!.trim())
    .filter((name) => name !== '');
}

export function secretSetArgs(target: SecretsTarget, name: string): string[] {
  return ['gh', 'secret', 'set', name, '--env', target.environment, '--repo', repoArg(target.repo)];
}

// ─── Runners ─────────────────────────────────────────────────────────────────────────────────────────────────

export type AuthStatus = { loggedIn: true } | { loggedIn: false; reason: string };

/** Whether gh has a working token for `host` (gh checks it against the API); never throws. */
export async function authStatus(shell: Runner, host: string): Promise<AuthStatus> {
  const result = await shell.run(authStatusArgs(host), { kind: 'read', nothrow: true, env: GH_ENV, timeoutMs: 30_000 });
  if (result.exitCode === 0) return { loggedIn: true };
  // gh prints its own explanation ("You are not logged into any GitHub hosts", "authentication failed", …).
  const said = (result.stderr || result.stdout)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== host)
    .slice(0, 3)
    .join(' ');
  return { loggedIn: false, reason: said || `gh auth status exited ${result.exitCode}` };
}

/** The names of the environment's secrets (never values: GitHub cannot give those back). */
export async function listSecrets(shell: Runner, target: SecretsTarget): Promise<string[]> {
  const result = await shell.run(secretListArgs(target), {
    kind: 'read',
    nothrow: true,
    env: GH_ENV,
    timeoutMs: 30_000,
  });
  if (result.exitCode === 0) return parseSecretList(result.stdout);
  if (/HTTP 404/.test(result.stderr)) throw environmentNotFound(target);
  throw commandFailure(shell, result, 'Check that `gh auth status` shows an account with access to the repository.');
}

/** Sets one secret; `value` reaches gh on stdin only. gh encrypts it with the environment's public key. */
export async function setSecret(shell: Runner, target: SecretsTarget, name: string, value: string): Promise<void> {
  const result = await shell.run(secretSetArgs(target, name), {
    kind: 'write',
    input: value,
    nothrow: true,
    env: GH_ENV,
    timeoutMs: 60_000,
  });
  if (result.exitCode === 0) return;
  if (/HTTP 404/.test(result.stderr)) throw environmentNotFound(target);
  throw commandFailure(
    shell,
    result,
    'Setting environment secrets needs admin access to the repository (a token with the repo scope).',
  );
}

/** GitHub answers 404 for an environment that does not exist, and for a repository the token cannot see. */
export function environmentNotFound(target: SecretsTarget): DeckhandError {
  return new DeckhandError(
    `GitHub has no environment "${target.environment}" in ${repoName(target.repo)} that your gh login can see.`,
    `Create it first: the repository's Settings → Environments → New environment → ${target.environment} (docs/github-actions.md, "Set it up once"). If it exists, check that --repo names the right repository and that \`gh auth status\` shows an account with access to it.`,
  );
}

/**
 * What `ci secrets` prints: the table (which secrets, who uses them, found here or not, set on GitHub or not) and the
 * commands that set the rest by hand, each value on standard input. Pure functions of what was found; no value is
 * ever part of the text (the table says where a value is, not what it is).
 */
import * as gh from '../../gh.ts';
import * as kubectl from '../../kubectl.ts';
import { deckhand } from '../../lib/hints.ts';
import { displayCommand } from '../../lib/quote.ts';
import { KUBE_CONFIG, type KubeconfigChoice, type LocalValue } from './local-values.ts';
import { usedBy, type WorkflowSecret } from './workflow-secrets.ts';

export interface SecretRow {
  secret: WorkflowSecret;
  local: LocalValue;
  /** Whether the environment on GitHub has it; undefined when gh could not tell. */
  onGitHub?: boolean;
}

export interface SecretsView {
  environment: string;
  repo?: gh.GitHubRepo;
  rows: readonly SecretRow[];
  /** The kubeconfig KUBE_CONFIG is made from, for the by-hand command. */
  kubeconfig?: KubeconfigChoice;
  /** The --env/--repo the user gave, repeated in the suggested `ci secrets --set`. */
  given: { env?: string; repo?: string };
}

const REPO_PLACEHOLDER = 'OWNER/NAME';
const KUBECONFIG_PLACEHOLDER = 'KUBECONFIG_FILE';

export function localText(local: LocalValue): string {
  if (local.status === 'found') return `found: ${local.source}`;
  if (local.status === 'invalid') return `invalid: ${local.source} (${local.problem})`;
  return 'missing';
}

function githubText(onGitHub: boolean | undefined): string {
  return onGitHub === undefined ? '?' : onGitHub ? 'set' : 'not set';
}

/** Columns padded to the widest cell; the last one (where the value is) is left ragged. */
export function renderTable(rows: readonly SecretRow[]): string {
  const cells = [
    ['SECRET', 'NEEDED', 'ON GITHUB', 'USED BY', 'LOCAL VALUE'],
    ...rows.map((row) => [
      row.secret.name,
      row.secret.optional ? 'optional' : 'required',
      githubText(row.onGitHub),
      usedBy(row.secret).join(', '),
      localText(row.local),
    ]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  return cells
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `gh secret set NAME --env E --repo R`, with a placeholder when the repository is not known. */
function setCommand(view: SecretsView, name: string): string {
  if (view.repo) return displayCommand(gh.secretSetArgs({ repo: view.repo, environment: view.environment }, name));
  return `${displayCommand(['gh', 'secret', 'set', name, '--env', view.environment])} --repo ${REPO_PLACEHOLDER}`;
}

/**
 * The by-hand commands for every secret GitHub does not have yet (all of them when gh could not tell): gh reads the
 * value from standard input, or asks for it (hidden) on a terminal — never an argument. KUBE_CONFIG is piped from
 * kubectl, which makes it the way deckhand does.
 */
export function handCommands(view: SecretsView): string[] {
  return view.rows
    .filter((row) => row.onGitHub !== true)
    .map((row) => {
      const set = setCommand(view, row.secret.name);
      if (row.secret.name !== KUBE_CONFIG) return set;
      const found = row.local.status === 'found' && view.kubeconfig;
      const args = found
        ? kubectl.configViewMinifiedArgs(view.kubeconfig!.file, view.kubeconfig!.context)
        : kubectl.configViewMinifiedArgs(KUBECONFIG_PLACEHOLDER);
      // `base64` wraps its lines; the workflows' runner-kubeconfig.sh drops the whitespace before decoding.
      return `${displayCommand(args)} | base64 | ${set}`;
    });
}

/** Everything `ci secrets` prints without --set. */
export function renderReport(view: SecretsView): string {
  const where = view.repo ? `${gh.repoName(view.repo)}, ` : '';
  const lines = [
    `Secrets the workflows in .github/workflows/ use, for environment "${view.environment}" (${where}values never shown):`,
    '',
    renderTable(view.rows),
  ];
  const unresolved = view.rows.filter((row) => row.local.status !== 'found');
  if (unresolved.length > 0) {
    lines.push('', 'Not found here — how to provide them:');
    for (const { secret, local } of unresolved) {
      if (local.status === 'found') continue;
      const why = local.status === 'missing' && local.reason ? ` (${local.reason})` : '';
      lines.push(`  ${secret.name}${secret.optional ? ' (optional)' : ''}: ${local.howToProvide}${why}`);
    }
  }
  const byHand = handCommands(view);
  if (view.rows.some((row) => row.local.status === 'found')) {
    lines.push(
      '',
      `Set every value found here (asks first): ${deckhand('ci', 'secrets', '--set', ...flagPairs(view.given))}`,
    );
  }
  if (byHand.length > 0) {
    lines.push(
      '',
      'Or by hand: gh asks for each value (hidden), or reads it from a pipe — never put a value on the command line:',
      ...byHand.map((command) => `  ${command}`),
    );
  } else {
    lines.push('', `GitHub has every one of them in "${view.environment}".`);
  }
  return lines.join('\n');
}

function flagPairs(given: SecretsView['given']): string[] {
  return [...(given.env ? ['--env', given.env] : []), ...(given.repo ? ['--repo', given.repo] : [])];
}

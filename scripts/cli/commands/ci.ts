/** The GitHub Actions side of the project: the secrets its workflows need. */
import { deckhand } from '../../lib/hints.ts';
import { defineCommand } from '../spec.ts';

export const ci = defineCommand({
  name: 'ci',
  summary:
    'Show which secrets the GitHub Actions workflows need and where deckhand finds them; --set sets them with gh',
  details: [
    'The list comes from the workflows themselves (every secrets.NAME in .github/workflows/*.yml but GITHUB_TOKEN; an',
    'entry commented "# Optional:" is optional). For each, where deckhand finds the value on this machine: KUBE_CONFIG',
    'from the managed cluster (.deckhand/cluster.json; --kubeconfig or KUBECONFIG otherwise), one context, base64; app',
    'inputs from the environment, .env.<app> or .env; tokens from the environment or .env. Values are never printed.',
    'Without --set: a table (found locally? already on GitHub, when gh can tell?) and the commands to set the rest by',
    'hand, each value on stdin. With --set (needs gh, logged in): one confirmation (or --yes), then `gh secret set` for',
    'every value found, the value on stdin. A required secret with no value here and none on GitHub stops it before',
    'anything is set (exit 2); an optional one is left as it is.',
  ].join('\n'),
  args: [{ name: 'action', description: 'What to do', required: true, choices: ['secrets'] }],
  options: {
    set: {
      type: 'boolean',
      description: 'Set every secret found locally in the GitHub environment, overwriting its value (needs gh).',
    },
    env: {
      type: 'string',
      valueName: 'name',
      description: 'GitHub environment (default: the one the deploy jobs run in, production).',
    },
    repo: {
      type: 'string',
      valueName: 'owner/name',
      description: 'Repository, [HOST/]OWNER/NAME (default: GH_REPO, else the origin remote).',
    },
  },
  examples: [
    deckhand('ci', 'secrets'),
    deckhand('ci', 'secrets', '--set'),
    deckhand('ci', 'secrets', '--set', '--env', 'production', '--repo', 'my-org/deckhand', '--dry-run'),
  ],
});

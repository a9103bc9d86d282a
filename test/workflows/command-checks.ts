/**
 * The toolkit commands a workflow runs must be ones the CLI declares: the command from COMMANDS (tasks.ts), its
 * options from the CLI's own `help <command>` (command and global options alike), the app from `apps --json`. A deploy
 * step must also hand the app every input it requires — the sensitive ones from `secrets.*` only, never from a
 * workflow input, which anyone who can start the workflow can read back in the run's page.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMMANDS } from '../../scripts/cli/commands/index.ts';
import { REPO_ROOT, type Step, type Workflow } from './workflow-checks.ts';

const execFileAsync = promisify(execFile);

export interface CliFacts {
  commands: Map<string, { options: Set<string>; stringOptions: Set<string>; takesApp: boolean }>;
  apps: Map<string, { inputs: { key: string; sensitive: boolean }[] }>;
}

async function tasks(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'tasks.ts'), ...args],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' }, timeout: 60_000 },
  );
  return stdout;
}

/** What the CLI declares, read from the CLI itself. */
export async function readCliFacts(): Promise<CliFacts> {
  const commands: CliFacts['commands'] = new Map();
  await Promise.all(
    COMMANDS.map(async (spec) => {
      const help = await tasks(['help', spec.name]);
      // Option lines look like "  -y, --yes   Answer …" or "      --kubeconfig <file>   Kubeconfig …".
      const declared = [...help.matchAll(/^\s+(?:-\w, )?--([a-z][a-z-]*)( <[^>]+>)?/gm)];
      commands.set(spec.name, {
        options: new Set(declared.map((match) => match[1]!)),
        stringOptions: new Set(declared.filter((match) => match[2] !== undefined).map((match) => match[1]!)),
        takesApp: spec.args.some((arg) => arg.name === 'app'),
      });
    }),
  );
  const apps = new Map(
    (
      JSON.parse(await tasks(['apps', '--json'])) as { name: string; inputs: { key: string; sensitive: boolean }[] }[]
    ).map((app) => [app.name, { inputs: app.inputs }]),
  );
  return { commands, apps };
}

export interface Invocation {
  words: string[];
  step: Step;
  job: string;
}

/** Every `npx tsx tasks.ts …` in the workflow's run scripts, as shell words (quotes removed; "$X" stays "$X"). */
export function toolkitInvocations(workflow: Workflow): Invocation[] {
  const found: Invocation[] = [];
  for (const [job, spec] of Object.entries(workflow.jobs)) {
    for (const step of spec.steps ?? []) {
      for (const match of (step.run ?? '').matchAll(/\bnpx\s+tsx\s+tasks\.ts\b([^\n;&|]*)/g)) {
        const words = [...match[1]!.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(
          (word) => word[1] ?? word[2] ?? word[3]!,
        );
        found.push({ words, step, job });
      }
    }
  }
  return found;
}

export function checkInvocations(workflow: Workflow, facts: CliFacts): string[] {
  const problems: string[] = [];
  for (const { words, step, job } of toolkitInvocations(workflow)) {
    const at = `${workflow.file}: job ${job}, step ${JSON.stringify(step.name)}: tasks.ts ${words.join(' ')}`;
    const [command, ...rest] = words;
    const spec = command === undefined ? undefined : facts.commands.get(command);
    if (!spec) {
      problems.push(`${at}: "${command}" is not a command the CLI declares (${[...facts.commands.keys()].join(', ')})`);
      continue;
    }
    const positionals: string[] = [];
    for (let index = 0; index < rest.length; index += 1) {
      const word = rest[index]!;
      if (!word.startsWith('--')) {
        positionals.push(word);
        continue;
      }
      const name = word.slice(2).split('=')[0]!;
      if (!spec.options.has(name)) problems.push(`${at}: --${name} is not an option of ${command}`);
      else if (spec.stringOptions.has(name) && !word.includes('=')) index += 1;
    }
    if (spec.takesApp) {
      const app = positionals[0];
      if (app === undefined || !facts.apps.has(app))
        problems.push(`${at}: "${app}" is not an app the CLI knows (${[...facts.apps.keys()].join(', ')})`);
    }
  }
  return problems;
}

/** A step that deploys an app passes each of its inputs in env; sensitive ones only from secrets. */
export function checkDeployInputs(workflow: Workflow, facts: CliFacts): string[] {
  const problems: string[] = [];
  for (const { words, step, job } of toolkitInvocations(workflow)) {
    if (words[0] !== 'deploy') continue;
    const app = facts.apps.get(words[1] ?? '');
    if (!app) continue;
    const env = (step.env ?? {}) as Record<string, unknown>;
    for (const input of app.inputs) {
      const at = `${workflow.file}: job ${job}, step ${JSON.stringify(step.name)}: ${input.key}`;
      const value = env[input.key];
      if (typeof value !== 'string') problems.push(`${at} is not in the step's env (deploy would stop with exit 2)`);
      else if (input.sensitive && !/^\$\{\{\s*secrets\.[A-Za-z_][A-Za-z0-9_]*\s*\}\}$/.test(value))
        problems.push(`${at} is sensitive: it must come from a secret (got ${value})`);
    }
  }
  return problems;
}

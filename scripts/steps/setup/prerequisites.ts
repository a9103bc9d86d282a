/**
 * setup's first two stages. "Look at what is there" surveys the machine and the project (survey.ts) and, off a
 * terminal, stops with every missing answer. "Install the tools" names each missing tool with this system's install
 * command, installs the pinned helm and kubectl itself when they are missing or too old (with a yes, or --yes), and
 * stops when something it cannot install is still missing.
 */
import { DeckhandError } from '../../lib/errors.ts';
import { deckhand } from '../../lib/hints.ts';
import { installHint, type InstallableTool } from '../checks/install-hints.ts';
import { pinnedToolsRunHere } from '../checks/pinned-tools.ts';
import { probeTools, type ToolName } from '../checks/tools.ts';
import { installTools } from '../checks/tools-install.ts';
import { judgeHelmVersion, judgeTerraformVersion } from '../checks/doctor-local.ts';
import type { SetupRun, Stage } from './run.ts';
import { SETUP_TOOLS, refuseWhatCannotBeAsked, surveySetup } from './survey.ts';

export const lookAround: Stage = {
  title: 'Look at this machine and the project',
  look: async () => undefined,
  async act(run) {
    const survey = await surveySetup(run);
    run.survey = survey;
    const { ui } = run.ctx;
    ui.info(`  system: ${run.os.name} (${run.os.platform}/${run.os.arch})`);
    ui.info(
      `  tools: ${SETUP_TOOLS.map((name) => (survey.tools[name].found ? `${name} ${(survey.tools[name] as { version: string }).version}` : `${name} missing`)).join(', ')}`,
    );
    ui.info(
      survey.cluster
        ? `  cluster: "${survey.cluster.label}"${survey.cluster.id ? ` (id ${survey.cluster.id})` : ''} in the terraform state`
        : '  cluster: none yet',
    );
    if (survey.deployed) ui.info(`  caelundas: ${survey.deployed}`);
    refuseWhatCannotBeAsked(run, survey);
    if (survey.missing.length > 0) ui.info(`  to ask: ${survey.missing.map((item) => item.name).join(', ')}`);
  },
};

/** What each tool is needed for, so a missing one names its consequence. */
function problemOf(run: SetupRun, name: ToolName): string | undefined {
  const probe = run.survey!.tools[name];
  if (name === 'docker' && run.ctx.invocation.options.image) return undefined;
  if (!probe.found) return `${name} is not installed`;
  if (name === 'helm' && judgeHelmVersion(probe.version, run.os).status !== 'ok')
    return `helm ${probe.version} is not Helm 4`;
  if (name === 'terraform' && judgeTerraformVersion(probe.version, run.os).status !== 'ok')
    return `terraform ${probe.version} is older than 1.9`;
  return undefined;
}

export const installToolsStage: Stage = {
  title: 'Install the tools',
  async look(run) {
    const problems = SETUP_TOOLS.filter((name) => problemOf(run, name));
    if (problems.length > 0) return undefined;
    return `every tool is there: ${SETUP_TOOLS.filter((name) => run.survey!.tools[name].found)
      .map((name) => `${name} ${(run.survey!.tools[name] as { version: string }).version}`)
      .join(', ')}`;
  },
  async act(run) {
    const { ui, prompter, config } = run.ctx;
    const pinnable = (['helm', 'kubectl'] as const).filter((name) => problemOf(run, name));
    if (pinnable.length > 0 && pinnedToolsRunHere(run.os.platform, run.os.arch)) {
      ui.info(`  ${pinnable.map((name) => problemOf(run, name)).join('; ')}.`);
      const yes =
        config.yes ||
        (await prompter.confirm(
          {
            message: `Install the pinned helm 4 and kubectl 1.34 into ${config.toolsDir} (deckhand runs them first)?`,
            default: true,
          },
          { what: 'confirmation to install helm and kubectl', howToProvide: 'pass --yes' },
        ));
      if (yes) {
        await installTools(run.ctx);
        if (!config.dryRun)
          run.survey!.tools = { ...run.survey!.tools, ...(await probeTools(run.ctx.shell, pinnable)) };
      }
    }
    const still = SETUP_TOOLS.map((name) => [name, problemOf(run, name)] as const).filter(([, problem]) => problem);
    // In a dry run nothing was installed: what a real run would install is not a reason to stop.
    const blocking = config.dryRun ? still.filter(([name]) => name !== 'helm' && name !== 'kubectl') : still;
    if (blocking.length > 0) {
      throw new DeckhandError(
        `Missing tools:\n${blocking.map(([name, problem]) => `  - ${problem}: ${installHint(name as InstallableTool, run.os)}`).join('\n')}`,
        `Install them, then run \`${deckhand('setup')}\` again (it continues where it stopped).${blocking.some(([name]) => name === 'docker') ? ' Without docker, --image REF deploys an existing image.' : ''}`,
      );
    }
  },
};

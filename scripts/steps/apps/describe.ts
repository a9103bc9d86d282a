/** `apps`: what the registry declares, in words and as JSON. */
import { APPS, imageRepository, type AppDefinition } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { apps } from '../../cli/commands/project.ts';
import type { Config } from '../../lib/config.ts';

export interface AppSummary {
  name: string;
  kind: AppDefinition['kind'];
  namespace: string;
  image: string;
  deploysFrom: string;
  secret: string;
  inputs: { key: string; sensitive: boolean; description: string }[];
  text: string;
}

export function describeApps(apps: readonly AppDefinition[], config: Pick<Config, 'image'>): AppSummary[] {
  return apps.map((app) => {
    const image = imageRepository(app, config.image) ?? `${config.image.registry}/<IMAGE_OWNER>/${app.image.name}`;
    const deploysFrom =
      app.kind === 'job'
        ? `chart ${app.chart.path} with ${app.chart.valuesFiles.join(', ')}`
        : `manifests in ${app.manifests}/`;
    // A Job app's runs each get a Secret of their own; the registry's name is the one runs shared before that.
    const secret = app.kind === 'job' ? '<release>-inputs (one per run)' : app.secret.name;
    const inputs = app.secret.inputs.map((input) => ({
      key: input.key,
      sensitive: input.sensitive,
      description: input.description,
    }));
    const text = [
      `${app.name} (${app.kind}) — ${app.description}`,
      `  namespace  ${app.namespace}`,
      `  image      ${image} (built from ${app.image.dockerfile}, context ${app.image.context}, ${app.image.platform})`,
      `  deploys    ${deploysFrom}`,
      `  secret     ${secret}, from the environment, ${app.secret.envFile} or a prompt:`,
      ...inputs.map(
        (input) => `    ${input.key.padEnd(20)}${input.description}${input.sensitive ? ' (sensitive)' : ''}`,
      ),
    ].join('\n');
    return {
      name: app.name,
      kind: app.kind,
      namespace: app.namespace,
      image,
      deploysFrom,
      secret,
      inputs,
      text,
    };
  });
}

/** apps: the registry, as text or JSON. */
export function showApps(ctx: CommandContext<typeof apps>): void {
  const described = describeApps(APPS, ctx.config);
  ctx.ui.data(
    ctx.invocation.options.json ? JSON.stringify(described, null, 2) : described.map((app) => app.text).join('\n\n'),
  );
}

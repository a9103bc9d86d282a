/** `apps`: what the registry declares, in words and as JSON. */
import { APPS, imageRepository, type AppDefinition, type AppImage, type ServiceImage } from '../../apps/index.ts';
import type { CommandContext } from '../../cli/context.ts';
import type { apps } from '../../cli/commands/project.ts';
import type { Config } from '../../lib/config.ts';

export interface ImageSummary {
  /** <registry>/<owner>/<name> (with <IMAGE_OWNER> when it is not set). */
  repository: string;
  dockerfile: string;
  context: string;
  platform: string;
  /** Services: where the roll-out puts it, `deployment/container`. */
  runsIn?: string;
}

export interface AppSummary {
  name: string;
  kind: AppDefinition['kind'];
  namespace: string;
  images: ImageSummary[];
  deploysFrom: string;
  secret: string;
  inputs: { key: string; sensitive: boolean; description: string }[];
  text: string;
}

export function describeApps(apps: readonly AppDefinition[], config: Pick<Config, 'image'>): AppSummary[] {
  return apps.map((app) => {
    const images = (app.kind === 'service' ? app.images : [app.image]).map(
      (image: AppImage & Partial<Pick<ServiceImage, 'deployment' | 'container'>>): ImageSummary => ({
        repository: imageRepository(image, config.image) ?? `${config.image.registry}/<IMAGE_OWNER>/${image.name}`,
        dockerfile: image.dockerfile,
        context: image.context,
        platform: image.platform,
        ...(image.deployment ? { runsIn: `${image.deployment}/${image.container}` } : {}),
      }),
    );
    const deploysFrom =
      app.kind === 'job'
        ? `chart ${app.chart.path} with ${app.chart.valuesFiles.join(', ')}`
        : `manifests in ${app.manifests}/ (${app.readyFirst.join(', ')} ready first, then ${app.deployments.filter((name) => !app.readyFirst.includes(name)).join(', ')})`;
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
      ...images.map(
        (image) =>
          `  image      ${image.repository} (built from ${image.dockerfile}, context ${image.context}, ${image.platform}${image.runsIn ? `; runs in ${image.runsIn}` : ''})`,
      ),
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
      images,
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

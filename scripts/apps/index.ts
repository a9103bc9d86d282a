/** The app registry: every app deckhand knows, by name. */
import { UsageError } from '../lib/errors.ts';
import { deckhand } from '../lib/hints.ts';
import { closestMatch } from '../lib/suggest.ts';
import { caelundas } from './caelundas.ts';
import type { AppDefinition, AppImage, JobApp, ServiceApp } from './types.ts';
import { wppBot } from './wpp-bot.ts';

export type { AppDatabase, AppDefinition, AppImage, AppInput, JobApp, ServiceApp, ServiceImage } from './types.ts';

export const APPS: readonly AppDefinition[] = [caelundas, wppBot];

export function findApp(name: string | undefined, apps: readonly AppDefinition[] = APPS): AppDefinition {
  const names = apps.map((app) => app.name);
  if (!name) throw new UsageError('Which app? Name one after the command.', `Known apps: ${names.join(', ')}.`);
  const app = apps.find((candidate) => candidate.name === name);
  if (app) return app;
  const suggestion = closestMatch(name, names);
  throw new UsageError(
    `Unknown app "${name}".`,
    `${suggestion ? `Did you mean "${suggestion}"? ` : ''}Known apps: ${names.join(', ')}.`,
  );
}

/** Commands about batch runs (releases, uninstall, copy; the Job side of deploy and logs) take job apps only. */
export function findJobApp(name: string | undefined, command: string, apps: readonly AppDefinition[] = APPS): JobApp {
  const app = findApp(name, apps);
  if (app.kind === 'job') return app;
  throw new UsageError(
    `"${command}" works on batch Job apps (their runs); ${app.name} is a service, which has no runs.`,
    `For a service: status, rollback, restart and logs (see \`${deckhand('help', 'status')}\`). Job apps: ${namesOf(apps, 'job')}.`,
  );
}

/** Commands about a long-running service (status, rollback, restart) take service apps only. */
export function findServiceApp(
  name: string | undefined,
  command: string,
  apps: readonly AppDefinition[] = APPS,
): ServiceApp {
  const app = findApp(name, apps);
  if (app.kind === 'service') return app;
  throw new UsageError(
    `"${command}" works on services (Deployments); ${app.name} is a batch Job app.`,
    `For a Job app: releases, uninstall, copy and logs (see \`${deckhand('help', 'releases')}\`). Services: ${namesOf(apps, 'service')}.`,
  );
}

function namesOf(apps: readonly AppDefinition[], kind: AppDefinition['kind']): string {
  return apps
    .filter((candidate) => candidate.kind === kind)
    .map((candidate) => candidate.name)
    .join(', ');
}

/** Every image an app builds: a Job app's one, a service's list. */
export function imagesOf(app: AppDefinition): readonly AppImage[] {
  return app.kind === 'job' ? [app.image] : app.images;
}

/** Where an image lives: <registry>/<owner>/<name>. */
export function imageRepository(
  image: Pick<AppImage, 'name'>,
  config: { registry: string; owner?: string },
): string | undefined {
  return config.owner ? `${config.registry}/${config.owner}/${image.name}` : undefined;
}

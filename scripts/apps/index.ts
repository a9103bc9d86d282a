/** The app registry: every app deckhand knows, by name. */
import { UsageError } from '../lib/errors.ts';
import { closestMatch } from '../lib/suggest.ts';
import { caelundas } from './caelundas.ts';
import type { AppDefinition, JobApp } from './types.ts';
import { wppBot } from './wpp-bot.ts';

export type { AppDatabase, AppDefinition, AppInput, JobApp, ServiceApp } from './types.ts';

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

/** Commands about batch runs (deploy's Job pipeline, releases, uninstall, logs, copy) take job apps only. */
export function findJobApp(name: string | undefined, command: string, apps: readonly AppDefinition[] = APPS): JobApp {
  const app = findApp(name, apps);
  if (app.kind !== 'job') {
    const jobApps = apps.filter((candidate) => candidate.kind === 'job').map((candidate) => candidate.name);
    throw new UsageError(
      `"${command}" works on batch Job apps; ${app.name} is a ${app.kind}.`,
      `Job apps: ${jobApps.join(', ')}.`,
    );
  }
  return app;
}

/** Where an app's image lives: <registry>/<owner>/<name>. */
export function imageRepository(app: AppDefinition, image: { registry: string; owner?: string }): string | undefined {
  return image.owner ? `${image.registry}/${image.owner}/${app.image.name}` : undefined;
}

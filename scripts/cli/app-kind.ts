/**
 * The app a command that takes either kind (deploy, logs) works on, with the options checked against its kind: an
 * option declared for one kind only (`kinds` in its spec) is refused for the other, and options given once per image
 * (`--image`, `--dockerfile`, `--build-context`) at most as often as the app has images. Exit 2, before anything runs.
 */
import { findApp, imagesOf, type AppDefinition } from '../apps/index.ts';
import { UsageError } from '../lib/errors.ts';
import { deckhand } from '../lib/hints.ts';
import type { CommandSpec, Invocation } from './spec.ts';

/** Options a deploy takes at most once per image of the app. */
export const PER_IMAGE_OPTIONS: readonly string[] = ['image', 'dockerfile', 'build-context'];

const KIND_WORDS: Record<AppDefinition['kind'], string> = { job: 'a batch Job app', service: 'a service' };

export function appForCommand(spec: CommandSpec, invocation: Invocation): AppDefinition {
  const app = findApp(invocation.args.app);
  for (const [name, option] of Object.entries(spec.options)) {
    const value = invocation.options[name];
    const given = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
    if (!given) continue;
    if (option.kinds && !option.kinds.includes(app.kind)) {
      throw new UsageError(
        `--${name} fits ${option.kinds.map((kind) => `${kind} apps`).join(' and ')} only; ${app.name} is ${KIND_WORDS[app.kind]}.`,
        `See the options for each kind: \`${deckhand('help', spec.name)}\`.`,
      );
    }
    const images = imagesOf(app);
    if (PER_IMAGE_OPTIONS.includes(name) && Array.isArray(value) && value.length > images.length) {
      throw new UsageError(
        `--${name} was given ${value.length} times; ${app.name} has ${images.length === 1 ? 'one image' : `${images.length} images`} (${images.map((image) => image.name).join(', ')}).`,
        `Give it at most once per image. Run \`${deckhand('help', spec.name)}\` for the forms it takes.`,
      );
    }
  }
  return app;
}

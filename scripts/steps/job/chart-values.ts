/**
 * When the chart schema refuses a value, the fix is where the value came from: a value deckhand passes with
 * --set-string came from an option or a setting of this run (--image, IMAGE_REGISTRY/IMAGE_OWNER), or from deckhand
 * itself; only the others come from the values files. The hint names that source.
 */
import type { DeployPlan } from './plan.ts';

/** The --set-string keys a person controls, with the input that set each one. */
export function chartValueInputs(plan: Pick<DeployPlan, 'image'>): Record<string, string> {
  const { image } = plan;
  if (image.given) {
    const given = `--image ${image.given}`;
    return {
      'image.repository': given,
      ...(image.tag ? { 'image.tag': given } : {}),
      ...(image.digest ? { 'image.digest': given } : {}),
    };
  }
  return { 'image.repository': `IMAGE_REGISTRY and IMAGE_OWNER (${image.repository})` };
}

/** What to do about the values the schema refused (from helm.schemaFailurePaths). */
export function schemaFailureHint(
  refused: readonly string[],
  setString: Readonly<Record<string, string>>,
  inputs: Readonly<Record<string, string>>,
): string {
  const fromInputs = refused.filter((key) => key in inputs);
  const fromDeckhand = refused.filter((key) => !(key in inputs) && key in setString);
  const fromFiles = refused.length === 0 || refused.some((key) => !(key in setString));
  const parts = [
    ...fromInputs.map((key) => `${key} comes from ${inputs[key]}: fix that value`),
    ...(fromDeckhand.length > 0
      ? [
          `${fromDeckhand.join(', ')} ${fromDeckhand.length === 1 ? 'is' : 'are'} set by deckhand itself: please report this as a bug`,
        ]
      : []),
    ...(fromFiles ? ['fix the values file named above'] : []),
  ];
  return `The values do not pass the chart schema; ${parts.join('; ')}.`;
}

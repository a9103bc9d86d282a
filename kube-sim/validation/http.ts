/** The HTTP side of schema validation: the `fieldValidation` query parameter and the `Warning` response headers. */
import type { ServerResponse } from 'node:http';
import { badRequest } from '../errors.ts';
import type { ResourceType } from '../resources.ts';
import { parseFieldValidation, type SchemaOptions } from './checker.ts';
import { loadValidator } from './schemas.ts';

/** Loads the kind's validator (once per process) and reads the request's directive; Warn when none is given. */
export async function schemaOptionsFor(type: ResourceType, query: URLSearchParams): Promise<SchemaOptions> {
  const directive = parseFieldValidation(query.get('fieldValidation'));
  if (!directive)
    throw badRequest(
      `fieldValidation: Unsupported value: "${query.get('fieldValidation') ?? ''}": supported values: "Ignore", "Strict", "Warn"`,
    );
  await loadValidator(type);
  return { directive, warnings: [] };
}

/** `Warning: 299 - "unknown field \"spec.x\""`, one header per warning, as the API server sends them. */
export function setWarnings(res: ServerResponse, options: SchemaOptions): void {
  if (options.warnings.length > 0)
    res.setHeader(
      'Warning',
      options.warnings.map((text) => `299 - ${JSON.stringify(text)}`),
    );
}

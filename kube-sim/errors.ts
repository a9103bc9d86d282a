/**
 * API errors as `metav1.Status` bodies. The messages copy the real API server's wording, because clients print them
 * verbatim and the project's error translation matches on them.
 */
import { qualifiedKind, qualifiedName, type ResourceType } from './resources.ts';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusBody['details'];

  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

function detailsFor(type: ResourceType, name: string): StatusBody['details'] {
  return type.group === '' ? { name, kind: type.plural } : { name, group: type.group, kind: type.plural };
}

export function notFound(type: ResourceType, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedName(type)} "${name}" not found`, detailsFor(type, name));
}

export function alreadyExists(type: ResourceType, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedName(type)} "${name}" already exists`, detailsFor(type, name));
}

export function conflict(type: ResourceType, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsFor(type, name),
  );
}

export function invalid(
  type: ResourceType,
  name: string,
  causes: Array<{ field: string; message: string; reason?: string }>,
): ApiError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  const shown = causes.length === 1 ? summary : `[${summary}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind(type)} "${name}" is invalid: ${shown}`, {
    name,
    ...(type.group ? { group: type.group } : {}),
    kind: type.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbidden(message: string, details?: StatusBody['details']): ApiError {
  return new ApiError(403, 'Forbidden', message, details);
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', message);
}

/** A request the simulator does not implement: the HTTP layer records it as a gap as well as answering it. */
export class GapError extends ApiError {
  constructor(code: 404 | 405 | 415 | 501, message: string) {
    const reason = { 404: 'NotFound', 405: 'MethodNotAllowed', 415: 'UnsupportedMediaType', 501: 'NotImplemented' }[
      code
    ];
    super(code, reason, `kube-sim does not implement this: ${message}`);
  }
}

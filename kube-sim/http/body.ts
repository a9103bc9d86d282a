/** Reading and decoding request bodies; writing JSON responses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, GapError } from '../errors.ts';
import { decodeProtobufObject } from '../protobuf.ts';
import { bodyMediaType } from './negotiate.ts';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export const PATCH_TYPES = {
  'application/strategic-merge-patch+json': 'strategic',
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/apply-patch+yaml': 'apply',
} as const;

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

function parseYamlDocument(raw: Buffer): unknown {
  try {
    return parseYaml(raw.toString('utf8')) as unknown;
  } catch (error) {
    throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
  }
}

/** Decodes an object body (POST/PUT/DELETE options) by its Content-Type. */
export function decodeObjectBody(contentType: string | undefined, raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const media = bodyMediaType(contentType);
  if (media === 'application/json' || media === '') return parseJson(raw);
  if (media === 'application/yaml') return parseYamlDocument(raw);
  if (media === 'application/vnd.kubernetes.protobuf') return decodeProtobufObject(raw);
  throw new GapError(415, `request body of type "${media}"`);
}

export function decodePatchBody(
  contentType: string | undefined,
  raw: Buffer,
): { patchType: (typeof PATCH_TYPES)[keyof typeof PATCH_TYPES]; patch: unknown } {
  const media = bodyMediaType(contentType);
  const patchType = PATCH_TYPES[media as keyof typeof PATCH_TYPES];
  if (!patchType) throw new GapError(415, `patch of type "${media}"`);
  // Apply configurations are YAML (JSON being a subset); the other three are JSON.
  return { patchType, patch: patchType === 'apply' ? parseYamlDocument(raw) : parseJson(raw) };
}

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

/**
 * Content negotiation. Clients list several media types in Accept, e.g. kubectl get:
 * `application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`.
 * Responses are always JSON (client-go decodes by the response Content-Type); only the shape varies.
 */

export interface MediaType {
  type: string;
  params: Record<string, string>;
}

export function parseAccept(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const [key, value] = p.split('=');
      if (key) params[key.trim()] = (value ?? '').trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

export type ResponseShape = 'object' | 'table' | 'partial-metadata' | 'partial-metadata-list';

/** The first acceptable shape in the client's order of preference. */
export function responseShape(accept: string | undefined): ResponseShape {
  for (const media of parseAccept(accept)) {
    if (
      media.type !== 'application/json' &&
      media.type !== '*/*' &&
      media.type !== 'application/vnd.kubernetes.protobuf'
    )
      continue;
    const as = media.params['as'];
    if (as === 'Table' && media.params['g'] === 'meta.k8s.io') return 'table';
    if (as === 'PartialObjectMetadata' && media.params['g'] === 'meta.k8s.io') return 'partial-metadata';
    if (as === 'PartialObjectMetadataList' && media.params['g'] === 'meta.k8s.io') return 'partial-metadata-list';
    if (!as) return 'object';
  }
  return 'object';
}

export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return parseAccept(accept).some(
    (m) =>
      m.params['as'] === 'APIGroupDiscoveryList' && m.params['g'] === 'apidiscovery.k8s.io' && m.params['v'] === 'v2',
  );
}

/** The media type of a request body, without parameters (`application/json; charset=utf-8` -> `application/json`). */
export function bodyMediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection and subresources. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, GapError, methodNotAllowed } from '../errors.ts';
import { clone, getPath, isPlainObject } from '../json.ts';
import { applyJsonMergePatch } from '../patch/json-merge.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import type { DeleteOptions, Registry } from '../registry.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { parseFieldSelector, parseLabelSelector, supportedFieldLabels } from '../selectors.ts';
import type { ObjectStore } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { decodeObjectBody, decodePatchBody, readBody, sendJson } from './body.ts';
import { responseShape } from './negotiate.ts';
import { toTable } from './table.ts';
import { serveWatch, type StreamTracker } from './watch.ts';
import { schemaOptionsFor, setWarnings } from '../validation/http.ts';

export interface ResourceRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface ResourceHandlerContext {
  store: ObjectStore;
  registry: Registry;
  streams: StreamTracker;
  recordGap(reason: string): void;
}

const KNOWN_QUERY = new Set([
  'pretty',
  'watch',
  'labelSelector',
  'fieldSelector',
  'resourceVersion',
  'resourceVersionMatch',
  'timeoutSeconds',
  'allowWatchBookmarks',
  'sendInitialEvents',
  'limit',
  'continue',
  'dryRun',
  'fieldManager',
  'fieldValidation',
  'force',
  'propagationPolicy',
  'gracePeriodSeconds',
  'orphanDependents',
  'includeObject',
  'timeout',
]);

function listKind(type: ResourceType): string {
  return `${type.kind}List`;
}

/** Items in a real list response carry no apiVersion/kind of their own. */
function listItem(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  return rest;
}

function deleteStatus(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: obj.metadata.name,
      ...(type.group ? { group: type.group } : {}),
      kind: type.plural,
      uid: obj.metadata.uid,
    },
  };
}

// Kinds whose DELETE answers with the object (the others answer a Success Status), as the real registries do.
const RETURNS_DELETED_OBJECT = new Set([
  'Pod',
  'Namespace',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'Job',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
]);

function parseDeleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const options: DeleteOptions = {};
  if (isPlainObject(body)) {
    if (typeof body['propagationPolicy'] === 'string') options.propagationPolicy = body['propagationPolicy'];
    if (typeof body['gracePeriodSeconds'] === 'number') options.gracePeriodSeconds = body['gracePeriodSeconds'];
    if (typeof body['orphanDependents'] === 'boolean') options.orphanDependents = body['orphanDependents'];
    if (Array.isArray(body['dryRun']) && body['dryRun'].includes('All')) options.dryRun = true;
    if (isPlainObject(body['preconditions']))
      options.preconditions = body['preconditions'] as DeleteOptions['preconditions'] & object;
  }
  const propagation = query.get('propagationPolicy');
  if (propagation) options.propagationPolicy = propagation;
  const grace = query.get('gracePeriodSeconds');
  if (grace !== null) options.gracePeriodSeconds = Number(grace);
  if (query.get('orphanDependents') === 'true') options.orphanDependents = true;
  if (query.getAll('dryRun').includes('All')) options.dryRun = true;
  return options;
}

function encodeContinue(rv: string, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: offset })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; start: number } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv: string; start: number };
    return { rv: String(parsed.rv), start: Number(parsed.start) };
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data');
  }
}

export async function handleResource(
  ctx: ResourceHandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  query: URLSearchParams,
): Promise<void> {
  for (const key of query.keys())
    if (!KNOWN_QUERY.has(key)) ctx.recordGap(`unknown query parameter "${key}" (ignored)`);
  const { type, namespace, name, subresource } = route;
  const method = req.method ?? 'GET';
  const dryRun = query.getAll('dryRun').includes('All');
  const fieldManager = query.get('fieldManager') ?? undefined;
  const shape = responseShape(req.headers.accept);

  if (
    subresource &&
    subresource !== 'status' &&
    subresource !== 'scale' &&
    !(subresource === 'finalize' && type.kind === 'Namespace')
  ) {
    throw new GapError(404, `subresource "${subresource}" of ${type.plural} for ${method}`);
  }
  if (!type.verbs.includes(verbFor(method, name, query))) {
    throw methodNotAllowed(`${method} is not supported on ${type.plural}`);
  }

  if (method === 'GET' && name) {
    if (subresource === 'scale') return sendJson(res, 200, toScale(type, ctx.registry.get(type, namespace, name)));
    const obj = ctx.registry.get(type, namespace, name);
    if (shape === 'table')
      return sendJson(
        res,
        200,
        toTable(type.kind, [obj], obj.metadata.resourceVersion ?? '', query.get('includeObject') ?? 'Metadata'),
      );
    if (shape === 'partial-metadata')
      return sendJson(res, 200, {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: obj.metadata,
      });
    return sendJson(res, 200, obj);
  }

  if (method === 'GET') {
    const labelSelector = parseLabelSelector(query.get('labelSelector'));
    const fieldSelector = parseFieldSelector(query.get('fieldSelector'));
    const supported = supportedFieldLabels(type.kind);
    for (const req of fieldSelector) {
      if (!supported.includes(req.field)) {
        ctx.recordGap(`field selector "${req.field}" on ${type.plural}`);
        throw badRequest(`field label not supported: ${req.field}`);
      }
    }
    const watch = query.get('watch');
    if (watch === 'true' || watch === '1') {
      const timeout = query.get('timeoutSeconds');
      serveWatch(
        res,
        ctx.store,
        {
          type,
          ...(namespace !== undefined ? { namespace } : {}),
          labelSelector,
          fieldSelector,
          ...(query.get('resourceVersion') !== null ? { resourceVersion: query.get('resourceVersion') ?? '' } : {}),
          sendInitialEvents: query.get('sendInitialEvents') === 'true',
          allowBookmarks: query.get('allowWatchBookmarks') === 'true',
          ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
          table: shape === 'table',
          includeObject: query.get('includeObject') ?? 'Metadata',
        },
        ctx.streams,
      );
      return;
    }
    const resourceVersion = String(ctx.store.currentRevision());
    let items = ctx.registry.list(type, {
      ...(namespace !== undefined ? { namespace } : {}),
      labelSelector,
      fieldSelector,
    });
    const limit = Number(query.get('limit') ?? 0);
    const token = query.get('continue');
    const start = token ? decodeContinue(token).start : 0;
    let continueToken: string | undefined;
    let remaining = 0;
    if (limit > 0 || start > 0) {
      const end = limit > 0 ? start + limit : items.length;
      remaining = Math.max(0, items.length - end);
      if (remaining > 0) continueToken = encodeContinue(resourceVersion, end);
      items = items.slice(start, end);
    }
    const listMeta = {
      resourceVersion,
      ...(continueToken ? { continue: continueToken, remainingItemCount: remaining } : {}),
    };
    if (shape === 'table')
      return sendJson(res, 200, {
        ...toTable(type.kind, items, resourceVersion, query.get('includeObject') ?? 'Metadata'),
        metadata: listMeta,
      });
    if (shape === 'partial-metadata-list' || shape === 'partial-metadata') {
      return sendJson(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: listMeta,
        items: items.map((o) => ({
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: o.metadata,
        })),
      });
    }
    return sendJson(res, 200, {
      kind: listKind(type),
      apiVersion: apiVersionOf(type),
      metadata: listMeta,
      items: items.map(listItem),
    });
  }

  const raw = await readBody(req);

  if (method === 'POST') {
    if (name) throw new GapError(405, `POST on a named ${type.singular}${subresource ? `/${subresource}` : ''}`);
    const body = decodeObjectBody(req.headers['content-type'], raw);
    if (!isPlainObject(body)) throw badRequest('request body must be an object');
    if (type.group === 'authorization.k8s.io' || type.group === 'authentication.k8s.io')
      return sendJson(res, 201, answerReview(type, body));
    const schema = await schemaOptionsFor(type, query);
    const created = ctx.registry.create(type, namespace, body as KubeObject, {
      dryRun,
      schema,
      ...(fieldManager ? { fieldManager } : {}),
    });
    setWarnings(res, schema);
    return sendJson(res, 201, created);
  }

  if (!name) {
    if (method === 'DELETE') {
      const options = parseDeleteOptions(query, decodeObjectBody(req.headers['content-type'], raw));
      const labelSelector = parseLabelSelector(query.get('labelSelector'));
      const fieldSelector = parseFieldSelector(query.get('fieldSelector'));
      const victims = ctx.registry.list(type, {
        ...(namespace !== undefined ? { namespace } : {}),
        labelSelector,
        fieldSelector,
      });
      const deleted = victims.map((v) =>
        ctx.registry.delete(type, v.metadata.namespace, v.metadata.name ?? '', options),
      );
      return sendJson(res, 200, {
        kind: listKind(type),
        apiVersion: apiVersionOf(type),
        metadata: {},
        items: deleted.map(listItem),
      });
    }
    throw methodNotAllowed(`${method} on the ${type.plural} collection`);
  }

  if (method === 'PUT') {
    const body = decodeObjectBody(req.headers['content-type'], raw);
    if (!isPlainObject(body)) throw badRequest('request body must be an object');
    if (subresource === 'scale') return sendJson(res, 200, writeScale(ctx, route, body, dryRun));
    const schema = await schemaOptionsFor(type, query);
    const updated = ctx.registry.update(type, namespace, name, body as KubeObject, {
      dryRun,
      schema,
      ...(subresource === 'status' ? { subresource: 'status' as const } : {}),
      ...(fieldManager ? { fieldManager } : {}),
    });
    setWarnings(res, schema);
    return sendJson(res, 200, updated);
  }

  if (method === 'PATCH') {
    const { patchType, patch } = decodePatchBody(req.headers['content-type'], raw);
    if (subresource === 'scale') {
      const current = toScale(type, ctx.registry.get(type, namespace, name));
      const patched = patchType === 'json' ? applyJsonPatch(current, patch) : applyJsonMergePatch(current, patch);
      return sendJson(res, 200, writeScale(ctx, route, patched as Record<string, unknown>, dryRun));
    }
    const schema = await schemaOptionsFor(type, query);
    const { object, created } = ctx.registry.patch(type, namespace, name, patchType, patch, {
      dryRun,
      schema,
      force: query.get('force') === 'true',
      ...(subresource === 'status' ? { subresource: 'status' as const } : {}),
      ...(fieldManager ? { fieldManager } : {}),
    });
    setWarnings(res, schema);
    return sendJson(res, created ? 201 : 200, object);
  }

  if (method === 'DELETE') {
    const options = parseDeleteOptions(query, decodeObjectBody(req.headers['content-type'], raw));
    const result = ctx.registry.delete(type, namespace, name, options);
    const stillThere = ctx.registry.find(type, namespace, name) !== undefined || options.dryRun === true;
    return sendJson(
      res,
      200,
      stillThere || RETURNS_DELETED_OBJECT.has(type.kind) ? result : deleteStatus(type, result),
    );
  }

  throw methodNotAllowed(`${method} is not supported`);
}

function verbFor(method: string, name: string | undefined, query: URLSearchParams): string {
  switch (method) {
    case 'GET':
      if (name) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function selectorString(obj: KubeObject): string {
  const matchLabels = getPath(obj, 'spec.selector.matchLabels');
  return isPlainObject(matchLabels)
    ? Object.entries(matchLabels)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',')
    : '';
}

function toScale(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  if (type.kind !== 'Deployment' && type.kind !== 'ReplicaSet')
    throw new GapError(404, `scale subresource of ${type.plural}`);
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: Number(getPath(obj, 'spec.replicas') ?? 1) },
    status: { replicas: Number(getPath(obj, 'status.replicas') ?? 0), selector: selectorString(obj) },
  };
}

function writeScale(
  ctx: ResourceHandlerContext,
  route: ResourceRoute,
  scale: Record<string, unknown>,
  dryRun: boolean,
): Record<string, unknown> {
  const current = ctx.registry.get(route.type, route.namespace, route.name ?? '');
  const replicas = getPath(scale, 'spec.replicas');
  if (typeof replicas !== 'number') throw badRequest('spec.replicas must be a number');
  const next = clone(current);
  (next['spec'] as Record<string, unknown>)['replicas'] = replicas;
  const updated = ctx.registry.update(route.type, route.namespace, route.name ?? '', next, { dryRun });
  return toScale(route.type, updated);
}

function answerReview(type: ResourceType, body: Record<string, unknown>): Record<string, unknown> {
  const base = { ...body, apiVersion: apiVersionOf(type), kind: type.kind, metadata: { creationTimestamp: null } };
  if (type.kind === 'SelfSubjectAccessReview')
    return { ...base, status: { allowed: true, reason: 'kube-sim allows everything' } };
  if (type.kind === 'SelfSubjectRulesReview') {
    return {
      ...base,
      status: {
        resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
        nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
        incomplete: false,
      },
    };
  }
  return {
    ...base,
    status: { userInfo: { username: 'kube-sim-admin', groups: ['system:masters', 'system:authenticated'] } },
  };
}

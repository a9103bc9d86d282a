/**
 * Who a request is, and whether it may: authentication, impersonation, authorization, and the APIs about them.
 *
 * - The kubeconfig's own token (and no token) is the cluster admin (`system:masters`), so everything the tests did
 *   before is allowed as before. A ServiceAccount token issued here (TokenRequest, `kubectl create token`) is that
 *   ServiceAccount; any other bearer token is refused with 401, as a real API server refuses it.
 * - `Impersonate-User` / `Impersonate-Group` (kubectl `--as` / `--as-group`) switch the user when the requester may
 *   impersonate (RBAC verb `impersonate`); a ServiceAccount user gets its groups, as kube-apiserver adds them.
 * - Requests by anyone but the admin are authorized with RBAC (see rbac.ts) and refused with kube-apiserver's 403.
 * - TokenRequest (POST serviceaccounts/NAME/token) signs an RS256 JWT with a key made per simulator; TokenReview,
 *   SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview and
 *   SelfSubjectReview answer from the same state.
 *
 * Long on purpose: authentication, impersonation and the review APIs answer from one state (who issued which token,
 * which bindings apply); apart, each would need the others' internals.
 */
import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalid, notFound } from './errors.ts';
import { readBody, decodeObjectBody, sendJson } from './http/body.ts';
import { getPath, isPlainObject, timestamp } from './json.ts';
import {
  RbacAuthorizer,
  SERVICE_ACCOUNT_PREFIX,
  serviceAccountUser,
  type NonResourceAttributes,
  type ResourceAttributes,
  type UserInfo,
} from './rbac.ts';
import type { Registry } from './registry.ts';
import { apiVersionOf, qualifiedName, typeFor, type ResourceType } from './resources.ts';

export const ADMIN_TOKEN = 'kube-sim-token';
export const ADMIN_USER: UserInfo = { username: 'kube-sim-admin', groups: ['system:masters', 'system:authenticated'] };
const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** A token issued by TokenRequest, as tests see it (to check where it went, and that it went nowhere else). */
export interface IssuedToken {
  namespace: string;
  serviceAccount: string;
  token: string;
  audiences: string[];
  /** What the client asked for, and what the server granted (it may cap it). */
  requestedExpirationSeconds: number;
  expirationSeconds: number;
  expirationTimestamp: string;
}

export interface AuthOptions {
  /** Longest token lifetime the server grants (kube-apiserver `--service-account-max-token-expiration`); default none. */
  maxTokenExpirationSeconds?: number;
}

export interface ResourceRequest {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function forbiddenError(
  user: UserInfo,
  attrs: ResourceAttributes | NonResourceAttributes,
  type?: ResourceType,
): ApiError {
  if ('path' in attrs)
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User "${user.username}" cannot ${attrs.verb} path "${attrs.path}"`,
    );
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const where = attrs.namespace ? `in the namespace "${attrs.namespace}"` : 'at the cluster scope';
  const what = type ? qualifiedName(type) : attrs.group ? `${attrs.resource}.${attrs.group}` : attrs.resource;
  return new ApiError(
    403,
    'Forbidden',
    `${what}${attrs.name ? ` "${attrs.name}"` : ''} is forbidden: User "${user.username}" cannot ${attrs.verb} resource "${resource}" in API group "${attrs.group}" ${where}`,
    {
      ...(attrs.name ? { name: attrs.name } : {}),
      ...(attrs.group ? { group: attrs.group } : {}),
      kind: attrs.resource,
    },
  );
}

function verbOf(method: string, route: ResourceRequest, query: URLSearchParams, upgrade: boolean): string {
  if (upgrade) return 'create';
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (route.name) return 'get';
      return query.get('watch') === 'true' || query.get('watch') === '1' ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

export class Auth {
  readonly rbac: RbacAuthorizer;
  readonly tokens: IssuedToken[] = [];
  private readonly registry: Registry;
  private readonly options: AuthOptions;
  private readonly users = new WeakMap<IncomingMessage, UserInfo>();
  private keys?: { privateKey: KeyObject; publicKey: KeyObject; kid: string };

  constructor(registry: Registry, options: AuthOptions = {}) {
    this.registry = registry;
    this.options = options;
    this.rbac = new RbacAuthorizer(registry);
  }

  /** The user a request was authenticated (and maybe impersonated) as; the admin before `guard` has run. */
  userOf(req: IncomingMessage): UserInfo {
    return this.users.get(req) ?? ADMIN_USER;
  }

  /**
   * Authenticates, applies impersonation and authorizes one request; throws the ApiError to answer with. Routes it
   * cannot classify as a resource are non-resource URLs (discovery, OpenAPI, /version).
   */
  guard(req: IncomingMessage, url: URL, route: ResourceRequest | undefined, upgrade = false): void {
    let user = this.authenticate(req);
    user = this.impersonate(req, user);
    this.users.set(req, user);
    if (user.groups.includes('system:masters')) return;
    const method = req.method ?? 'GET';
    const attrs: ResourceAttributes | NonResourceAttributes = route
      ? {
          verb: verbOf(method, route, url.searchParams, upgrade),
          group: route.type.group,
          resource: route.type.plural,
          ...(route.subresource ? { subresource: route.subresource } : {}),
          // A namespace's own URL is in that namespace, as kube-apiserver's request info has it.
          ...(route.namespace
            ? { namespace: route.namespace }
            : route.type.kind === 'Namespace' && route.name
              ? { namespace: route.name }
              : {}),
          ...(route.name ? { name: route.name } : {}),
        }
      : { verb: method === 'GET' || method === 'HEAD' ? 'get' : method.toLowerCase(), path: url.pathname };
    if (!this.rbac.authorize(user, attrs).allowed) throw forbiddenError(user, attrs, route?.type);
  }

  private authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    if (header === undefined) return ADMIN_USER;
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (token === ADMIN_TOKEN) return ADMIN_USER;
    const user = token ? this.verifyToken(token) : undefined;
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user.user;
  }

  private impersonate(req: IncomingMessage, requester: UserInfo): UserInfo {
    const asUser = req.headers['impersonate-user'];
    const rawGroups = req.headers['impersonate-group'];
    const asGroups = (Array.isArray(rawGroups) ? rawGroups : rawGroups ? [rawGroups] : []).flatMap((g) =>
      g.split(',').map((s) => s.trim()),
    );
    if (asUser === undefined && asGroups.length === 0) return requester;
    const username = String(asUser ?? '');
    if (!username)
      throw new ApiError(
        500,
        'InternalError',
        'Internal error occurred: requested [Impersonate-Group] without impersonating a user',
      );
    const isServiceAccount = username.startsWith(SERVICE_ACCOUNT_PREFIX);
    const [namespace = '', name = ''] = isServiceAccount
      ? username.slice(SERVICE_ACCOUNT_PREFIX.length).split(':')
      : [];
    const checks: ResourceAttributes[] = [
      isServiceAccount
        ? { verb: 'impersonate', group: '', resource: 'serviceaccounts', namespace, name }
        : { verb: 'impersonate', group: '', resource: 'users', name: username },
      ...asGroups.map((group) => ({ verb: 'impersonate', group: '', resource: 'groups', name: group })),
    ];
    for (const check of checks) {
      if (!requester.groups.includes('system:masters') && !this.rbac.authorize(requester, check).allowed) {
        throw new ApiError(
          403,
          'Forbidden',
          `${check.resource} "${check.name ?? ''}" is forbidden: User "${requester.username}" cannot impersonate resource "${check.resource}" in API group "" ${check.namespace ? `in the namespace "${check.namespace}"` : 'at the cluster scope'}`,
        );
      }
    }
    const groups =
      asGroups.length > 0
        ? [...asGroups]
        : isServiceAccount
          ? serviceAccountUser(namespace, name).groups.filter((g) => g !== 'system:authenticated')
          : [];
    if (!groups.includes('system:authenticated') && username !== 'system:anonymous')
      groups.push('system:authenticated');
    return { username, groups };
  }

  private signingKeys(): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
    // Made on first use: most simulators never issue a token, and an RSA key costs tens of milliseconds.
    if (!this.keys) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const kid = createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64url');
      this.keys = { privateKey, publicKey, kid };
    }
    return this.keys;
  }

  /** The public key tokens are signed with (PEM), for tests that verify a token as a relying party would. */
  publicKeyPem(): string {
    return this.signingKeys().publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  private verifyToken(token: string): { user: UserInfo; audiences: string[] } | undefined {
    const [header, payload, signature] = token.split('.');
    if (!header || !payload || !signature || !this.keys) return undefined;
    if (
      !verify(
        'RSA-SHA256',
        Buffer.from(`${header}.${payload}`),
        this.keys.publicKey,
        Buffer.from(signature, 'base64url'),
      )
    )
      return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp: number;
      nbf: number;
      aud: string[];
      'kubernetes.io'?: { namespace: string; serviceaccount: { name: string; uid: string } };
    };
    const now = Math.floor(Date.now() / 1000);
    if (claims.exp <= now || claims.nbf > now + 60) return undefined;
    const sa = claims['kubernetes.io'];
    if (!sa) return undefined;
    // A token is bound to its ServiceAccount: deleting (or recreating) the account invalidates it.
    const account = this.registry.find(typeFor('v1', 'ServiceAccount'), sa.namespace, sa.serviceaccount.name);
    if (!account || account.metadata.uid !== sa.serviceaccount.uid) return undefined;
    return {
      user: serviceAccountUser(sa.namespace, sa.serviceaccount.name, sa.serviceaccount.uid),
      audiences: claims.aud,
    };
  }

  /** Answers the auth APIs; returns false for every other request. */
  async intercept(req: IncomingMessage, res: ServerResponse, route: ResourceRequest): Promise<boolean> {
    const method = req.method ?? 'GET';
    const { type } = route;
    if (type.kind === 'ServiceAccount' && route.subresource === 'token' && route.name && method === 'POST') {
      sendJson(res, 201, this.issueToken(route.namespace ?? 'default', route.name, await this.body(req)));
      return true;
    }
    const reviews = [
      'TokenReview',
      'SelfSubjectAccessReview',
      'SubjectAccessReview',
      'LocalSubjectAccessReview',
      'SelfSubjectRulesReview',
      'SelfSubjectReview',
    ];
    if (!reviews.includes(type.kind) || method !== 'POST') return false;
    const body = await this.body(req);
    const user = this.userOf(req);
    const answer = {
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: { creationTimestamp: null, ...(route.namespace ? { namespace: route.namespace } : {}) },
      ...(isPlainObject(body['spec']) ? { spec: body['spec'] } : {}),
    };
    const spec = isPlainObject(body['spec']) ? body['spec'] : {};
    switch (type.kind) {
      case 'TokenReview': {
        const verified = typeof spec['token'] === 'string' ? this.verifyToken(spec['token']) : undefined;
        const { token: _token, ...specWithoutToken } = spec;
        sendJson(res, 201, {
          ...answer,
          spec: specWithoutToken,
          status: verified
            ? { authenticated: true, user: verified.user, audiences: verified.audiences }
            : { user: {}, error: 'invalid bearer token, token could not be verified' },
        });
        return true;
      }
      case 'SelfSubjectReview':
        sendJson(res, 201, { ...answer, status: { userInfo: user } });
        return true;
      case 'SelfSubjectRulesReview': {
        const namespace = String(spec['namespace'] ?? 'default');
        sendJson(res, 201, { ...answer, status: { ...this.rbac.rulesFor(user, namespace), incomplete: false } });
        return true;
      }
      default: {
        const subject: UserInfo =
          type.kind === 'SelfSubjectAccessReview'
            ? user
            : {
                username: String(spec['user'] ?? ''),
                groups: Array.isArray(spec['groups']) ? spec['groups'].map(String) : [],
              };
        const resourceAttributes = spec['resourceAttributes'];
        const nonResource = spec['nonResourceAttributes'];
        const attrs: ResourceAttributes | NonResourceAttributes | undefined = isPlainObject(resourceAttributes)
          ? {
              verb: String(resourceAttributes['verb'] ?? ''),
              group: String(resourceAttributes['group'] ?? ''),
              resource: String(resourceAttributes['resource'] ?? ''),
              ...(resourceAttributes['subresource'] ? { subresource: String(resourceAttributes['subresource']) } : {}),
              ...((route.namespace ?? resourceAttributes['namespace'])
                ? { namespace: String(route.namespace ?? resourceAttributes['namespace']) }
                : {}),
              ...(resourceAttributes['name'] ? { name: String(resourceAttributes['name']) } : {}),
            }
          : isPlainObject(nonResource)
            ? { verb: String(nonResource['verb'] ?? ''), path: String(nonResource['path'] ?? '') }
            : undefined;
        if (!attrs)
          throw invalid(type, '', [
            {
              field: 'spec.resourceAttributes',
              message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified',
              reason: 'FieldValueRequired',
            },
          ]);
        const decision = subject.groups.includes('system:masters')
          ? { allowed: true, reason: '' }
          : this.rbac.authorize(subject, attrs);
        sendJson(res, 201, {
          ...answer,
          status: { allowed: decision.allowed, ...(decision.reason ? { reason: decision.reason } : {}) },
        });
        return true;
      }
    }
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const decoded = decodeObjectBody(req.headers['content-type'], await readBody(req));
    return isPlainObject(decoded) ? decoded : {};
  }

  private issueToken(namespace: string, name: string, body: Record<string, unknown>): Record<string, unknown> {
    const tokenRequest: ResourceType = {
      ...typeFor('v1', 'ServiceAccount'),
      group: 'authentication.k8s.io',
      kind: 'TokenRequest',
    };
    const account = this.registry.find(typeFor('v1', 'ServiceAccount'), namespace, name);
    if (!account) throw notFound(typeFor('v1', 'ServiceAccount'), name);
    const requested = Number(getPath(body, 'spec.expirationSeconds') ?? 3600);
    if (!Number.isInteger(requested) || requested < MIN_EXPIRATION_SECONDS) {
      throw invalid(tokenRequest, name, [
        {
          field: 'spec.expirationSeconds',
          message: `Invalid value: ${requested}: may not specify a duration less than 10 minutes`,
          reason: 'FieldValueInvalid',
        },
      ]);
    }
    if (requested > MAX_EXPIRATION_SECONDS) {
      throw invalid(tokenRequest, name, [
        {
          field: 'spec.expirationSeconds',
          message: `Invalid value: ${requested}: may not specify a duration larger than 2^32 seconds`,
          reason: 'FieldValueInvalid',
        },
      ]);
    }
    const granted =
      this.options.maxTokenExpirationSeconds !== undefined
        ? Math.min(requested, this.options.maxTokenExpirationSeconds)
        : requested;
    const audienceList = getPath(body, 'spec.audiences');
    const audiences = Array.isArray(audienceList) && audienceList.length > 0 ? audienceList.map(String) : [ISSUER];
    const now = Math.floor(Date.now() / 1000);
    const { privateKey, kid } = this.signingKeys();
    const claims = {
      aud: audiences,
      exp: now + granted,
      iat: now,
      iss: ISSUER,
      jti: randomUUID(),
      'kubernetes.io': { namespace, serviceaccount: { name, uid: account.metadata.uid ?? '' } },
      nbf: now,
      sub: `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`,
    };
    const unsigned = `${base64url(JSON.stringify({ alg: 'RS256', kid }))}.${base64url(JSON.stringify(claims))}`;
    const token = `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
    const expirationTimestamp = timestamp(new Date((now + granted) * 1000));
    this.tokens.push({
      namespace,
      serviceAccount: name,
      token,
      audiences,
      requestedExpirationSeconds: requested,
      expirationSeconds: granted,
      expirationTimestamp,
    });
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name, namespace, creationTimestamp: timestamp() },
      spec: { audiences, expirationSeconds: granted, boundObjectRef: getPath(body, 'spec.boundObjectRef') ?? null },
      status: { token, expirationTimestamp },
    };
  }
}

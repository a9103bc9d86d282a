/**
 * Decoding of Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`). client-go's typed clients
 * send them: helm's release storage (Secrets, DeleteOptions) and kubectl's `create secret|configmap|namespace|
 * serviceaccount` and `auth can-i|whoami`. A body is the magic `k8s\0` followed by a `runtime.Unknown`
 * { typeMeta{apiVersion, kind}, raw, contentEncoding, contentType } whose `raw` holds the object.
 *
 * Messages are described as tables of field number -> (JSON name, type), copied from k8s.io/api and
 * k8s.io/apimachinery `generated.proto`. Kinds without a table (Deployments, Jobs... whose pod specs would need
 * hundreds of fields) are a 415 gap: use `kubectl apply`, which sends JSON.
 */
import { GapError } from './errors.ts';
import { timestamp } from './json.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType =
  /** Known and deliberately dropped (server-owned fields a client echoes back). */
  'ignore' | 'string' | 'int' | 'bool' | 'bytes' | 'time' | { message: MessageSchema } | { map: 'string' | 'bytes' };

/** field number -> [JSON name, type, repeated?] */
type MessageSchema = Record<number, readonly [string, FieldType, 'repeated'?]>;

interface Field {
  number: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readVarint(buf: Buffer, offset: number): { value: bigint; next: number } {
  let result = 0n;
  let shift = 0n;
  let pos = offset;
  for (;;) {
    const byte = buf[pos];
    if (byte === undefined) throw new GapError(415, 'truncated protobuf varint');
    pos += 1;
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value: result, next: pos };
    shift += 7n;
  }
}

function parseFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    pos = tag.next;
    const number = Number(tag.value >> 3n);
    const wireType = Number(tag.value & 7n);
    if (wireType === 0) {
      const v = readVarint(buf, pos);
      pos = v.next;
      fields.push({ number, varint: v.value });
    } else if (wireType === 2) {
      const len = readVarint(buf, pos);
      const end = len.next + Number(len.value);
      fields.push({ number, bytes: buf.subarray(len.next, end) });
      pos = end;
    } else if (wireType === 1 || wireType === 5) {
      pos += wireType === 1 ? 8 : 4;
    } else {
      throw new GapError(415, `protobuf wire type ${wireType}`);
    }
  }
  return fields;
}

const EMPTY = Buffer.alloc(0);

function decodeValue(field: Field, type: Exclude<FieldType, 'ignore'>, path: string): unknown {
  const bytes = field.bytes ?? EMPTY;
  if (type === 'string') return bytes.toString('utf8');
  if (type === 'bytes') return bytes.toString('base64');
  if (type === 'int') return Number(BigInt.asIntN(64, field.varint ?? 0n));
  if (type === 'bool') return (field.varint ?? 0n) !== 0n;
  if (type === 'time') {
    const seconds = parseFields(bytes).find((f) => f.number === 1);
    return timestamp(new Date(Number(seconds?.varint ?? 0n) * 1000));
  }
  if ('message' in type) return decodeMessage(bytes, type.message, path);
  let key = '';
  let value: Buffer = EMPTY;
  for (const sub of parseFields(bytes)) {
    if (sub.number === 1) key = (sub.bytes ?? EMPTY).toString('utf8');
    if (sub.number === 2) value = sub.bytes ?? EMPTY;
  }
  return [key, type.map === 'bytes' ? value.toString('base64') : value.toString('utf8')];
}

function decodeMessage(buf: Buffer, schema: MessageSchema, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of parseFields(buf)) {
    const spec = schema[field.number];
    // Dropping a field silently would make the simulator lie about what the client sent.
    if (!spec) throw new GapError(415, `protobuf field number ${field.number} of ${path} is not decoded`);
    const [name, type, repeated] = spec;
    if (type === 'ignore') continue;
    const value = decodeValue(field, type, `${path}.${name}`);
    if (typeof type === 'object' && 'map' in type) {
      const [key, mapped] = value as [string, string];
      out[name] = { ...(out[name] as Record<string, string> | undefined), [key]: mapped };
    } else if (repeated) {
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), value];
    } else {
      out[name] = value;
    }
  }
  return out;
}

const OWNER_REFERENCE: MessageSchema = {
  1: ['kind', 'string'],
  3: ['name', 'string'],
  4: ['uid', 'string'],
  5: ['apiVersion', 'string'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};

const OBJECT_META: MessageSchema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  4: ['selfLink', 'ignore'],
  5: ['uid', 'string'],
  6: ['resourceVersion', 'string'],
  7: ['generation', 'int'],
  8: ['creationTimestamp', 'time'],
  9: ['deletionTimestamp', 'ignore'],
  10: ['deletionGracePeriodSeconds', 'ignore'],
  11: ['labels', { map: 'string' }],
  12: ['annotations', { map: 'string' }],
  13: ['ownerReferences', { message: OWNER_REFERENCE }, 'repeated'],
  14: ['finalizers', 'string', 'repeated'],
  17: ['managedFields', 'ignore'],
};

const META = { message: OBJECT_META } as const;
const POLICY_RULE: MessageSchema = {
  1: ['verbs', 'string', 'repeated'],
  2: ['apiGroups', 'string', 'repeated'],
  3: ['resources', 'string', 'repeated'],
  4: ['resourceNames', 'string', 'repeated'],
  5: ['nonResourceURLs', 'string', 'repeated'],
};
const LABEL_SELECTOR: MessageSchema = {
  1: ['matchLabels', { map: 'string' }],
  2: [
    'matchExpressions',
    { message: { 1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', 'repeated'] } },
    'repeated',
  ],
};
const SUBJECT: MessageSchema = {
  1: ['kind', 'string'],
  2: ['apiGroup', 'string'],
  3: ['name', 'string'],
  4: ['namespace', 'string'],
};
const ROLE_REF: MessageSchema = { 1: ['apiGroup', 'string'], 2: ['kind', 'string'], 3: ['name', 'string'] };
const NAME_ONLY: MessageSchema = { 1: ['name', 'string'] };

const SCHEMAS: Record<string, MessageSchema> = {
  'v1/Secret': {
    1: ['metadata', META],
    2: ['data', { map: 'bytes' }],
    3: ['type', 'string'],
    4: ['stringData', { map: 'string' }],
    5: ['immutable', 'bool'],
  },
  'v1/ConfigMap': {
    1: ['metadata', META],
    2: ['data', { map: 'string' }],
    3: ['binaryData', { map: 'bytes' }],
    4: ['immutable', 'bool'],
  },
  // Go always encodes non-pointer struct fields such as `status`, empty or not.
  'v1/Namespace': {
    1: ['metadata', META],
    2: ['spec', { message: { 1: ['finalizers', 'string', 'repeated'] } }],
    3: ['status', 'ignore'],
  },
  'v1/ServiceAccount': {
    1: ['metadata', META],
    2: [
      'secrets',
      { message: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'] } },
      'repeated',
    ],
    3: ['imagePullSecrets', { message: NAME_ONLY }, 'repeated'],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'meta.k8s.io/v1/DeleteOptions': {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', { message: { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] } }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', 'string', 'repeated'],
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: ['metadata', META],
    2: [
      'spec',
      {
        message: {
          1: [
            'resourceAttributes',
            {
              message: {
                1: ['namespace', 'string'],
                2: ['verb', 'string'],
                3: ['group', 'string'],
                4: ['version', 'string'],
                5: ['resource', 'string'],
                6: ['subresource', 'string'],
                7: ['name', 'string'],
              },
            },
          ],
          2: ['nonResourceAttributes', { message: { 1: ['path', 'string'], 2: ['verb', 'string'] } }],
        },
      },
    ],
    3: ['status', 'ignore'],
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: ['metadata', META],
    2: ['spec', { message: { 1: ['namespace', 'string'] } }],
    3: ['status', 'ignore'],
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: ['metadata', META], 2: ['status', 'ignore'] },
  // kubectl create token
  'authentication.k8s.io/v1/TokenRequest': {
    1: ['metadata', META],
    2: [
      'spec',
      {
        message: {
          1: ['audiences', 'string', 'repeated'],
          3: [
            'boundObjectRef',
            {
              message: {
                1: ['kind', 'string'],
                2: ['apiVersion', 'string'],
                3: ['name', 'string'],
                4: ['uid', 'string'],
              },
            },
          ],
          4: ['expirationSeconds', 'int'],
        },
      },
    ],
    3: ['status', 'ignore'],
  },
  'authentication.k8s.io/v1/TokenReview': {
    1: ['metadata', META],
    2: ['spec', { message: { 1: ['token', 'string'], 2: ['audiences', 'string', 'repeated'] } }],
    3: ['status', 'ignore'],
  },
  // kubectl create role|clusterrole|rolebinding|clusterrolebinding
  'rbac.authorization.k8s.io/v1/Role': { 1: ['metadata', META], 2: ['rules', { message: POLICY_RULE }, 'repeated'] },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    1: ['metadata', META],
    2: ['rules', { message: POLICY_RULE }, 'repeated'],
    3: ['aggregationRule', { message: { 1: ['clusterRoleSelectors', { message: LABEL_SELECTOR }, 'repeated'] } }],
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': {
    1: ['metadata', META],
    2: ['subjects', { message: SUBJECT }, 'repeated'],
    3: ['roleRef', { message: ROLE_REF }],
  },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': {
    1: ['metadata', META],
    2: ['subjects', { message: SUBJECT }, 'repeated'],
    3: ['roleRef', { message: ROLE_REF }],
  },
};
for (const kind of ['SubjectAccessReview', 'LocalSubjectAccessReview']) {
  const review = SCHEMAS['authorization.k8s.io/v1/SelfSubjectAccessReview'] ?? {};
  const spec = review[2]?.[1];
  const specFields = spec && typeof spec === 'object' && 'message' in spec ? spec.message : {};
  SCHEMAS[`authorization.k8s.io/v1/${kind}`] = {
    ...review,
    2: [
      'spec',
      {
        message: {
          ...specFields,
          3: ['user', 'string'],
          4: ['groups', 'string', 'repeated'],
          5: ['extra', 'ignore'],
          6: ['uid', 'string'],
        },
      },
    ],
  };
}
SCHEMAS['v1/DeleteOptions'] = SCHEMAS['meta.k8s.io/v1/DeleteOptions'] ?? {};

export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new GapError(415, 'protobuf body without the k8s\\0 magic prefix');
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = EMPTY;
  for (const f of parseFields(body.subarray(4))) {
    if (f.number === 1) {
      for (const t of parseFields(f.bytes ?? EMPTY)) {
        if (t.number === 1) apiVersion = (t.bytes ?? EMPTY).toString('utf8');
        if (t.number === 2) kind = (t.bytes ?? EMPTY).toString('utf8');
      }
    } else if (f.number === 2) {
      raw = f.bytes ?? EMPTY;
    } else if (f.number === 3 && (f.bytes ?? EMPTY).length > 0) {
      throw new GapError(415, `protobuf contentEncoding "${(f.bytes ?? EMPTY).toString('utf8')}"`);
    }
  }
  const schema = SCHEMAS[`${apiVersion}/${kind}`];
  if (!schema) {
    throw new GapError(
      415,
      `protobuf body of ${apiVersion} ${kind} (only Secret, ConfigMap, Namespace, ServiceAccount, DeleteOptions, RBAC objects, tokens and access reviews are decoded; kubectl apply sends JSON)`,
    );
  }
  return { apiVersion, kind, ...decodeMessage(raw, schema, kind) };
}

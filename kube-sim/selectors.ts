/**
 * Label and field selectors: the query-string syntax (`app=web,tier in (a,b),!legacy`) and the
 * `metav1.LabelSelector` object (`matchLabels` + `matchExpressions`) that Jobs, Deployments and ReplicaSets carry.
 */
import { badRequest } from './errors.ts';
import { getPath, isPlainObject } from './json.ts';

export type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type LabelSelector = LabelRequirement[];

const KEY_PATTERN = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, whole: string): string {
  if (!KEY_PATTERN.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text) return [];
  return splitTopLevel(text).map((part): LabelRequirement => {
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
    if (setMatch) {
      const values = (setMatch[3] ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: checkKey(setMatch[1] ?? '', text), op: setMatch[2] === 'in' ? 'in' : 'notin', values };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), text), op: 'notexists' };
    const eqMatch = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (eqMatch) {
      return {
        key: checkKey(eqMatch[1] ?? '', text),
        op: eqMatch[2] === '!=' ? 'neq' : 'eq',
        value: (eqMatch[3] ?? '').trim(),
      };
    }
    return { key: checkKey(part, text), op: 'exists' };
  });
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const actual = labels ?? {};
  return selector.every((req) => {
    const has = Object.hasOwn(actual, req.key);
    const value = actual[req.key];
    switch (req.op) {
      case 'eq':
        return has && value === req.value;
      case 'neq':
        return !has || value !== req.value;
      case 'in':
        return has && req.values.includes(value ?? '');
      case 'notin':
        return !has || !req.values.includes(value ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** `metav1.LabelSelector` as stored in specs. An empty selector matches everything, a missing one nothing. */
export function labelSelectorFromObject(selector: unknown): LabelSelector | undefined {
  if (!isPlainObject(selector)) return undefined;
  const requirements: LabelSelector = [];
  const matchLabels = selector['matchLabels'];
  if (isPlainObject(matchLabels)) {
    for (const [key, value] of Object.entries(matchLabels)) requirements.push({ key, op: 'eq', value: String(value) });
  }
  const expressions = selector['matchExpressions'];
  if (Array.isArray(expressions)) {
    for (const expr of expressions) {
      if (!isPlainObject(expr)) continue;
      const key = String(expr['key']);
      const values = Array.isArray(expr['values']) ? expr['values'].map(String) : [];
      switch (expr['operator']) {
        case 'In':
          requirements.push({ key, op: 'in', values });
          break;
        case 'NotIn':
          requirements.push({ key, op: 'notin', values });
          break;
        case 'Exists':
          requirements.push({ key, op: 'exists' });
          break;
        case 'DoesNotExist':
          requirements.push({ key, op: 'notexists' });
          break;
      }
    }
  }
  return requirements;
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

function unescapeFieldValue(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string | null | undefined): FieldRequirement[] {
  if (!text) return [];
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i += 1;
    } else if (ch === ',') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts
    .filter((p) => p.trim() !== '')
    .map((part) => {
      const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(part);
      if (!match) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
      return {
        field: (match[1] ?? '').trim(),
        op: match[2] === '!=' ? 'neq' : 'eq',
        value: unescapeFieldValue(match[3] ?? ''),
      };
    });
}

/** Field labels each kind supports, as registered by the real API server (plus metadata.name/namespace everywhere). */
const FIELD_LABELS: Record<string, string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  Job: ['status.successful'],
  ReplicaSet: ['status.replicas'],
  PersistentVolume: [],
  PersistentVolumeClaim: [],
};

export function supportedFieldLabels(kind: string): string[] {
  return ['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[kind] ?? [])];
}

function fieldValue(object: Record<string, unknown>, field: string): string {
  if (field === 'source') return String(getPath(object, 'source.component') ?? '');
  if (field === 'status.successful') return String(getPath(object, 'status.succeeded') ?? '0');
  if (field === 'spec.hostNetwork') return String(getPath(object, 'spec.hostNetwork') ?? false);
  if (field === 'spec.unschedulable') return String(getPath(object, 'spec.unschedulable') ?? false);
  const value = getPath(object, field);
  return value === undefined || value === null ? '' : String(value);
}

export function matchesFields(requirements: FieldRequirement[], object: Record<string, unknown>): boolean {
  return requirements.every((req) => {
    const actual = fieldValue(object, req.field);
    return req.op === 'eq' ? actual === req.value : actual !== req.value;
  });
}

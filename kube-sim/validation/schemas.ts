/**
 * The Kubernetes schemas, from the npm package `kubernetes-models` (pinned): one compiled validator per kind,
 * generated from the Kubernetes OpenAPI definitions, which checks types, formats, enums and required fields. The
 * validators are imported the first time a kind is written (about 100 ms for the first one, a few ms for each
 * further kind) and kept for the process.
 *
 * For the Go names in the real decoder's messages (`Go struct field DeploymentSpec.spec.replicas of type int32`),
 * the package's type declarations are read, only when such a message is needed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceType } from '../resources.ts';

export interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

export type Validator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

// Groups whose kinds kubernetes-models carries, and the word its definition names use for each.
const GROUP_WORDS: Record<string, string> = {
  '': 'Core',
  apps: 'Apps',
  batch: 'Batch',
  policy: 'Policy',
  autoscaling: 'Autoscaling',
  'networking.k8s.io': 'Networking',
  'rbac.authorization.k8s.io': 'Rbac',
  'storage.k8s.io': 'Storage',
  'discovery.k8s.io': 'Discovery',
  'coordination.k8s.io': 'Coordination',
  'scheduling.k8s.io': 'Scheduling',
  'authorization.k8s.io': 'Authorization',
  'authentication.k8s.io': 'Authentication',
};

const capitalized = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

/** `IoK8sApiAppsV1Deployment`: the definition name of a kind, or undefined for groups the package lacks. */
export function definitionName(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): string | undefined {
  const word = GROUP_WORDS[type.group];
  return word === undefined ? undefined : `IoK8sApi${word}${capitalized(type.version)}${type.kind}`;
}

const loaded = new Map<string, Validator | null>();
const loading = new Map<string, Promise<void>>();

/** Imports the validator of a kind once; kinds without one (custom resources) are left unvalidated. */
export function loadValidator(type: ResourceType): Promise<void> {
  const name = definitionName(type);
  if (name === undefined || loaded.has(name)) return Promise.resolve();
  let pending = loading.get(name);
  if (!pending) {
    pending = import(`kubernetes-models/_schemas/${name}`).then(
      (module: { validate: Validator }) => void loaded.set(name, module.validate),
      () => void loaded.set(name, null),
    );
    loading.set(name, pending);
  }
  return pending;
}

/** The loaded validator (synchronous: callers await `loadValidator` first). */
export function validatorFor(type: ResourceType): Validator | undefined {
  const name = definitionName(type);
  return name === undefined ? undefined : (loaded.get(name) ?? undefined);
}

interface Declaration {
  /** `DeploymentSpec`. */
  name: string;
  /** Property name -> its declared TypeScript type, e.g. `number`, `Array<IIoK8sApiCoreV1Container>`. */
  properties: Map<string, string>;
  /** Referenced interface name -> module file it is declared in. */
  imports: Map<string, string>;
  file: string;
}

const declarations = new Map<string, Declaration>();

function parseDeclaration(file: string): Declaration {
  const cached = declarations.get(file);
  if (cached) return cached;
  const text = readFileSync(file, 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
  const imports = new Map<string, string>();
  for (const match of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    const from = match[2] ?? '';
    const target = from.startsWith('.')
      ? fileURLToPath(new URL(from.replace(/\.js$/, '.d.ts'), `file://${file}`))
      : fileURLToPath(import.meta.resolve(from)).replace(/\.js$/, '.d.ts');
    for (const name of (match[1] ?? '').split(',').map((n) => n.trim())) imports.set(name, target);
  }
  const body = /export interface I(\w+)(?: extends [\w, ]+)? \{([\s\S]*?)\n\}/.exec(text);
  const properties = new Map<string, string>();
  for (const prop of (body?.[2] ?? '').matchAll(/"([^"]+)"\??: ((?:\{[^}]*\})|[^;]+);/g))
    properties.set(prop[1] ?? '', (prop[2] ?? '').replace(/\s+/g, ' ').trim());
  const declaration = { name: body?.[1] ?? '', properties, imports, file };
  declarations.set(file, declaration);
  return declaration;
}

function modelFile(type: ResourceType): string {
  const groupPath = type.group === '' ? '' : `${type.group}/`;
  return fileURLToPath(import.meta.resolve(`kubernetes-models/${groupPath}${type.version}/${type.kind}`)).replace(
    /\.js$/,
    '.d.ts',
  );
}

/** `v1.Container`, `intstr.IntOrString`: how Go's reflect names the type of a definition. */
function goNameOfReference(reference: string): string {
  const special: Record<string, string> = {
    IntOrString: 'intstr.IntOrString',
    Quantity: 'resource.Quantity',
    RawExtension: 'runtime.RawExtension',
  };
  const version = /V\d+(?:(?:alpha|beta)\d+)?(?=[A-Z])/.exec(reference.replace(/^IIoK8s/, ''));
  const name = version
    ? reference.slice(reference.indexOf(version[0], 6) + version[0].length)
    : reference.replace(/^.*(IntOrString|Quantity|RawExtension)$/, '$1');
  return special[name] ?? `${version ? version[0].toLowerCase() : 'v1'}.${name}`;
}

export interface GoField {
  /** The struct holding the field, e.g. `DeploymentSpec`. */
  struct: string;
  /** The struct fields from the root, as the decoder names them (no list indices, no map keys): `spec.replicas`. */
  field: string;
  /** The field's Go type as reflect prints it, e.g. `int32`, `[]v1.Container`, `map[string]string`. */
  type: string;
}

/**
 * The Go struct and type of the value at `path` in a kind (indices step into lists, keys into maps). `numberType`
 * is the Go number type the schema's format names for a number there.
 */
export function goFieldAt(type: ResourceType, path: Array<string | number>, numberType: string): GoField | undefined {
  let declaration = parseDeclaration(modelFile(type));
  let struct = declaration.name;
  let declared: string | undefined;
  const fields: string[] = [];
  for (const segment of path) {
    if (declared !== undefined) {
      const array = /^Array<(.+)>$/.exec(declared);
      const map = /^\{ \[key: string\]: (.+); \}$/.exec(declared);
      if (array || map) {
        if ((array && typeof segment !== 'number') || (map && typeof segment !== 'string')) return undefined;
        declared = (array ?? map)?.[1];
        continue;
      }
      const file = declaration.imports.get(declared);
      if (!file) return undefined;
      declaration = parseDeclaration(file);
    }
    if (typeof segment === 'number') return undefined;
    struct = declaration.name;
    declared = declaration.properties.get(segment);
    fields.push(segment);
    if (declared === undefined) return undefined;
  }
  return declared === undefined ? undefined : { struct, field: fields.join('.'), type: goType(declared, numberType) };
}

function goType(declared: string, numberType: string): string {
  const array = /^Array<(.+)>$/.exec(declared);
  if (array) return `[]${goType(array[1] ?? '', numberType)}`;
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(declared);
  if (map) return `map[string]${goType(map[1] ?? '', numberType)}`;
  if (declared === 'number') return numberType;
  if (declared === 'boolean') return 'bool';
  if (declared === 'string' || declared.startsWith('"')) return 'string';
  return goNameOfReference(declared);
}

/**
 * Kubernetes and Helm name rules, checked before any command runs. Besides clear errors, this matters for safety:
 * a value that starts with `-` would be read by helm or kubectl as an option (`--kubeconfig=…`).
 */
import { plural } from './wording.ts';

/** RFC 1123 label: namespaces, release names, most object names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Helm refuses release names longer than 53 characters (it appends suffixes to them). */
export const HELM_RELEASE_MAX = 53;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** Why `name` is not a valid Helm release name, or undefined when it is. */
export function releaseNameProblem(name: string): string | undefined {
  if (!DNS_LABEL.test(name))
    return `"${name}" is not a valid release name: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  if (name.length > HELM_RELEASE_MAX)
    return `"${name}" is ${plural(name.length, 'character')} long; Helm allows at most ${HELM_RELEASE_MAX}`;
  return undefined;
}

/** Secret data keys: what the API server accepts (and what an env var name needs to be usable). */
export const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

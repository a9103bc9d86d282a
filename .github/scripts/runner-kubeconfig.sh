#!/usr/bin/env bash
# The deploy jobs' kubeconfig, from the KUBE_CONFIG secret.
#
#   runner-kubeconfig.sh write   KUBE_CONFIG (the base64 that `base64 < kubeconfig.yaml` prints, or the raw YAML)
#                                → $RUNNER_TEMP/deckhand-kubeconfig, mode 0600; KUBECONFIG=<that file> in $GITHUB_ENV
#   runner-kubeconfig.sh remove  deletes it (the workflows run this with `if: always()`: a failed deploy removes it too)
#
# (Not named kubeconfig.sh: .gitignore ignores kubeconfig* so that no downloaded kubeconfig is ever committed.)
#
# The file lives outside the workspace so no later step can upload, cache or commit it with the checkout. GitHub masks
# the secret as it was stored, not what it decodes to: the credentials inside (token, client key, password) are
# masked here with ::add-mask:: before any later step can print them. Nothing here prints the secret or its parts —
# keep `set -x` out of this file.
set -euo pipefail

file="${RUNNER_TEMP:?RUNNER_TEMP is not set: run this inside a GitHub Actions job}/deckhand-kubeconfig"

fail() {
  printf '::error title=KUBE_CONFIG::%s\n' "$1"
  exit 2
}

# One ::add-mask:: per credential value in the kubeconfig (LKE's has a `token:`; others carry client keys).
mask_credentials() {
  local key value
  while IFS= read -r line; do
    if [[ $line =~ ^[[:space:]-]*(token|client-key-data|client-certificate-data|password|id-token|refresh-token|access-token):[[:space:]]*(.+)$ ]]; then
      key="${BASH_REMATCH[1]}"
      value="${BASH_REMATCH[2]%"${BASH_REMATCH[2]##*[![:space:]]}"}"
      value="${value#[\"\']}"
      value="${value%[\"\']}"
      if [ -n "$value" ]; then
        printf '::add-mask::%s\n' "$value"
      else
        printf '::warning title=KUBE_CONFIG::an empty %s in the kubeconfig\n' "$key"
      fi
    fi
  done <"$file"
}

write() {
  local workspace="${GITHUB_WORKSPACE:-}"
  if [ -n "$workspace" ] && [[ $file == "$workspace"/* ]]; then
    fail "RUNNER_TEMP is inside the workspace ($workspace): the kubeconfig must be written outside it."
  fi
  if [ -z "${KUBE_CONFIG:-}" ]; then
    fail 'The KUBE_CONFIG secret is empty or not set. Add it to the production environment: base64 < kubeconfig.yaml (see docs/github-actions.md).'
  fi
  umask 077
  rm -f -- "$file"
  # base64 first (the seed's recipe; wrapped lines and CRLF are fine); raw YAML does not decode (":" is not in the
  # alphabet), so it falls through to being written as it is.
  if ! printf '%s' "$KUBE_CONFIG" | tr -d '[:space:]' | base64 --decode >"$file" 2>/dev/null || ! grep -q '^clusters:' "$file"; then
    printf '%s\n' "$KUBE_CONFIG" >"$file"
  fi
  chmod 600 "$file"
  if ! grep -q '^clusters:' "$file" || ! grep -q '^users:' "$file"; then
    rm -f -- "$file"
    fail 'KUBE_CONFIG is neither a kubeconfig nor the base64 of one (no top-level clusters: and users:). Its value is not shown.'
  fi
  mask_credentials
  printf 'KUBECONFIG=%s\n' "$file" >>"${GITHUB_ENV:?GITHUB_ENV is not set}"
  printf 'Kubeconfig written to %s (mode 600, outside the workspace).\n' "$file"
}

remove() {
  rm -f -- "$file"
  printf 'Kubeconfig %s removed.\n' "$file"
}

case "${1:-}" in
  write) write ;;
  remove) remove ;;
  *)
    printf 'usage: %s write|remove\n' "$0" >&2
    exit 2
    ;;
esac

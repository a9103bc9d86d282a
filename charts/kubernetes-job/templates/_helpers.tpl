{{/*
Every define is prefixed "kubernetes-job." because template names are global across a chart and its
subcharts (Helm best practices, Templates).
*/}}

{{/*
kubernetes-job.name: the app name (nameOverride or the chart name). Used for app.kubernetes.io/name and as the
container name, so nameOverride must be a DNS label (the schema checks it).
Usage: {{ include "kubernetes-job.name" . }}
*/}}
{{- define "kubernetes-job.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
kubernetes-job.fullname: the name of the Job, the PVC and the ServiceAccount. Usual Helm rules: fullnameOverride,
else the release name when it already contains the app name (caelundas-20260125-143022), else
"<release>-<name>". Truncated to 63 because the Job name becomes the pods' job-name label value, which
Kubernetes caps at 63; trailing '-' and '.' are trimmed so the cut never ends on a separator.
Usage: {{ include "kubernetes-job.fullname" . }}
*/}}
{{- define "kubernetes-job.fullname" -}}
{{- $full := "" }}
{{- if .Values.fullnameOverride }}
{{- $full = .Values.fullnameOverride }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- $full = .Release.Name }}
{{- else }}
{{- $full = printf "%s-%s" .Release.Name $name }}
{{- end }}
{{- end }}
{{- regexReplaceAll "[-.]+$" ($full | trunc 63) "" }}
{{- end }}

{{/*
kubernetes-job.chart: "<chart>-<version>" for the helm.sh/chart label ('+' is not allowed in label values).
Usage: {{ include "kubernetes-job.chart" . }}
*/}}
{{- define "kubernetes-job.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
kubernetes-job.scalar: a scalar value as text. Helm reads numbers from values files as float64, which would print
an all-digit tag or timestamp like 2.0260125e+07; integral floats are printed as integers instead. nil gives "".
Usage: {{ include "kubernetes-job.scalar" .Values.image.tag }}
*/}}
{{- define "kubernetes-job.scalar" -}}
{{- if kindIs "invalid" . }}
{{- else if kindIs "float64" . }}
{{- printf "%.0f" . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/*
kubernetes-job.labelValue: any scalar coerced into a valid label value: characters outside [A-Za-z0-9._-]
become '-', at most 63 characters, starting and ending with an alphanumeric. "" when nothing is left.
Usage: {{ include "kubernetes-job.labelValue" .Values.metadata.timestamp }}
*/}}
{{- define "kubernetes-job.labelValue" -}}
{{- $value := include "kubernetes-job.scalar" . }}
{{- $value = regexReplaceAll "[^-A-Za-z0-9_.]" $value "-" }}
{{- $value = regexReplaceAll "^[^A-Za-z0-9]+" $value "" }}
{{- regexReplaceAll "[^A-Za-z0-9]+$" ($value | trunc 63) "" }}
{{- end }}

{{/*
kubernetes-job.selectorLabels: the two stable labels that identify one run (the CLI selects pods with them).
Usage: {{ include "kubernetes-job.selectorLabels" . }}
*/}}
{{- define "kubernetes-job.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubernetes-job.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end }}

{{/*
kubernetes-job.labels: the full label set carried by every object: the recommended app.kubernetes.io/* labels,
helm.sh/chart, the build provenance (image tag as version, git commit, timestamp) when known, and the run's id
(deckhand.dev/run-id), which tells this run's objects from those of any other run of the same name.
Usage: {{ include "kubernetes-job.labels" . }}
*/}}
{{- define "kubernetes-job.labels" -}}
helm.sh/chart: {{ include "kubernetes-job.chart" . | quote }}
{{ include "kubernetes-job.selectorLabels" . }}
{{- with include "kubernetes-job.labelValue" .Values.image.tag }}
app.kubernetes.io/version: {{ . | quote }}
{{- end }}
app.kubernetes.io/component: job
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- with include "kubernetes-job.labelValue" .Values.metadata.gitCommit }}
deckhand.dev/git-commit: {{ . | quote }}
{{- end }}
{{- with include "kubernetes-job.labelValue" .Values.metadata.timestamp }}
deckhand.dev/timestamp: {{ . | quote }}
{{- end }}
{{- with .Values.metadata.runId }}
deckhand.dev/run-id: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
kubernetes-job.annotations: the build provenance verbatim (labels may have had to alter it). Empty when unknown.
Usage: {{- with include "kubernetes-job.annotations" . }} annotations: {{- . | nindent 4 }} {{- end }}
*/}}
{{- define "kubernetes-job.annotations" -}}
{{- with include "kubernetes-job.scalar" .Values.metadata.gitCommit }}
deckhand.dev/git-commit: {{ . | quote }}
{{- end }}
{{- with include "kubernetes-job.scalar" .Values.metadata.timestamp }}
deckhand.dev/timestamp: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
kubernetes-job.podLabels: podLabels from values merged under the chart's labels (the chart's win, so the
selector labels cannot be overridden by accident).
Usage: {{ include "kubernetes-job.podLabels" . }}
*/}}
{{- define "kubernetes-job.podLabels" -}}
{{- $chartLabels := include "kubernetes-job.labels" . | fromYaml }}
{{- toYaml (merge $chartLabels (.Values.podLabels | default dict)) }}
{{- end }}

{{/*
kubernetes-job.serviceAccountName: the ServiceAccount the pod runs as. Never the namespace's "default" by
accident: with create=false a name must be given.
Usage: {{ include "kubernetes-job.serviceAccountName" . }}
*/}}
{{- define "kubernetes-job.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubernetes-job.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false: name an existing ServiceAccount, or set serviceAccount.create=true to get a dedicated one" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
kubernetes-job.image: "repository:tag", "repository:tag@digest" when image.digest is set, or "repository@digest" for
a digest without a tag (an image given by digest alone runs exactly as given). The schema already requires an
immutable tag or a digest; these checks keep that true under --skip-schema-validation.
Usage: {{ include "kubernetes-job.image" . }}
*/}}
{{- define "kubernetes-job.image" -}}
{{- $repository := required "image.repository is required, e.g. ghcr.io/example/caelundas" .Values.image.repository }}
{{- $tag := include "kubernetes-job.scalar" .Values.image.tag }}
{{- $digest := .Values.image.digest | default "" }}
{{- if and (not $tag) (not $digest) }}
{{- fail "image.tag is required: pass an immutable tag such as a version or git SHA with --set-string image.tag=<tag>, or a digest with image.digest=sha256:<64 hex>" }}
{{- end }}
{{- if has $tag (list "latest" "head" "canary") }}
{{- fail (printf "image.tag %q is mutable, so a rerun could run different code: use a version or git SHA tag" $tag) }}
{{- end }}
{{- $ref := $repository }}
{{- with $tag }}
{{- $ref = printf "%s:%s" $ref . }}
{{- end }}
{{- with $digest }}
{{- $ref = printf "%s@%s" $ref . }}
{{- end }}
{{- $ref }}
{{- end }}

{{/*
kubernetes-job.secretEnvName: the Secret secretEnv reads: secretEnv.name, else "<fullname>-inputs" (the per-run
Secret deckhand creates, which it also names explicitly).
Usage: {{ include "kubernetes-job.secretEnvName" . }}
*/}}
{{- define "kubernetes-job.secretEnvName" -}}
{{- $secretEnv := .Values.secretEnv | default dict }}
{{- default (printf "%s-inputs" (include "kubernetes-job.fullname" .)) $secretEnv.name }}
{{- end }}

{{/*
kubernetes-job.env: the container's environment: `env` from values, then one secretKeyRef entry per secretEnv key
(optional: false). Empty when there is none.
Usage: {{- with include "kubernetes-job.env" . }} env: {{- . | nindent 12 }} {{- end }}
*/}}
{{- define "kubernetes-job.env" -}}
{{- $env := .Values.env | default list }}
{{- $secretEnv := .Values.secretEnv | default dict }}
{{- $name := include "kubernetes-job.secretEnvName" . }}
{{- range ($secretEnv.keys | default list) }}
{{- $env = append $env (dict "name" . "valueFrom" (dict "secretKeyRef" (dict "name" $name "key" . "optional" false))) }}
{{- end }}
{{- with $env }}
{{- toYaml . }}
{{- end }}
{{- end }}

{{/*
kubernetes-job.failJobExitCodes: job.podFailurePolicy.failJobOnExitCodes as a YAML list, de-duplicated and in
ascending order, which the API server requires for the In operator. Zero-padding makes the string sort numeric.
Usage: {{ include "kubernetes-job.failJobExitCodes" . | nindent 10 }}
*/}}
{{- define "kubernetes-job.failJobExitCodes" -}}
{{- $padded := list }}
{{- range .Values.job.podFailurePolicy.failJobOnExitCodes }}
{{- $padded = append $padded (printf "%03d" (int .)) }}
{{- end }}
{{- range sortAlpha (uniq $padded) }}
- {{ atoi . }}
{{- end }}
{{- end }}

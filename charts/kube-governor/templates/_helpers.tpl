{{/* Chart name, overridable. */}}
{{- define "kube-governor.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified name: the release name when it already contains the chart name. */}}
{{- define "kube-governor.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kube-governor.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kube-governor.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kube-governor.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kube-governor.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kube-governor
{{- end -}}

{{- define "kube-governor.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kube-governor.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kube-governor.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* More than one replica coordinates through kopf peering; one replica runs standalone. */}}
{{- define "kube-governor.peering" -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- default (include "kube-governor.fullname" .) .Values.peering.name -}}
{{- end -}}
{{- end -}}

{{/* The metric label that carries the finding's namespace once scraped: with honorLabels off,
Prometheus renames the metric's own `namespace` label to `exported_namespace`. */}}
{{- define "kube-governor.findingNamespaceLabel" -}}
{{- ternary "namespace" "exported_namespace" .Values.serviceMonitor.honorLabels -}}
{{- end -}}

{{/* The config file: the `config:` values with empty sections left out, and `prometheus` only
when a URL is set (the operator then treats Prometheus as not configured). */}}
{{- define "kube-governor.config" -}}
{{- $out := dict -}}
{{- range $key, $value := .Values.config -}}
{{- if eq $key "prometheus" -}}
{{- if $value.url -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- else if $value -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- if $out -}}
{{- toYaml $out -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}

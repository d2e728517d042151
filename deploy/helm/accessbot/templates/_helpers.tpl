{{/* Names, labels and the pieces every workload shares. */}}

{{- define "accessbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "accessbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of one component's pods: call with (dict "root" $ "component" "api"). */}}
{{- define "accessbot.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "accessbot.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "accessbot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "accessbot.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{- define "accessbot.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{ .Values.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.host -}}
https://{{ .Values.ingress.host }}
{{- end -}}
{{- end -}}

{{/* Where the config file is mounted; every container's --config points here. */}}
{{- define "accessbot.configDir" -}}/etc/accessbot{{- end -}}
{{- define "accessbot.secretsDir" -}}/run/secrets/accessbot{{- end -}}

{{/* The api: block with what the chart decides. */}}
{{- define "accessbot.apiBlock" -}}
{{- $api := deepCopy (.Values.api.config | default dict) -}}
{{- $_ := set $api "listen" "0.0.0.0:3080" -}}
{{- $_ := set $api "data_dir" "/data" -}}
{{- if .Values.roles -}}
{{- $_ := set $api "roles_file" (printf "%s/roles.yaml" (include "accessbot.configDir" .)) -}}
{{- end -}}
{{- toYaml $api -}}
{{- end -}}

{{/* The host: block with what the chart decides. */}}
{{- define "accessbot.hostBlock" -}}
{{- $host := deepCopy (.Values.host.config | default dict) -}}
{{- $_ := set $host "listen" "0.0.0.0:3081" -}}
{{- /* Helm merges the user's redis block into the default one: sentinels replace the default url. */ -}}
{{- if and $host.redis $host.redis.sentinels -}}
{{- $_ := set $host "redis" (omit $host.redis "url") -}}
{{- end -}}
{{- $publicUrl := include "accessbot.publicUrl" . -}}
{{- if $publicUrl -}}
{{- $_ := set $host "public_url" $publicUrl -}}
{{- end -}}
{{- if eq .Values.mode "ha" -}}
{{- $hostApi := deepCopy ($host.api | default dict) -}}
{{- if not $hostApi.url -}}
{{- $_ := set $hostApi "url" (printf "http://%s-api:%v" (include "accessbot.fullname" .) .Values.service.apiPort) -}}
{{- end -}}
{{- $_ := set $host "api" $hostApi -}}
{{- end -}}
{{- toYaml $host -}}
{{- end -}}

{{/* Volumes every workload has: the config, /tmp and /data (the root filesystem is read-only). */}}
{{- define "accessbot.volumeMounts" -}}
- name: config
  mountPath: {{ include "accessbot.configDir" . }}
  readOnly: true
- name: secrets
  mountPath: {{ include "accessbot.secretsDir" . }}
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /data
{{- end -}}

{{/* Probes on one port: liveness /healthz, readiness /readyz. */}}
{{- define "accessbot.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: {{ . }} }
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /healthz, port: {{ . }} }
  periodSeconds: 10
  timeoutSeconds: 2
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /readyz, port: {{ . }} }
  periodSeconds: 5
  timeoutSeconds: 2
  failureThreshold: 2
{{- end -}}

{{- define "accessbot.podCommon" -}}
serviceAccountName: {{ include "accessbot.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A projected volume of the given secrets (a list of names; empty and repeated names are skipped), files 0400. */}}
{{- define "accessbot.secretsVolume" -}}
- name: secrets
  projected:
    # 0400 (decimal, so no YAML reader can take it for 400)
    defaultMode: 256
    sources:
    {{- range (uniq .) }}
    {{- if . }}
      - secret:
          name: {{ . }}
    {{- end }}
    {{- end }}
{{- end -}}

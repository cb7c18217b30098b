"""Controller identity and severity by context: what a controller is, which plane it runs, one finding
per root cause, lower severities for pods that run to completion, CVE-aware webhook severity."""

from __future__ import annotations

from helpers import run_checks
from kgov.analysis import Evaluation
from kgov.findings.model import Finding, Severity

BEST_EFFORT = "qos.best-effort"
CRITICAL = "qos.critical-not-guaranteed"
HARDENING = "ingress.controller-hardening"
MISSING = "qos.missing-requests"
WEBHOOK = "ingress.admission-webhook"
EOL = "ingress.eol-controller"
RESOURCE_CHECKS = [BEST_EFFORT, CRITICAL, HARDENING, MISSING]


def _workload(
    kind: str,
    image: str,
    *,
    name: str = "ctl",
    resources: str = "",
    annotations: str = "",
    replicas: int = 2,
    probes: bool = True,
    init: str = "",
) -> str:
    probe = (
        "\n          readinessProbe: {httpGet: {path: /ready, port: 8080}}"
        "\n          livenessProbe: {httpGet: {path: /live, port: 8080}}"
        if probes
        else ""
    )
    pod = f"""
      metadata:
        labels: {{app: {name}}}
      spec:{init}
        containers:
        - name: main
          image: {image}{probe}{resources}"""
    meta = f"""metadata:
  name: {name}
  namespace: edge{annotations}"""
    if kind == "CronJob":
        return f"""apiVersion: batch/v1
kind: CronJob
{meta}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:{pod}
"""
    if kind == "Job":
        return f"""apiVersion: batch/v1
kind: Job
{meta}
spec:
  template:{pod}
"""
    if kind == "Pod":
        return f"""apiVersion: v1
kind: Pod
{meta}
spec:
  containers:
  - name: main
    image: {image}{resources.replace("          ", "    ")}
"""
    return f"""apiVersion: apps/v1
kind: {kind}
{meta}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:{pod}
"""


PDB = """
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: ctl, namespace: edge}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: ctl}}
"""
BURSTABLE = """
          resources:
            requests: {cpu: 100m, memory: 128Mi}"""
NGINX = "registry.k8s.io/ingress-nginx/controller:v1.15.1"
ENVOY_GATEWAY = "docker.io/envoyproxy/gateway:v1.7.0"


def _run(text: str, checks: list[str] = RESOURCE_CHECKS) -> Evaluation:
    return run_checks(text, checks)


def _found(evaluation: Evaluation) -> dict[str, Finding]:
    assert not evaluation.errors
    found = {f.check: f for f in evaluation.findings}
    assert len(found) == len(evaluation.findings), [f.check for f in evaluation.findings]
    return found


def test_a_job_running_a_controller_image_is_not_a_controller() -> None:
    # The Envoy Gateway certgen Job and the NGINX Gateway Fabric cert generator use controller images.
    found = _found(_run(_workload("Job", ENVOY_GATEWAY)))
    assert set(found) == {BEST_EFFORT}
    assert found[BEST_EFFORT].severity is Severity.MEDIUM  # run to completion: one level lower
    assert "critical" not in found[BEST_EFFORT].evidence
    hook = _workload("Deployment", NGINX, annotations="\n  annotations: {helm.sh/hook: pre-install}")
    assert CRITICAL not in _found(_run(hook + PDB)) and HARDENING not in _found(_run(hook + PDB))


def test_control_plane_and_data_plane_follow_the_catalogue() -> None:
    control = _found(_run(_workload("Deployment", ENVOY_GATEWAY, resources=BURSTABLE, replicas=1)))
    assert control[CRITICAL].severity is Severity.MEDIUM
    assert "Envoy Gateway control plane" in control[CRITICAL].message
    assert "traffic keeps flowing" in control[CRITICAL].message
    assert control[HARDENING].severity is Severity.LOW
    assert control[HARDENING].evidence["plane"] == "control"
    assert "takes" not in control[HARDENING].message
    data = _found(_run(_workload("Deployment", NGINX, resources=BURSTABLE, replicas=1)))
    assert data[CRITICAL].severity is Severity.HIGH
    assert "takes the traffic it carries down" in data[CRITICAL].message
    assert data[HARDENING].severity is Severity.MEDIUM
    assert "takes its ingress traffic down" in data[HARDENING].message


def test_a_best_effort_controller_is_one_finding() -> None:
    found = _found(_run(_workload("Deployment", NGINX) + PDB))
    assert set(found) == {BEST_EFFORT}
    finding = found[BEST_EFFORT]
    assert finding.severity is Severity.HIGH
    assert finding.evidence["merged"] == [CRITICAL]
    assert "Ingress NGINX (community) data plane" in finding.evidence["critical"]
    # A Burstable controller missing a memory request: the critical finding carries the gap.
    half = "\n          resources:\n            requests: {cpu: 100m}"
    found = _found(_run(_workload("Deployment", NGINX, resources=half) + PDB))
    assert set(found) == {CRITICAL}
    assert found[CRITICAL].evidence["missingRequests"] == {"main": ["memory"]}
    # Hardening items other than requests stay their own finding, requests only as evidence.
    found = _found(_run(_workload("Deployment", NGINX, replicas=1)))
    assert set(found) == {BEST_EFFORT, HARDENING}
    assert "requests" not in " ".join(found[HARDENING].evidence["failed"])
    assert found[HARDENING].evidence["requestsMissing"] == {"main": ["cpu", "memory"]}


def test_severity_by_context() -> None:
    app = "ghcr.io/example/report:1.0"
    assert _found(_run(_workload("Deployment", app)))[BEST_EFFORT].severity is Severity.HIGH
    assert _found(_run(_workload("CronJob", app)))[BEST_EFFORT].severity is Severity.MEDIUM
    test_hook = _workload("Pod", app, annotations='\n  annotations: {"helm.sh/hook": test}')
    finding = _found(_run(test_hook))[BEST_EFFORT]
    assert finding.severity is Severity.LOW and finding.evidence["context"] == "helm test hook"
    no_memory = "\n          resources:\n            requests: {cpu: 100m}"
    assert (
        _found(_run(_workload("Deployment", app, resources=no_memory)))[MISSING].severity is Severity.MEDIUM
    )
    assert _found(_run(_workload("Job", app, resources=no_memory)))[MISSING].severity is Severity.LOW


def test_an_init_container_without_requests_is_no_gap_in_the_pod_request() -> None:
    """The pod's request is the larger of each init container's (with the sidecars started before it)
    and the sum of the app containers and sidecars: a missing init request leaves it unchanged. Only
    the app container is listed when both lack requests."""
    init = """
        initContainers:
        - name: migrate
          image: ghcr.io/example/migrate:1.0"""
    requested = "\n          resources:\n            requests: {cpu: 100m, memory: 128Mi}"
    app = "ghcr.io/example/app:1.0"
    assert MISSING not in _found(_run(_workload("Deployment", app, resources=requested, init=init)))
    cpu_only = "\n          resources:\n            requests: {cpu: 100m}"
    finding = _found(_run(_workload("Deployment", app, resources=cpu_only, init=init)))[MISSING]
    assert finding.evidence["missing"] == {"main": ["memory"]}
    assert finding.severity is Severity.MEDIUM


WEBHOOK_CONFIG = """
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: ingress-nginx-admission}
webhooks:
  - name: validate.nginx.ingress.kubernetes.io
    admissionReviewVersions: [v1]
    sideEffects: None
    clientConfig:
      service: {namespace: edge, name: ingress-nginx-controller-admission}
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
"""


def test_webhook_and_eol_severity_follow_the_controller_version() -> None:
    def run(tag: str | None) -> dict[str, Finding]:
        controller = _workload("Deployment", f"registry.k8s.io/ingress-nginx/controller:{tag}") if tag else ""
        return _found(run_checks(controller + WEBHOOK_CONFIG, [WEBHOOK, EOL]))

    vulnerable = run("v1.11.2")
    assert vulnerable[WEBHOOK].severity is Severity.CRITICAL
    assert vulnerable[WEBHOOK].evidence["openCves"] == ["CVE-2025-1974"]
    assert vulnerable[EOL].severity is Severity.CRITICAL
    assert vulnerable[EOL].evidence["exploitableCves"] == ["CVE-2025-1974"]
    for patched in ("v1.11.5", "v1.12.1", "v1.15.1"):
        found = run(patched)
        assert found[WEBHOOK].severity is Severity.MEDIUM, patched
        assert found[EOL].severity is Severity.HIGH, patched
    assert run("v1.12.0")[WEBHOOK].severity is Severity.CRITICAL
    unknown = run(None)
    assert unknown[WEBHOOK].severity is Severity.HIGH
    assert "not known" in unknown[WEBHOOK].message

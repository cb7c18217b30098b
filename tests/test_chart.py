"""The Helm chart, its CRDs and the plain manifests rendered from it.

The chart is rendered by the real helm (scripts/setup installs it into .tools/bin) with default values
and with every optional feature switched on (charts/kube-governor/ci/all-features-values.yaml); every
object is validated against the Kubernetes OpenAPI schemas, the RBAC is held to read-only on watched
kinds, and `kgov scan` holds the install to kube-governor's own checks.
"""

from __future__ import annotations

import filecmp
import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import click
import jsonschema
import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from chart_support import (
    ALL_FEATURES,
    CHART,
    documents,
    find,
    helm_binary,
    load_yaml,
    one,
    render,
    run_helm,
    schema_at,
    structural_problems,
    value_paths,
)
from conftest import ROOT
from kgov.cli import main
from kgov.config import Config
from kgov.operator.kinds import WATCHED as KINDS_WATCHED

KUBERNETES_VERSION = "1.35.0"
CRDS = ROOT / "crds"
MANIFEST = ROOT / "manifests" / "install.yaml"
VARIANTS = {"default": (), "all-features": ("--values", str(ALL_FEATURES))}
# Kinds from other projects' CRDs, which kubernetes-validate has no schema for; checked by the tests below.
FOREIGN = {
    "monitoring.coreos.com/v1": {"ServiceMonitor", "PrometheusRule"},
    "kopf.dev/v1": {"ClusterKopfPeering"},
}
CONFIG_PATH = "/etc/kube-governor/config.yaml"


@pytest.fixture(scope="module")
def helm() -> Path:
    return helm_binary()


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def rendered(request: pytest.FixtureRequest, helm: Path) -> list[dict[str, Any]]:
    return documents(render(helm, *VARIANTS[request.param]))


@pytest.fixture(scope="module")
def default_docs(helm: Path) -> list[dict[str, Any]]:
    return documents(render(helm))


@pytest.fixture(scope="module")
def full_docs(helm: Path) -> list[dict[str, Any]]:
    return documents(render(helm, *VARIANTS["all-features"]))


# --- lint and schemas ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_helm_lint(helm: Path, variant: str) -> None:
    done = run_helm(helm, "lint", "--strict", str(CHART), *VARIANTS[variant])
    assert done.returncode == 0, done.stdout + done.stderr


def test_rendered_objects_match_kubernetes_schemas(rendered: list[dict[str, Any]]) -> None:
    for doc in rendered:
        if doc["kind"] in FOREIGN.get(doc["apiVersion"], set()):
            continue
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            where = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {where}: {exc.message}")


def test_schema_validation_catches_a_broken_object(default_docs: list[dict[str, Any]]) -> None:
    deployment = json.loads(json.dumps(one(default_docs, "Deployment")))
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "metrics"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_optional_features_off_by_default(default_docs: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in default_docs}
    assert not kinds & {"ServiceMonitor", "PrometheusRule", "PodDisruptionBudget", "NetworkPolicy"}
    assert "ClusterKopfPeering" not in kinds
    assert kinds == {
        "ServiceAccount",
        "ConfigMap",
        "ClusterRole",
        "ClusterRoleBinding",
        "Service",
        "Deployment",
    }


def test_every_optional_feature_renders(full_docs: list[dict[str, Any]]) -> None:
    kinds = {d["kind"] for d in full_docs}
    assert {
        "ServiceMonitor",
        "PrometheusRule",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ClusterKopfPeering",
    } <= kinds


@pytest.mark.parametrize(
    ("setting", "complaint"),
    [
        ("unknown=1", "additional properties 'unknown' not allowed"),
        ("image.pullPolicy=Sometimes", "pullPolicy"),
        ("config.checks.qos\\.best-effort.severity=urgent", "severity"),
        ("config.prometheus.url=prometheus:9090", "url"),
        ("resources.limits.memory=lots", "memory"),
        ("replicaCount=0", "replicaCount"),
        ("policyReports.api=kyverno", "api"),
    ],
)
def test_values_schema_rejects_bad_values(helm: Path, setting: str, complaint: str) -> None:
    done = run_helm(helm, "template", "kube-governor", str(CHART), "--set", setting)
    assert done.returncode != 0
    assert complaint in done.stderr


def test_values_schema_covers_every_value() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    for path in value_paths(load_yaml(CHART / "values.yaml")):
        node: dict[str, Any] | None = schema
        for part in path.split("."):
            node = (node or {}).get("properties", {}).get(part)
        assert node is not None, f"values.schema.json does not describe {path}"


def test_chart_readme_lists_every_value() -> None:
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    missing = [p for p in value_paths(load_yaml(CHART / "values.yaml")) if f"`{p}`" not in readme]
    assert not missing, f"charts/kube-governor/README.md does not list {missing}"


# --- the operator's Deployment -------------------------------------------------------------------------


def _container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    container: dict[str, Any] = pod["containers"][0]
    return container


def test_single_replica_runs_standalone_with_recreate(default_docs: list[dict[str, Any]]) -> None:
    deployment = one(default_docs, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    args = _container(default_docs)["args"]
    assert args[:3] == ["run", f"--config={CONFIG_PATH}", "--port=8080"]
    assert "--standalone" in args
    assert not [a for a in args if a.startswith(("--peering", "--namespace", "--exclude-namespace"))]


def test_several_replicas_peer(full_docs: list[dict[str, Any]]) -> None:
    deployment = one(full_docs, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert "strategy" not in deployment["spec"]
    args = _container(full_docs)["args"]
    assert "--standalone" not in args
    peering = one(full_docs, "ClusterKopfPeering")["metadata"]["name"]
    assert f"--peering={peering}" in args
    rules = one(full_docs, "ClusterRole", "kube-governor")["rules"]
    assert {"group": "kopf.dev", "verbs": ["get", "list", "watch", "patch"]} in [
        {"group": r["apiGroups"][0], "verbs": r["verbs"]} for r in rules
    ]


def test_namespace_scope_becomes_flags(full_docs: list[dict[str, Any]]) -> None:
    args = _container(full_docs)["args"]
    assert [a for a in args if a.startswith("--namespace=")] == ["--namespace=team-*", "--namespace=shop"]
    assert [a for a in args if a.startswith("--exclude-namespace=")] == ["--exclude-namespace=*-sandbox"]


def test_pod_is_locked_down(rendered: list[dict[str, Any]]) -> None:
    pod = one(rendered, "Deployment")["spec"]["template"]["spec"]
    container = _container(rendered)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert [p["containerPort"] for p in container["ports"]] == [8080]  # the only listener


def test_probes_and_guaranteed_resources(rendered: list[dict[str, Any]]) -> None:
    container = _container(rendered)
    # Liveness does not fail on an API outage (a restart would only list everything again).
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    resources = container["resources"]
    assert resources["requests"] == resources["limits"]
    assert set(resources["limits"]) == {"cpu", "memory"}


def test_config_is_mounted_from_the_configmap(rendered: list[dict[str, Any]]) -> None:
    deployment = one(rendered, "Deployment")
    configmap = one(rendered, "ConfigMap", "kube-governor")
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == configmap["metadata"]["name"]
    mounts = {m["name"]: m["mountPath"] for m in _container(rendered)["volumeMounts"]}
    assert f"{mounts['config']}/config.yaml" == CONFIG_PATH
    assert "config.yaml" in configmap["data"]


def _rendered_config(docs: list[dict[str, Any]]) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(one(docs, "ConfigMap", "kube-governor")["data"]["config.yaml"])
    return config


# Sections of the config file (CONTRACTS of the chart and the operator) that the Config model may not
# declare yet; the ones it declares are validated by it, the rest must be among these.
CONFIG_SECTIONS = {"checks", "namespaces", "waivers", "exemptions", "prometheus", "operator", "migration"}


def _validate_config(config: dict[str, Any]) -> None:
    assert set(config) <= CONFIG_SECTIONS
    declared = {k: v for k, v in config.items() if k in Config.model_fields}
    Config.model_validate(declared)


def test_default_config_is_valid_and_minimal(default_docs: list[dict[str, Any]]) -> None:
    config = _rendered_config(default_docs)
    _validate_config(config)
    assert "prometheus" not in config  # no URL: Prometheus is not configured
    assert not {"checks", "waivers", "operator", "migration"} & set(config)  # empty sections left out


def test_config_values_reach_the_config_file(full_docs: list[dict[str, Any]]) -> None:
    config = _rendered_config(full_docs)
    _validate_config(config)
    assert config == load_yaml(ALL_FEATURES)["config"]


def test_metrics_service_selects_the_operator(rendered: list[dict[str, Any]]) -> None:
    service = one(rendered, "Service", "-metrics")
    pod_labels = one(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]


# --- RBAC ----------------------------------------------------------------------------------------------

READ = ["get", "list", "watch"]  # what people bound to `view` get
WATCH = ["list", "watch"]  # what the operator gets on the kinds it watches: it never gets one object
# What the operator watches, from its own table: the chart must grant reading exactly these.
WATCHED: dict[str, set[str]] = {}
for _kind in KINDS_WATCHED:
    WATCHED.setdefault(_kind.group, set()).add(_kind.plural)
# Where writing is allowed: kube-governor's own kinds and kopf's peering objects. Not core events: the
# operator posts none (kopf's event posting is off), so it is granted none.
# With policyReports.enabled, also the report kinds of the chosen API (kube-governor writes only its own).
WRITABLE = {
    "kgov.io": None,
    "kopf.dev": {"clusterkopfpeerings", "kopfpeerings"},
    "openreports.io": {"reports", "clusterreports"},
    "wgpolicyk8s.io": {"policyreports", "clusterpolicyreports"},
}
REPORT_GROUPS = {"openreports": "openreports.io", "wgpolicyk8s": "wgpolicyk8s.io"}


def rbac_problems(rules: list[dict[str, Any]]) -> list[str]:
    problems = []
    for rule in rules:
        groups, resources, verbs = rule.get("apiGroups", []), rule.get("resources", []), rule["verbs"]
        if "*" in verbs or "*" in resources or "*" in groups or rule.get("nonResourceURLs"):
            problems.append(f"wildcard or non-resource rule: {rule}")
        if any(r.split("/")[0] == "secrets" for r in resources):
            problems.append(f"rule on secrets: {rule}")
        if set(verbs) - set(READ):
            for group in groups:
                allowed = WRITABLE.get(group, set())
                if allowed is not None and not {r.split("/")[0] for r in resources} <= allowed:
                    problems.append(f"write verbs {verbs} on {group or 'core'} {resources}")
    return problems


def test_rbac_checker_catches_overreach() -> None:
    bad = [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch"]},
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]},
        {"apiGroups": ["kgov.io"], "resources": ["*"], "verbs": ["get"]},
    ]
    assert all(rbac_problems([rule]) for rule in bad)
    assert rbac_problems([{"apiGroups": ["kgov.io"], "resources": ["findings"], "verbs": ["delete"]}]) == []


def test_operator_role_reads_watched_kinds_and_writes_only_its_own(rendered: list[dict[str, Any]]) -> None:
    roles = [r for r in find(rendered, "ClusterRole") if not r["metadata"]["name"].endswith("-view")]
    rules = one(roles, "ClusterRole")["rules"]
    assert rbac_problems(rules) == []
    reads: dict[str, set[str]] = {}
    for rule in rules:
        if rule["verbs"] == WATCH:
            for group in rule["apiGroups"]:
                reads.setdefault(group, set()).update(rule["resources"])
    assert reads == WATCHED
    own = {res for r in rules if r["apiGroups"] == ["kgov.io"] for res in r["resources"]}
    assert {"findings/status", "governancereports"} <= own
    # ConfigMaps by name only: the controller's, never every ConfigMap of the cluster.
    [config_maps] = [r for r in rules if "configmaps" in r["resources"]]
    assert config_maps["resources"] == ["configmaps"]
    assert config_maps["resourceNames"] == ["ingress-nginx-controller"]
    binding = one(rendered, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == roles[0]["metadata"]["name"]
    assert binding["subjects"][0]["name"] == one(rendered, "ServiceAccount")["metadata"]["name"]


@pytest.mark.parametrize("api", [None, *sorted(REPORT_GROUPS)])
def test_policy_report_rules_only_when_enabled(helm: Path, api: str | None) -> None:
    values = (
        () if api is None else ("--set", "policyReports.enabled=true", "--set", f"policyReports.api={api}")
    )
    docs = documents(render(helm, *values))
    rules = one(docs, "ClusterRole", "kube-governor")["rules"]
    reports = [r for r in rules if set(r["apiGroups"]) & set(REPORT_GROUPS.values())]
    args = _container(docs)["args"]
    if api is None:
        assert reports == []
        assert not [a for a in args if a.startswith("--policy-reports")]
        return
    group = REPORT_GROUPS[api]
    assert [r["apiGroups"] for r in reports] == [[group]]
    assert set(reports[0]["verbs"]) == {"get", "list", "create", "patch", "delete"}
    assert rbac_problems(rules) == []
    assert f"--policy-reports={api}" in args


def test_policy_report_apis_agree() -> None:
    """The chart's choices are the ones `kgov run --policy-reports` takes and the report module knows."""
    from kgov.commands.run import run
    from kgov.report.policyreport import APIS

    [option] = [p for p in run.params if p.name == "policy_reports"]
    assert isinstance(option.type, click.Choice)
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    choices = schema["properties"]["policyReports"]["properties"]["api"]["enum"]
    assert sorted(APIS) == sorted(option.type.choices) == sorted(choices) == sorted(REPORT_GROUPS)


def test_view_role_aggregates_read_access_to_findings(rendered: list[dict[str, Any]]) -> None:
    view = one(rendered, "ClusterRole", "-view")
    assert view["metadata"]["labels"]["rbac.authorization.k8s.io/aggregate-to-view"] == "true"
    assert view["rules"] == [
        {
            "apiGroups": ["kgov.io"],
            "resources": ["findings", "clusterfindings", "governancereports"],
            "verbs": READ,
        }
    ]


# --- monitoring, PDB, NetworkPolicy ---------------------------------------------------------------------


def test_service_monitor_scrapes_the_metrics_service(full_docs: list[dict[str, Any]]) -> None:
    monitor = one(full_docs, "ServiceMonitor")
    service = one(full_docs, "Service", "-metrics")
    assert monitor["metadata"]["namespace"] == "monitoring"
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["kube-governor"]}
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def _alerts(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups = one(docs, "PrometheusRule")["spec"]["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def test_alerts_on_critical_findings_and_reload_churn(full_docs: list[dict[str, Any]]) -> None:
    alerts = _alerts(full_docs)
    critical = alerts["KubeGovernorCriticalFindings"]
    assert critical["expr"] == 'max by (namespace, check) (kgov_findings{severity="critical"}) > 0'
    assert critical["labels"] == {"severity": "critical"}
    churn = alerts["KubeGovernorReloadChurn"]
    assert churn["expr"] == "max by (class_kind, class_name, source) (kgov_reload_churn_per_hour) > 60"
    assert "kgov_evidence_up" in alerts["KubeGovernorEvidenceDown"]["expr"]
    assert "kgov_findings_dropped" in alerts["KubeGovernorFindingsDropped"]["expr"]
    failures = alerts["KubeGovernorEvaluationFailures"]
    assert failures["expr"] == "sum(increase(kgov_evaluation_failures_total[1h])) > 0"


def test_alerts_follow_the_scraped_namespace_label(helm: Path) -> None:
    docs = documents(render(helm, "--values", str(ALL_FEATURES), "--set", "serviceMonitor.honorLabels=false"))
    critical = _alerts(docs)["KubeGovernorCriticalFindings"]
    assert critical["expr"].startswith("max by (exported_namespace, check)")
    assert "$labels.exported_namespace" in critical["annotations"]["description"]


def test_pdb_and_network_policy_select_the_operator(full_docs: list[dict[str, Any]]) -> None:
    selector = one(full_docs, "Deployment")["spec"]["selector"]["matchLabels"]
    pdb = one(full_docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    assert pdb["spec"]["minAvailable"] == 1 and "maxUnavailable" not in pdb["spec"]
    policy = one(full_docs, "NetworkPolicy")
    assert policy["spec"]["podSelector"]["matchLabels"] == selector
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == ["metrics"]


def test_pdb_defaults_to_max_unavailable(helm: Path) -> None:
    pdb = one(documents(render(helm, "--set", "podDisruptionBudget.enabled=true")), "PodDisruptionBudget")
    assert pdb["spec"]["maxUnavailable"] == 1 and "minAvailable" not in pdb["spec"]


# --- the install passes kube-governor's own checks -----------------------------------------------------


def _scan(text: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(main, ["scan", "-", "-o", "json", "--fail-on", "medium"], input=text)
    report: dict[str, Any] = json.loads(result.output)
    return result.exit_code, report


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_kgov_scan_passes_the_chart(helm: Path, variant: str) -> None:
    code, report = _scan(render(helm, "--include-crds", *VARIANTS[variant]))
    assert report["errors"] == []
    assert report["findings"] == [], [f["check"] for f in report["findings"]]
    assert code == 0


def test_kgov_scan_flags_an_operator_that_is_not_guaranteed(helm: Path) -> None:
    code, report = _scan(render(helm, "--set", "resources.limits.memory=1Gi"))
    assert code == 1
    assert [f["check"] for f in report["findings"]] == ["qos.critical-not-guaranteed"]


# --- CRDs ----------------------------------------------------------------------------------------------


def _crd_files() -> list[Path]:
    files = sorted(CRDS.glob("*.yaml")) if CRDS.is_dir() else []
    assert files, f"{CRDS} is missing or empty: it is the source of the CRDs"
    return files


def test_chart_crds_are_copies_of_crds() -> None:
    sources = _crd_files()
    chart_crds = sorted((CHART / "crds").glob("*"))
    assert [p.name for p in chart_crds] == [p.name for p in sources]
    different = [p.name for p in sources if not filecmp.cmp(p, CHART / "crds" / p.name, shallow=False)]
    assert not different, f"charts/kube-governor/crds differs from crds/ in {different}: copy crds/* over"


EXPECTED_NAMES = {
    "Finding": ("findings", "Namespaced", ["kgf"]),
    "ClusterFinding": ("clusterfindings", "Cluster", ["kgcf"]),
    "GovernanceReport": ("governancereports", "Cluster", ["kgr"]),
}


@pytest.mark.parametrize("path", sorted(CRDS.glob("*.yaml")), ids=lambda p: p.name)
def test_crd_is_valid_and_structural(path: Path) -> None:
    crd = load_yaml(path)
    kubernetes_validate.validate(crd, KUBERNETES_VERSION, strict=True)
    spec = crd["spec"]
    plural, scope, short = EXPECTED_NAMES[spec["names"]["kind"]]
    assert (spec["group"], spec["names"]["plural"], spec["scope"]) == ("kgov.io", plural, scope)
    assert crd["metadata"]["name"] == f"{plural}.kgov.io"
    assert spec["names"]["shortNames"] == short and spec["names"]["categories"] == ["kgov"]
    assert [v["name"] for v in spec["versions"] if v["storage"]] == ["v1alpha1"]
    for version in spec["versions"]:
        schema = version["schema"]["openAPIV3Schema"]
        assert structural_problems(schema) == []
        for column in version.get("additionalPrinterColumns", []):
            assert schema_at(schema, column["jsonPath"]) is not None, column


def test_structural_rules_catch_bad_schemas() -> None:
    bad = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "properties": {"name": {"type": "string"}}},
            "spec": {"properties": {"x": {"type": "array"}}, "additionalProperties": {"type": "string"}},
        },
    }
    assert len(structural_problems(bad)) == 4


def test_finding_printer_columns() -> None:
    crd = load_yaml(CRDS / "kgov.io_findings.yaml")
    columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [(c["name"], c.get("priority", 0)) for c in columns] == [
        ("Check", 0),
        ("Severity", 0),
        ("Target", 0),
        ("Age", 0),
        ("Message", 1),
    ]


FINDING = {
    "apiVersion": "kgov.io/v1alpha1",
    "kind": "Finding",
    "metadata": {"name": "deployment-web-qos-best-effort-3f9a1c2e", "namespace": "shop"},
    "spec": {
        "check": "qos.best-effort",
        "category": "resources",
        "severity": "high",
        "target": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "shop",
            "name": "web",
            "uid": "u",
            "ref": "Deployment/web",
        },
        "related": [{"kind": "HorizontalPodAutoscaler", "name": "web"}],
        "message": "Deployment shop/web runs BestEffort pods",
        "evidence": {"qosClass": "BestEffort", "containers": ["app", "sidecar"], "source": "spec"},
        "remediation": "Set cpu and memory requests on every container",
    },
    "status": {"firstSeen": "2026-11-22T10:00:00Z", "lastEvaluated": "2026-11-22T10:05:00Z"},
}


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({}, True),
        ({"severity": "urgent"}, False),
        ({"category": "security"}, False),
        ({"check": "QoS Best Effort"}, False),
        ({"target": {"kind": "Deployment"}}, False),
    ],
)
def test_finding_schema_validates_findings(change: dict[str, Any], valid: bool) -> None:
    schema = load_yaml(CRDS / "kgov.io_findings.yaml")["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    finding = {**FINDING, "spec": {**FINDING["spec"], **change}}  # type: ignore[dict-item]
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(finding))
    assert (errors == []) is valid, [e.message for e in errors]


# --- plain manifests ------------------------------------------------------------------------------------


def test_manifests_are_the_rendered_chart(helm: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "install.yaml"
    done = subprocess.run(
        [str(ROOT / "scripts" / "render-manifests"), str(fresh)],
        env={"HELM": str(helm), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert MANIFEST.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "manifests/install.yaml drifted from the chart: run scripts/render-manifests"
    )
    docs = documents(MANIFEST.read_text(encoding="utf-8"))
    assert docs[0]["kind"] == "Namespace" and docs[0]["metadata"]["name"] == "kube-governor"
    assert docs[1:] == documents(render(helm, "--include-crds"))
    assert find(docs, "CustomResourceDefinition") == [load_yaml(p) for p in _crd_files()]


# --- image and pre-commit hooks -------------------------------------------------------------------------


def test_image_runs_kgov_as_the_charts_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["kgov"\]$', dockerfile, re.MULTILINE)
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    assert user, "the image must name its user numerically, so runAsNonRoot can verify it"
    pod = load_yaml(CHART / "values.yaml")["podSecurityContext"]
    assert (int(user[1]), int(user[2])) == (pod["runAsUser"], pod["runAsGroup"])
    assert int(user[1]) != 0


def test_pre_commit_hooks_run_kgov() -> None:
    hooks = {hook["id"]: hook for hook in load_yaml(ROOT / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {
        "kgov-scan",
        "kgov-gate-migration",
        "kgov-gate-migration-helm",
        "kgov-gate-migration-kustomize",
    }
    assert "kgov gate migration -" in hooks["kgov-gate-migration-helm"]["entry"]
    assert "pipefail" in hooks["kgov-gate-migration-kustomize"]["entry"]
    program, *args = shlex.split(hooks["kgov-scan"]["entry"])
    assert program == "kgov"
    examples = ROOT / "examples"
    assert CliRunner().invoke(main, [*args, str(examples / "clean")]).exit_code == 0
    assert CliRunner().invoke(main, [*args, str(examples)]).exit_code == 1

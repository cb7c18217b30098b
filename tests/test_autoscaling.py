"""Autoscaling checks: severities, evidence and messages on the subtle cases (reference §3–4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks import autoscaling
from kgov.checks.builtin import default_registry
from kgov.checks.registry import Need, SubjectKind
from kgov.config import Config, ScopeSettings
from kgov.findings.model import Finding, Severity
from kgov.inventory import Inventory
from kgov.model.objects import KubeObject
from kgov.model.pods import Container, PodSpec, Resources
from kgov.sources.files import load_text

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
OVERLAP = "autoscaling.hpa-vpa-overlap"
INITIAL = "autoscaling.hpa-vpa-initial-overlap"
COEXIST = "autoscaling.hpa-vpa-coexist"
MISSING = "autoscaling.hpa-missing-requests"


def load(*documents: str | tuple[str, str]) -> list[KubeObject]:
    """Objects from YAML texts; a `(file name, text)` pair places the text in that file."""
    objects: list[KubeObject] = []
    for document in documents:
        name, text = document if isinstance(document, tuple) else ("shop.yaml", document)
        result = load_text(text, name)
        assert not result.errors, [str(e) for e in result.errors]
        objects.extend(result.objects)
    return objects


def run(
    *documents: str | tuple[str, str],
    checks: list[str],
    live: bool = False,
    history: bool = False,
    config: Config | None = None,
) -> Evaluation:
    config = config or Config()
    inventory = Inventory(load(*documents), live=live, declared=config.scope.declared())
    assert not inventory.errors, [str(e) for e in inventory.errors]
    registry = default_registry()
    return evaluate(
        inventory,
        select_checks(registry, config, only=checks),
        config,
        resolve_params(registry, config),
        Capabilities(live=live, history=history),
        now=NOW,
    )


def fired(evaluation: Evaluation, check: str) -> list[Finding]:
    assert not evaluation.errors, [str(e) for e in evaluation.errors]
    return [f for f in evaluation.findings if f.check == check]


def one(evaluation: Evaluation, check: str) -> Finding:
    findings = fired(evaluation, check)
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# ---- building blocks --------------------------------------------------------------------------------


def deployment(
    name: str = "web",
    *,
    containers: str | None = None,
    init: str = "",
    replicas: int | None = None,
    pod_resources: str = "",
    kind: str = "Deployment",
) -> str:
    containers = (
        containers
        or """
        - name: app
          image: ghcr.io/example/shop-web:1.8.2
          resources:
            requests: {cpu: 250m, memory: 256Mi}"""
    )
    replica_line = f"\n  replicas: {replicas}" if replicas is not None else ""
    init_block = f"\n      initContainers:{init}" if init else ""
    return f"""
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: shop
  uid: uid-{name}
spec:{replica_line}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:{pod_resources}{init_block}
      containers:{containers}
"""


def hpa_v2(name: str = "web", *, metrics: str | None = None, target: str = "web", extra: str = "") -> str:
    if metrics is None:
        metrics = """
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 70}"""
    metrics_block = f"\n  metrics:{metrics}" if metrics else ""
    return f"""
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}
  minReplicas: 2
  maxReplicas: 10{metrics_block}{extra}
"""


def vpa(
    name: str = "web",
    *,
    mode: str | None = "Recreate",
    policies: str = "",
    status: str = "",
    target: str = "web",
) -> str:
    update = f'\n  updatePolicy:\n    updateMode: "{mode}"' if mode else ""
    policy_block = f"\n  resourcePolicy:\n    containerPolicies:{policies}" if policies else ""
    return f"""
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: {name}
  namespace: shop
spec:
  targetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}{update}{policy_block}{status}
"""


def docs(*parts: str) -> str:
    return "\n---\n".join(parts)


TWO_CONTAINERS = """
        - name: app
          image: ghcr.io/example/search:5.2.1
          resources:
            requests: {cpu: "1", memory: 1Gi}
        - name: envoy
          image: envoyproxy/envoy:v1.31.2
          resources:
            requests: {cpu: 100m, memory: 64Mi}"""

SIDECAR = """
        - name: log-shipper
          image: fluent/fluent-bit:3.1.9
          restartPolicy: Always"""

MIGRATE = """
        - name: migrate
          image: ghcr.io/example/migrations:2.7.0"""


# ---- registry ---------------------------------------------------------------------------------------

EXPECTED = {
    OVERLAP: (Severity.HIGH, SubjectKind.AUTOSCALED),
    INITIAL: (Severity.LOW, SubjectKind.AUTOSCALED),
    COEXIST: (Severity.INFO, SubjectKind.AUTOSCALED),
    "autoscaling.multiple-vpa": (Severity.HIGH, SubjectKind.AUTOSCALED),
    "autoscaling.multiple-hpa": (Severity.HIGH, SubjectKind.AUTOSCALED),
    MISSING: (Severity.HIGH, SubjectKind.AUTOSCALED),
    "autoscaling.hpa-target-missing": (Severity.MEDIUM, SubjectKind.HPA),
    "autoscaling.hpa-fixed-replicas": (Severity.LOW, SubjectKind.HPA),
    "autoscaling.hpa-replicas-in-template": (Severity.LOW, SubjectKind.AUTOSCALED),
    "autoscaling.hpa-on-starved-pods": (Severity.MEDIUM, SubjectKind.WORKLOAD),
    "autoscaling.scaling-oscillation": (Severity.MEDIUM, SubjectKind.HPA),
    "autoscaling.vpa-recommendation-gap": (Severity.LOW, SubjectKind.WORKLOAD),
    "autoscaling.vpa-requests-only-limit": (Severity.MEDIUM, SubjectKind.WORKLOAD),
    "autoscaling.vpa-unknown-container": (Severity.MEDIUM, SubjectKind.AUTOSCALED),
}


def test_catalogue_matches_checks_md() -> None:
    specs = {spec.id: spec for spec in default_registry() if spec.id in autoscaling.FUNCTIONS}
    assert list(specs) == list(EXPECTED)
    for check_id, (severity, subject) in EXPECTED.items():
        spec = specs[check_id]
        assert (spec.severity, spec.subject) == (severity, subject), check_id
        assert spec.remediation.endswith(".") and spec.condition.endswith(".")
        assert check_id in default_registry()


def test_needs() -> None:
    specs = {spec.id: spec for spec in default_registry() if spec.id in autoscaling.FUNCTIONS}
    assert specs["autoscaling.hpa-replicas-in-template"].needs == {Need.MANIFESTS}
    starved = specs["autoscaling.hpa-on-starved-pods"]
    assert starved.needs == {Need.LIVE, Need.PROMETHEUS} and starved.alternatives
    oscillation = specs["autoscaling.scaling-oscillation"]
    assert oscillation.needs == {Need.HISTORY, Need.PROMETHEUS} and oscillation.alternatives
    assert oscillation.params().max_per_hour == 12  # type: ignore[attr-defined]
    assert specs["autoscaling.vpa-recommendation-gap"].params().ratio == 0.5  # type: ignore[attr-defined]


# ---- autoscaling.hpa-vpa-overlap --------------------------------------------------------------------


def test_overlap_on_cpu_utilization_is_high_with_full_evidence() -> None:
    finding = one(run(docs(deployment(), hpa_v2(), vpa()), checks=[OVERLAP]), OVERLAP)
    assert finding.severity is Severity.HIGH
    assert finding.message.startswith(
        "Deployment shop/web is scaled by HPA web on cpu utilization while VPA web (Recreate) "
        "also sets cpu requests: "
    )
    assert finding.evidence == {
        "hpa": "web",
        "vpa": "web",
        "mode": "Recreate",
        "modeDefaulted": False,
        "overlappingResources": {"app": ["cpu"]},
        "metrics": ["Resource cpu at 70% utilization"],
        "source": "spec",
    }
    assert [(r.kind, r.name) for r in finding.related] == [
        ("HorizontalPodAutoscaler", "web"),
        ("VerticalPodAutoscaler", "web"),
    ]
    assert finding.target.kind == "Deployment" and finding.target.name == "web"


V1_HPA = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  targetCPUUtilizationPercentage: 60
"""

V2BETA1_HPA = """
apiVersion: autoscaling/v2beta1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, targetAverageUtilization: 60}
"""

V2BETA2_HPA = """
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 60}
"""

V1_HPA_NO_TARGET = """
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 5
"""


@pytest.mark.parametrize(
    ("hpa", "described"),
    [
        (V1_HPA, "Resource cpu at 60% utilization"),
        (V1_HPA_NO_TARGET, "Resource cpu at 80% utilization"),
        (V2BETA1_HPA, "Resource cpu at 60% utilization"),
        (V2BETA2_HPA, "Resource cpu at 60% utilization"),
        (hpa_v2(metrics=""), "Resource cpu at 80% utilization"),
    ],
    ids=["v1", "v1-default", "v2beta1", "v2beta2", "v2-no-metrics"],
)
def test_every_hpa_version_counts_as_cpu_utilization(hpa: str, described: str) -> None:
    finding = one(run(docs(deployment(), hpa, vpa(mode="Auto")), checks=[OVERLAP]), OVERLAP)
    assert finding.severity is Severity.HIGH
    assert finding.evidence["metrics"] == [described]
    assert finding.evidence["overlappingResources"] == {"app": ["cpu"]}


def test_default_metric_is_named_in_the_message() -> None:
    finding = one(run(docs(deployment(), hpa_v2(metrics=""), vpa()), checks=[OVERLAP]), OVERLAP)
    assert "on cpu utilization (the default metric when none is set)" in finding.message


def test_average_value_overlap_is_medium() -> None:
    metrics = """
    - type: Resource
      resource:
        name: memory
        target: {type: AverageValue, averageValue: 400Mi}"""
    finding = one(
        run(docs(deployment(), hpa_v2(metrics=metrics), vpa(mode="InPlace")), checks=[OVERLAP]),
        OVERLAP,
    )
    assert finding.severity is Severity.MEDIUM
    assert "on average memory usage while VPA web (InPlace) also sets memory requests" in (finding.message)
    assert finding.evidence["overlappingResources"] == {"app": ["memory"]}


def test_utilization_anywhere_makes_the_overlap_high() -> None:
    metrics = """
    - type: Resource
      resource:
        name: memory
        target: {type: AverageValue, averageValue: 400Mi}
    - type: Resource
      resource:
        name: cpu
        target: {type: Utilization, averageUtilization: 60}"""
    finding = one(run(docs(deployment(), hpa_v2(metrics=metrics), vpa()), checks=[OVERLAP]), OVERLAP)
    assert finding.severity is Severity.HIGH
    assert "on cpu utilization" in finding.message and "sets memory and cpu requests" in (finding.message)
    assert finding.evidence["overlappingResources"] == {"app": ["memory", "cpu"]}
    assert len(finding.evidence["metrics"]) == 2


def test_absent_update_mode_is_active() -> None:
    finding = one(run(docs(deployment(), hpa_v2(), vpa(mode=None)), checks=[OVERLAP]), OVERLAP)
    assert finding.evidence["mode"] == "Auto" and finding.evidence["modeDefaulted"] is True
    assert "VPA web (no updateMode, so Recreate)" in finding.message


@pytest.mark.parametrize("mode", ["Auto", "Recreate", "InPlaceOrRecreate", "InPlace"])
def test_every_active_mode_overlaps(mode: str) -> None:
    evaluation = run(docs(deployment(), hpa_v2(), vpa(mode=mode)), checks=[OVERLAP, INITIAL])
    assert one(evaluation, OVERLAP).evidence["mode"] == mode
    assert not fired(evaluation, INITIAL)


def test_memory_only_vpa_with_cpu_hpa_coexists_instead() -> None:
    policies = """
      - containerName: "*"
        controlledResources: [memory]"""
    evaluation = run(docs(deployment(), hpa_v2(), vpa(policies=policies)), checks=[OVERLAP, INITIAL, COEXIST])
    assert not fired(evaluation, OVERLAP) and not fired(evaluation, INITIAL)
    finding = one(evaluation, COEXIST)
    assert finding.severity is Severity.INFO
    assert finding.evidence["vpaControlledResources"] == ["memory"]
    assert finding.evidence["overlappingResources"] == {}
    assert "a dimension the HPA does not scale on" in finding.message


def test_container_mode_off_removes_the_overlap() -> None:
    policies = """
      - containerName: app
        mode: "Off"
      - containerName: "*"
        controlledResources: [cpu]"""
    evaluation = run(docs(deployment(), hpa_v2(), vpa(policies=policies)), checks=[OVERLAP, COEXIST])
    assert not fired(evaluation, OVERLAP)
    assert not fired(evaluation, COEXIST)  # the VPA acts on no container at all


def test_named_policy_wins_over_star_policy() -> None:
    policies = """
      - containerName: "*"
        mode: "Off"
      - containerName: app
        controlledResources: [cpu]"""
    finding = one(run(docs(deployment(), hpa_v2(), vpa(policies=policies)), checks=[OVERLAP]), OVERLAP)
    assert finding.evidence["overlappingResources"] == {"app": ["cpu"]}


def test_resource_metric_overlaps_through_a_sidecar() -> None:
    policies = """
      - containerName: app
        mode: "Off\""""
    workload = deployment(init=SIDECAR)
    finding = one(run(docs(workload, hpa_v2(), vpa(policies=policies)), checks=[OVERLAP]), OVERLAP)
    assert finding.evidence["overlappingResources"] == {"log-shipper": ["cpu"]}


def test_ordinary_init_container_does_not_overlap() -> None:
    policies = """
      - containerName: app
        mode: "Off\""""
    workload = deployment(init=MIGRATE)
    evaluation = run(docs(workload, hpa_v2(), vpa(policies=policies)), checks=[OVERLAP])
    assert not fired(evaluation, OVERLAP)


CONTAINER_CPU = """
    - type: ContainerResource
      containerResource:
        name: cpu
        container: app
        target: {type: Utilization, averageUtilization: 65}"""


def test_container_resource_overlaps_only_on_its_container() -> None:
    app_off = """
      - containerName: app
        mode: "Off"
      - containerName: envoy
        controlledResources: [cpu]"""
    workload = deployment("web", containers=TWO_CONTAINERS)
    hpa = hpa_v2(metrics=CONTAINER_CPU)
    evaluation = run(docs(workload, hpa, vpa(policies=app_off)), checks=[OVERLAP, COEXIST])
    assert not fired(evaluation, OVERLAP)
    assert one(evaluation, COEXIST).evidence["vpaControlledResources"] == ["cpu"]

    envoy_off = """
      - containerName: envoy
        mode: "Off\""""
    finding = one(run(docs(workload, hpa, vpa(policies=envoy_off)), checks=[OVERLAP]), OVERLAP)
    assert finding.severity is Severity.HIGH
    assert finding.evidence["overlappingResources"] == {"app": ["cpu"]}
    assert "on cpu utilization of container app" in finding.message


def test_pods_and_external_metrics_never_overlap() -> None:
    metrics = """
    - type: Pods
      pods:
        metric: {name: http_requests_per_second}
        target: {type: AverageValue, averageValue: "100"}
    - type: External
      external:
        metric: {name: queue_depth}
        target: {type: Value, value: "30"}"""
    evaluation = run(docs(deployment(), hpa_v2(metrics=metrics), vpa()), checks=[OVERLAP, COEXIST])
    assert not fired(evaluation, OVERLAP)
    assert one(evaluation, COEXIST).evidence["metrics"] == ["Pods metric", "External metric"]


def test_initial_mode_is_low_and_separate() -> None:
    evaluation = run(docs(deployment(), hpa_v2(), vpa(mode="Initial")), checks=[OVERLAP, INITIAL, COEXIST])
    assert not fired(evaluation, OVERLAP) and not fired(evaluation, COEXIST)
    finding = one(evaluation, INITIAL)
    assert finding.severity is Severity.LOW
    assert finding.evidence["mode"] == "Initial"
    assert "VPA web (Initial) sets cpu requests on every new pod" in finding.message


def test_off_vpa_is_silent_everywhere() -> None:
    evaluation = run(docs(deployment(), hpa_v2(), vpa(mode="Off")), checks=[OVERLAP, INITIAL, COEXIST])
    assert evaluation.findings == [] and evaluation.errors == []


def test_vpa_on_another_workload_is_unrelated() -> None:
    evaluation = run(
        docs(deployment("web"), deployment("api"), hpa_v2(), vpa("api", target="api")),
        checks=[OVERLAP, COEXIST],
    )
    assert evaluation.findings == []


# ---- several autoscalers ----------------------------------------------------------------------------


def test_multiple_vpa_counts_initial_but_not_off() -> None:
    check = "autoscaling.multiple-vpa"
    finding = one(
        run(docs(deployment(), vpa("web"), vpa("web-defaults", mode="Initial")), checks=[check]),
        check,
    )
    assert finding.severity is Severity.HIGH
    assert finding.evidence == {
        "vpas": [{"name": "web", "mode": "Recreate"}, {"name": "web-defaults", "mode": "Initial"}]
    }
    assert len(finding.related) == 2
    quiet = run(docs(deployment(), vpa("web"), vpa("goldilocks-web", mode="Off")), checks=[check])
    assert not fired(quiet, check)


def test_copies_of_one_autoscaler_in_environment_folders_are_one() -> None:
    """`envs/dev` and `envs/prod` each hold the same HPA and VPA for one base Deployment."""
    documents = [
        ("base/web.yaml", deployment()),
        ("envs/dev/autoscaling.yaml", docs(hpa_v2(), vpa())),
        ("envs/prod/autoscaling.yaml", docs(hpa_v2(), vpa())),
    ]
    checks = ["autoscaling.multiple-vpa", "autoscaling.multiple-hpa", OVERLAP]
    evaluation = run(*documents, checks=checks)
    assert not fired(evaluation, "autoscaling.multiple-vpa")
    assert not fired(evaluation, "autoscaling.multiple-hpa")
    assert len(fired(evaluation, OVERLAP)) == 1


def test_multiple_hpa() -> None:
    check = "autoscaling.multiple-hpa"
    finding = one(
        run(
            docs(deployment(), hpa_v2("web"), V1_HPA.replace("name: web,", "name: web-legacy,")),
            checks=[check],
        ),
        check,
    )
    assert finding.evidence["hpas"] == [
        {"name": "web", "metrics": ["Resource cpu at 70% utilization"]},
        {"name": "web-legacy", "metrics": ["Resource cpu at 60% utilization"]},
    ]
    assert finding.message.startswith("Deployment shop/web is targeted by 2 HPAs (web and web-legacy)")


# ---- autoscaling.hpa-missing-requests ---------------------------------------------------------------

NO_CPU = """
        - name: app
          image: ghcr.io/example/shop-web:1.8.2
          resources:
            requests: {memory: 256Mi}"""


def test_missing_cpu_request() -> None:
    finding = one(run(docs(deployment(containers=NO_CPU), hpa_v2()), checks=[MISSING]), MISSING)
    assert finding.severity is Severity.HIGH
    assert finding.evidence == {
        "hpa": "web",
        "resource": "cpu",
        "containers": ["app"],
        "metric": "Resource cpu at 70% utilization",
        "source": "spec",
    }
    assert finding.message == (
        "Deployment shop/web is scaled by HPA web on cpu utilization but container app requests "
        "no cpu: the utilization is undefined, so the HPA takes no action on this metric"
    )
    assert [r.name for r in finding.related] == ["web"]


def test_sidecar_without_request_breaks_the_metric() -> None:
    finding = one(run(docs(deployment(init=SIDECAR), hpa_v2()), checks=[MISSING]), MISSING)
    assert finding.evidence["containers"] == ["log-shipper"]


def test_ordinary_init_container_does_not_count() -> None:
    assert not fired(run(docs(deployment(init=MIGRATE), hpa_v2()), checks=[MISSING]), MISSING)


def test_limitrange_default_request_satisfies_the_metric() -> None:
    limit_range = """
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: shop}
spec:
  limits:
    - type: Container
      defaultRequest: {cpu: 100m}
"""
    workload = deployment(containers=NO_CPU)
    assert not fired(run(docs(limit_range, workload, hpa_v2()), checks=[MISSING]), MISSING)


def test_limit_defaults_the_request() -> None:
    limits_only = """
        - name: app
          image: ghcr.io/example/shop-web:1.8.2
          resources:
            limits: {cpu: 500m}"""
    evaluation = run(docs(deployment(containers=limits_only), hpa_v2()), checks=[MISSING])
    assert not fired(evaluation, MISSING)


def test_pod_level_requests_satisfy_resource_but_not_container_resource() -> None:
    pod_level = "\n      resources:\n        requests: {cpu: '1'}"
    bare = """
        - name: app
          image: ghcr.io/example/shop-web:1.8.2"""
    workload = deployment(containers=bare, pod_resources=pod_level)
    assert not fired(run(docs(workload, hpa_v2()), checks=[MISSING]), MISSING)
    finding = one(run(docs(workload, hpa_v2(metrics=CONTAINER_CPU)), checks=[MISSING]), MISSING)
    assert finding.evidence["containers"] == ["app"]


def test_container_resource_needs_only_its_container() -> None:
    no_envoy_request = """
        - name: app
          image: ghcr.io/example/search:5.2.1
          resources:
            requests: {cpu: "1"}
        - name: envoy
          image: envoyproxy/envoy:v1.31.2"""
    workload = deployment(containers=no_envoy_request)
    assert not fired(run(docs(workload, hpa_v2(metrics=CONTAINER_CPU)), checks=[MISSING]), MISSING)
    finding = one(run(docs(workload, hpa_v2()), checks=[MISSING]), MISSING)
    assert finding.evidence["containers"] == ["envoy"]


def test_average_value_needs_no_request() -> None:
    metrics = """
    - type: Resource
      resource:
        name: cpu
        target: {type: AverageValue, averageValue: 300m}"""
    workload = deployment(containers=NO_CPU)
    assert not fired(run(docs(workload, hpa_v2(metrics=metrics)), checks=[MISSING]), MISSING)


def test_several_containers_are_listed() -> None:
    bare = """
        - name: app
          image: ghcr.io/example/shop-web:1.8.2
        - name: exporter
          image: ghcr.io/example/exporter:0.9.0"""
    finding = one(run(docs(deployment(containers=bare), V1_HPA), checks=[MISSING]), MISSING)
    assert "but containers app and exporter request no cpu" in finding.message


def live_pod(name: str, owner: str, *, requests: str = "{cpu: 250m, memory: 256Mi}", status: str = "") -> str:
    return f"""
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {owner}-5d8f7c9b4
  namespace: shop
  uid: uid-{owner}-rs
  ownerReferences:
    - {{apiVersion: apps/v1, kind: Deployment, name: {owner}, uid: uid-{owner}, controller: true}}
spec:
  selector:
    matchLabels: {{app: {owner}}}
  template:
    metadata:
      labels: {{app: {owner}}}
    spec:
      containers:
        - name: app
          image: ghcr.io/example/shop-web:1.8.2
---
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
  ownerReferences:
    - {{apiVersion: apps/v1, kind: ReplicaSet, name: {owner}-5d8f7c9b4, uid: uid-{owner}-rs, controller: true}}
spec:
  containers:
    - name: app
      image: ghcr.io/example/shop-web:1.8.2
      resources:
        requests: {requests}
status:
  phase: Running{status}
"""


def test_live_pods_decide_over_the_template() -> None:
    # Admission (a LimitRange outside the scan, or a VPA) gave the running pod a cpu request.
    workload = deployment(containers=NO_CPU)
    pod = live_pod("web-5d8f7c9b4-x2kqp", "web")
    assert not fired(run(docs(workload, pod, hpa_v2()), checks=[MISSING], live=True), MISSING)

    inactive = """status:
  conditions:
    - type: ScalingActive
      status: "False"
      reason: FailedGetResourceMetric
      message: "the HPA was unable to compute the replica count: missing request for cpu"
"""
    starving = live_pod("web-5d8f7c9b4-x2kqp", "web", requests="{memory: 256Mi}")
    evaluation = run(docs(deployment(), starving, hpa_v2() + inactive), checks=[MISSING], live=True)
    finding = one(evaluation, MISSING)
    assert finding.evidence["source"] == "pods"
    assert finding.evidence["scalingActive"]["reason"] == "FailedGetResourceMetric"


def test_live_templates_are_the_distinct_specs_in_pod_order() -> None:
    """Pods whose specs differ only in what the projection does not read (the node) are one
    template; a rollout's second spec follows in the order of its first pod."""
    on_node = "  nodeName: node-{}\nstatus:"
    pods = [
        live_pod(name, "web", requests=requests).replace("status:", on_node.format(i))
        for i, (name, requests) in enumerate(
            [
                ("web-a", "{memory: 256Mi}"),
                ("web-b", "{cpu: 250m, memory: 256Mi}"),
                ("web-c", "{memory: 256Mi}"),
                ("web-d", "{cpu: 250m, memory: 256Mi}"),
            ]
        )
    ]
    inventory = Inventory(load(deployment(), *pods), live=True)
    (workload,) = inventory.workloads
    assert [p.obj.name for p in workload.pods] == ["web-a", "web-b", "web-c", "web-d"]
    templates = autoscaling.live_templates(workload, inventory)
    assert [sorted(t.spec.containers[0].resources.requests) for t in templates] == [
        ["memory"],
        ["cpu", "memory"],
    ]
    assert autoscaling.live_templates(workload, inventory) is templates  # once per inventory
    finding = one(run(docs(deployment(), *pods, hpa_v2()), checks=[MISSING], live=True), MISSING)
    assert finding.evidence["containers"] == ["app"]


def test_live_pod_specs_are_told_apart_by_what_the_pod_spec_models_read() -> None:
    """Live templates are deduplicated by `read_key(PodSpec, spec)`: a validator of these models that
    read anything but their own fields could tell apart specs the key does not."""
    for model in (PodSpec, Container, Resources):
        decorators = model.__pydantic_decorators__
        assert set(decorators.model_validators) <= {"_null_means_absent", "_share_field_names"}, model
        assert not decorators.field_validators, model


# ---- HPA subjects -----------------------------------------------------------------------------------

TARGET = "autoscaling.hpa-target-missing"


NAMESPACE = """
apiVersion: v1
kind: Namespace
metadata:
  name: shop
"""
HELM_RELEASE = """
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: extras
  namespace: flux-system
"""


def undecided(evaluation: Evaluation, check: str) -> list[str]:
    return [s.reason for s in evaluation.skipped if s.check == check and s.undecided]


def test_target_missing_on_files_needs_a_complete_namespace() -> None:
    # Other Deployments beside the HPA do not prove the target absent: it is unknown, and counted.
    unknown = run(docs(deployment("web-v2"), hpa_v2(target="web")), checks=[TARGET])
    assert not fired(unknown, TARGET)
    assert undecided(unknown, TARGET) == ["1 HPA whose target is not in the input"]
    # A Namespace object alone does not say its Deployments are here (another pipeline may deploy
    # them); with some of its Deployments beside it, the input is taken to hold all of them.
    assert not fired(run(docs(NAMESPACE, hpa_v2(target="web")), checks=[TARGET]), TARGET)
    complete = docs(NAMESPACE, deployment("web-v2"), hpa_v2(target="web"))
    finding = one(run(complete, checks=[TARGET]), TARGET)
    assert finding.severity is Severity.MEDIUM
    assert finding.target.kind == "HorizontalPodAutoscaler"
    assert finding.evidence == {
        "ref": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "source": "files",
    }
    assert finding.message == (
        "HorizontalPodAutoscaler shop/web targets Deployment web, which the complete input does not "
        "define in namespace shop: the HPA scales nothing"
    )
    # ...unless something in the input generates objects (a HelmRelease may create the Deployment).
    generated = run(docs(HELM_RELEASE, complete), checks=[TARGET])
    assert not fired(generated, TARGET) and undecided(generated, TARGET)
    # Declared complete: the same without a Namespace object.
    declared = Config(scope=ScopeSettings(complete=["shop"]))
    assert fired(run(hpa_v2(target="web"), checks=[TARGET], config=declared), TARGET)


def test_one_scope_whatever_the_folders() -> None:
    """Folders do not decide whether a reference resolves: the same objects in other files give the
    same findings."""
    split = run(
        ("charts/api/namespace.yaml", NAMESPACE),
        ("charts/api/deploy.yaml", deployment("api")),
        ("charts/web/hpa.yaml", hpa_v2(target="web")),
        checks=[TARGET],
    )
    together = run(docs(NAMESPACE, deployment("api"), hpa_v2(target="web")), checks=[TARGET])
    assert [f.message for f in fired(split, TARGET)] == [f.message for f in fired(together, TARGET)]
    assert fired(split, TARGET)


def test_target_missing_live_always_but_never_for_unknown_kinds() -> None:
    finding = one(run(hpa_v2(target="web"), checks=[TARGET], live=True), TARGET)
    assert finding.evidence["source"] == "cluster"
    assert finding.message == (
        "HorizontalPodAutoscaler shop/web targets Deployment web, which does not exist in "
        "namespace shop: the HPA scales nothing"
    )
    rollout = hpa_v2(target="web").replace(
        "{apiVersion: apps/v1, kind: Deployment, name: web}",
        "{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: web}",
    )
    assert not fired(run(rollout, checks=[TARGET], live=True), TARGET)


def test_fixed_replicas_with_default_min() -> None:
    check = "autoscaling.hpa-fixed-replicas"
    hpa = V1_HPA.replace("maxReplicas: 5", "maxReplicas: 1")
    finding = one(run(hpa, checks=[check]), check)
    assert finding.evidence == {"min": 1, "max": 1}
    assert "pins Deployment web at 1 replica and never scales" in finding.message
    assert not fired(run(V1_HPA, checks=[check]), check)


def test_replicas_in_template_is_files_only() -> None:
    check = "autoscaling.hpa-replicas-in-template"
    text = docs(deployment(replicas=3), hpa_v2())
    finding = one(run(text, checks=[check]), check)
    assert finding.evidence["replicas"] == 3 and finding.evidence["hpa"] == "web"
    live = run(text, checks=[check], live=True)
    assert not fired(live, check) and [s.check for s in live.skipped] == [check]


# ---- autoscaling.hpa-on-starved-pods ----------------------------------------------------------------

STARVED = "autoscaling.hpa-on-starved-pods"
OOM_STATUS = """
  containerStatuses:
    - name: app
      restartCount: 4
      lastState:
        terminated: {reason: OOMKilled, exitCode: 137, finishedAt: "2026-11-22T07:30:00Z"}"""


def test_starved_pods_build_on_the_oom_finding() -> None:
    pod = live_pod("web-5d8f7c9b4-x2kqp", "web", status=OOM_STATUS)
    finding = one(run(docs(deployment(), pod, hpa_v2()), checks=[STARVED], live=True), STARVED)
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["buildsOn"] == "qos.oom-killed"
    assert finding.evidence["qosFinding"]["evidence"]["containers"][0]["pods"] == ["web-5d8f7c9b4-x2kqp"]
    assert finding.message == (
        "Deployment shop/web is scaled out by HPA web while its container app was OOM-killed in "
        "the last 24h: more replicas of a starved pod are more starved pods"
    )
    # Without an HPA it is qos.oom-killed alone; on files the check is skipped.
    assert not fired(run(docs(deployment(), pod), checks=[STARVED], live=True), STARVED)
    on_files = run(docs(deployment(), pod, hpa_v2()), checks=[STARVED])
    assert [s.check for s in on_files.skipped] == [STARVED]


def test_starved_pods_window_is_a_param() -> None:
    pod = live_pod("web-5d8f7c9b4-x2kqp", "web", status=OOM_STATUS)
    config = Config.model_validate({"checks": {STARVED: {"params": {"window_hours": 1}}}})
    evaluation = run(docs(deployment(), pod, hpa_v2()), checks=[STARVED], live=True, config=config)
    assert not fired(evaluation, STARVED)


def test_scaling_oscillation_is_never_guessed_from_the_spec() -> None:
    check = "autoscaling.scaling-oscillation"
    on_files = run(hpa_v2(), checks=[check])
    assert [s.check for s in on_files.skipped] == [check]
    with_history = run(hpa_v2(), checks=[check], history=True)
    assert with_history.skipped == [] and not fired(with_history, check)


# ---- VPA recommendations ----------------------------------------------------------------------------

GAP = "autoscaling.vpa-recommendation-gap"
RECOMMENDATION = """
status:
  recommendation:
    containerRecommendations:
      - containerName: app
        lowerBound: {cpu: 600m, memory: 200Mi}
        target: {cpu: 800m, memory: 240Mi}
        upperBound: {cpu: 1200m, memory: 400Mi}"""


def test_gap_against_an_off_vpa() -> None:
    evaluation = run(docs(deployment(), vpa(mode="Off", status=RECOMMENDATION)), checks=[GAP])
    finding = one(evaluation, GAP)
    assert finding.severity is Severity.LOW
    assert finding.evidence["gaps"] == [
        {
            "container": "app",
            "resource": "cpu",
            "request": "250m",
            "target": "800m",
            "lowerBound": "600m",
            "upperBound": "1200m",
            "gap": 2.2,
            "direction": "above",
        }
    ]  # memory: 240Mi against 256Mi is within the ratio
    assert finding.evidence["source"] == "spec" and finding.evidence["threshold"] == 0.5
    assert finding.message == (
        "Deployment shop/web: VPA web (Off) recommends 800m cpu for container app, 220% above "
        "its request of 250m: the requests are sized far from observed usage"
    )


def test_gap_ratio_is_a_param() -> None:
    config = Config.model_validate({"checks": {GAP: {"params": {"ratio": 3}}}})
    text = docs(deployment(), vpa(mode="Off", status=RECOMMENDATION))
    assert not fired(run(text, checks=[GAP], config=config), GAP)


def test_gap_needs_a_recommendation_and_known_current_requests() -> None:
    assert not fired(run(docs(deployment(), vpa(mode="Off")), checks=[GAP]), GAP)
    # An active VPA rewrites pod requests at admission: the template is not what runs.
    active = run(docs(deployment(), vpa(mode="Recreate", status=RECOMMENDATION)), checks=[GAP])
    assert not fired(active, GAP)


def test_gap_uses_live_pod_requests() -> None:
    text = docs(deployment(), vpa(mode="Recreate", status=RECOMMENDATION))
    applied = live_pod("web-5d8f7c9b4-x2kqp", "web", requests="{cpu: 780m, memory: 240Mi}")
    assert not fired(run(docs(text, applied), checks=[GAP], live=True), GAP)
    stale = live_pod("web-5d8f7c9b4-x2kqp", "web")
    finding = one(run(docs(text, stale), checks=[GAP], live=True), GAP)
    assert finding.evidence["source"] == "pods"


LIMITED = """
        - name: app
          image: ghcr.io/example/cart:1.4.0
          resources:
            requests: {cpu: 100m, memory: 300Mi}
            limits: {cpu: "1", memory: 512Mi}"""
REQUESTS_ONLY = """
      - containerName: "*"
        controlledValues: RequestsOnly"""
ABOVE_LIMIT = """
status:
  recommendation:
    containerRecommendations:
      - containerName: app
        target: {cpu: 120m, memory: 900Mi}"""


def test_requests_only_recommendation_above_limit() -> None:
    check = "autoscaling.vpa-requests-only-limit"
    text = docs(deployment(containers=LIMITED), vpa(policies=REQUESTS_ONLY, status=ABOVE_LIMIT))
    finding = one(run(text, checks=[check]), check)
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["containers"] == [
        {"container": "app", "resource": "memory", "limit": "512Mi", "target": "900Mi"}
    ]
    assert "recommends 900Mi memory for container app, above its 512Mi limit" in finding.message
    assert "OOM-killed" in finding.message
    # RequestsAndLimits (the default) scales the limit; an Off VPA applies nothing.
    default_values = docs(deployment(containers=LIMITED), vpa(status=ABOVE_LIMIT))
    assert not fired(run(default_values, checks=[check]), check)
    off = docs(deployment(containers=LIMITED), vpa(mode="Off", policies=REQUESTS_ONLY, status=ABOVE_LIMIT))
    assert not fired(run(off, checks=[check]), check)


def test_every_issue_carries_evidence() -> None:
    text = docs(deployment(containers=NO_CPU, replicas=2), hpa_v2(), vpa())
    evaluation = run(text, checks=list(autoscaling.FUNCTIONS))
    assert evaluation.errors == []
    assert {f.check for f in evaluation.findings} == {
        OVERLAP,
        MISSING,
        "autoscaling.hpa-replicas-in-template",
    }
    for finding in evaluation.findings:
        assert finding.evidence and finding.message and finding.remediation.endswith(".")


# ---- autoscalers whose workload is not in the input ---------------------------------------------------


def test_overlap_decided_from_the_two_autoscalers_when_the_workload_is_elsewhere() -> None:
    evaluation = run(docs(hpa_v2(), vpa(name="web-vpa")), checks=[OVERLAP, MISSING])
    finding = one(evaluation, OVERLAP)
    assert finding.severity is Severity.HIGH
    # Targeted at the HPA, the VPA related, the workload named.
    assert (finding.target.kind, finding.target.name) == ("HorizontalPodAutoscaler", "web")
    assert [r.name for r in finding.related] == ["web", "web-vpa"]
    assert finding.message.startswith(
        "Deployment shop/web (not in the input) is scaled by HPA web on cpu utilization while VPA "
        "web-vpa (Recreate) also sets cpu requests"
    )
    assert finding.evidence["workload"] == "Deployment shop/web"
    assert finding.evidence["workloadInInput"] is False
    # What needs the workload itself is counted, never silent.
    assert undecided(evaluation, MISSING) == [
        "1 HPA with a Utilization target on a workload not in the input (its requests are unknown)"
    ]


def test_overlap_outside_the_scope_follows_the_vpa_policies() -> None:
    off = vpa(policies='\n      - {containerName: "*", mode: "Off"}')
    assert not fired(run(docs(hpa_v2(), off), checks=[OVERLAP]), OVERLAP)
    memory_only = vpa(policies='\n      - {containerName: "*", controlledResources: [memory]}')
    evaluation = run(docs(hpa_v2(), memory_only), checks=[OVERLAP, COEXIST])
    assert not fired(evaluation, OVERLAP)
    assert one(evaluation, COEXIST).evidence["vpaControlledResources"] == ["memory"]
    # Two HPAs on one workload outside the scope: decided from them alone.
    two = run(docs(hpa_v2("a"), hpa_v2("b")), checks=["autoscaling.multiple-hpa"])
    assert (
        "Deployment shop/web (not in the input) is targeted by 2 HPAs"
        in one(two, "autoscaling.multiple-hpa").message
    )


def test_overlap_on_a_workload_known_absent_is_left_to_target_missing() -> None:
    complete = Config(scope=ScopeSettings(complete=True))
    evaluation = run(docs(hpa_v2(), vpa()), checks=[OVERLAP, TARGET], config=complete)
    assert not fired(evaluation, OVERLAP)
    assert fired(evaluation, TARGET)


# ---- KEDA ScaledObjects: the HPA KEDA creates ----------------------------------------------------------

SCALED_OBJECT = """
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: web
  namespace: shop
spec:
  scaleTargetRef: {name: web}
  minReplicaCount: 2
  maxReplicaCount: 20
  triggers:
    - type: cpu
      metricType: Utilization
      metadata: {value: "60"}
    - type: prometheus
      metadata: {serverAddress: "http://prometheus:9090", query: "sum(rate(http_requests_total[1m]))", threshold: "100"}
"""


def test_scaled_object_is_the_hpa_keda_creates() -> None:
    evaluation = run(
        docs(deployment(replicas=3), SCALED_OBJECT, vpa()),
        checks=[OVERLAP, "autoscaling.hpa-replicas-in-template"],
    )
    finding = one(evaluation, OVERLAP)
    assert finding.severity is Severity.HIGH  # the cpu trigger is a Utilization target
    assert (
        "is scaled by ScaledObject web (through the HPA KEDA creates) on cpu utilization" in finding.message
    )
    assert [r.kind for r in finding.related] == ["ScaledObject", "VerticalPodAutoscaler"]
    # Replicas in the template fight KEDA's HPA as they fight any HPA.
    assert one(evaluation, "autoscaling.hpa-replicas-in-template").evidence["hpa"] == "web"


def test_scaled_object_defaults_and_scale_to_zero() -> None:
    external_only = SCALED_OBJECT.replace(
        '    - type: cpu\n      metricType: Utilization\n      metadata: {value: "60"}\n', ""
    )
    # Only an external trigger: no resource overlap with the VPA, they coexist.
    evaluation = run(docs(deployment(), external_only, vpa()), checks=[OVERLAP, COEXIST])
    assert not fired(evaluation, OVERLAP) and fired(evaluation, COEXIST)
    # minReplicaCount 0 and maxReplicaCount 1: KEDA scales between zero and one, nothing is pinned.
    zero = external_only.replace("minReplicaCount: 2", "minReplicaCount: 0").replace(
        "maxReplicaCount: 20", "maxReplicaCount: 1"
    )
    assert not fired(
        run(docs(deployment(), zero), checks=["autoscaling.hpa-fixed-replicas"]),
        "autoscaling.hpa-fixed-replicas",
    )


def test_scaled_object_beside_the_hpa_keda_made_is_one_autoscaler() -> None:
    made = hpa_v2("keda-hpa-web")
    evaluation = run(docs(deployment(), SCALED_OBJECT, made), checks=["autoscaling.multiple-hpa"])
    assert not fired(evaluation, "autoscaling.multiple-hpa")

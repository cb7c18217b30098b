"""Template QoS (`kgov.model.qos.template_qos`) against an independent reference.

`template_qos` implements the per-container form of the rule (kubectl 1.37, reference
autoscaling-and-qos.md §1.3) with the API's defaulting simulated. The reference below is written from
the *sum-and-compare* form (§1.2, kubectl ≤ 1.36) and applies the defaulting itself: the two forms
must agree on every pod the API server would accept (request ≤ limit per container and resource).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kgov.model.limits import LimitRange
from kgov.model.pods import PodTemplate
from kgov.model.qos import LimitDefaults, QoSClass, effective_containers, pod_level_set, template_qos

QOS = ("cpu", "memory")
MI, GI = 2**20, 2**30

# (spelling in the manifest, exact value): several spellings of one value on purpose.
Pool = list[tuple[Any, Fraction]]
CPU: Pool = [
    ("100m", Fraction(1, 10)),
    ("0.1", Fraction(1, 10)),
    ("250m", Fraction(1, 4)),
    ("500m", Fraction(1, 2)),
    (0.5, Fraction(1, 2)),
    ("1", Fraction(1)),
    (1, Fraction(1)),
    ("1000m", Fraction(1)),
    ("1.5", Fraction(3, 2)),
    ("2", Fraction(2)),
]
MEMORY: Pool = [
    ("64Mi", Fraction(64 * MI)),
    ("67108864", Fraction(64 * MI)),
    ("128Mi", Fraction(128 * MI)),
    ("0.125Gi", Fraction(128 * MI)),
    ("1Gi", Fraction(GI)),
    ("1024Mi", Fraction(GI)),
    ("1G", Fraction(10**9)),
    ("1e9", Fraction(10**9)),
]
POOLS: dict[str, Pool] = {"cpu": CPU, "memory": MEMORY}
ZEROS: list[Any] = ["0", 0, "0m", "0Mi", "0.0"]
# Resources that never count for QoS; their request must equal their limit when both are set.
NOISE = [("ephemeral-storage", "1Gi"), ("hugepages-2Mi", "128Mi"), ("nvidia.com/gpu", 1)]


# ---- the reference: sum-and-compare (§1.2) ---------------------------------------------------------


@dataclass
class Spec:
    """One container as generated: manifest spellings plus the exact values the reference uses."""

    name: str
    requests: dict[str, Any] = field(default_factory=dict)  # manifest text
    limits: dict[str, Any] = field(default_factory=dict)
    request_values: dict[str, Fraction] = field(default_factory=dict)  # cpu/memory only
    limit_values: dict[str, Fraction] = field(default_factory=dict)
    sidecar: bool = False
    resources_key: str = "full"  # "full", "absent" or "empty": how an empty resources block is written

    def manifest(self) -> dict[str, Any]:
        container: dict[str, Any] = {"name": self.name, "image": "example/app:1"}
        if self.sidecar:
            container["restartPolicy"] = "Always"
        resources: dict[str, Any] = {}
        if self.requests:
            resources["requests"] = dict(self.requests)
        if self.limits:
            resources["limits"] = dict(self.limits)
        if resources or self.resources_key == "empty":
            container["resources"] = resources
        return container


def reference_qos(
    containers: list[Spec], defaults: tuple[dict[str, Fraction], dict[str, Fraction]] | None = None
) -> QoSClass | None:
    """kubectl ≤ 1.36 `ComputePodQOS` on the pod the API server would create from the template.

    Returns None when the created pod would fail validation (a request above its limit).
    """
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    is_guaranteed = True
    for spec in containers:
        c_limits = dict(spec.limit_values)
        c_requests = dict(spec.request_values)
        for key, value in c_limits.items():  # SetDefaults_Pod: requests ← limits, per key
            c_requests.setdefault(key, value)
        if defaults is not None:  # LimitRanger admission: fill what is still missing
            default_limits, default_requests = defaults
            for key, value in default_limits.items():
                c_limits.setdefault(key, value)
            for key, value in default_requests.items():
                c_requests.setdefault(key, value)
        for key in QOS:
            if key in c_requests and key in c_limits and c_requests[key] > c_limits[key]:
                return None
        for key, value in c_requests.items():
            if key in QOS and value > 0:
                requests[key] = requests.get(key, Fraction(0)) + value
        found = set()
        for key, value in c_limits.items():
            if key in QOS and value > 0:
                found.add(key)
                limits[key] = limits.get(key, Fraction(0)) + value
        if not set(QOS) <= found:
            is_guaranteed = False
    if not requests and not limits:
        return QoSClass.BEST_EFFORT
    if is_guaranteed and any(limits.get(key) != value for key, value in requests.items()):
        is_guaranteed = False
    if is_guaranteed and len(requests) == len(limits):
        return QoSClass.GUARANTEED
    return QoSClass.BURSTABLE


def reference_pod_level_qos(pod_requests: dict[str, Fraction], pod_limits: dict[str, Fraction]) -> QoSClass:
    """The pod-level branch of §1.2: only `spec.resources` counts."""
    requests = {k: v for k, v in pod_requests.items() if k in QOS and v > 0}
    limits = {k: v for k, v in pod_limits.items() if k in QOS and v > 0}
    if not requests and not limits:
        return QoSClass.BEST_EFFORT
    guaranteed = set(QOS) <= set(limits) and all(limits.get(k) == v for k, v in requests.items())
    return QoSClass.GUARANTEED if guaranteed and len(requests) == len(limits) else QoSClass.BURSTABLE


# ---- generators -----------------------------------------------------------------------------------


@st.composite
def resource_pair(
    draw: st.DrawFn, key: str
) -> tuple[tuple[Any, Fraction] | None, tuple[Any, Fraction] | None]:
    """(request, limit) of one resource, each absent (None), zero or set; request ≤ limit."""
    pool = POOLS[key]
    limit_state = draw(st.sampled_from(["absent", "zero", "set"]))
    limit: tuple[Any, Fraction] | None = None
    if limit_state == "zero":
        limit = (draw(st.sampled_from(ZEROS)), Fraction(0))
    elif limit_state == "set":
        limit = draw(st.sampled_from(pool))
    request_state = draw(st.sampled_from(["absent", "zero", "set"]))
    request: tuple[Any, Fraction] | None = None
    if request_state == "zero":
        request = (draw(st.sampled_from(ZEROS)), Fraction(0))
    elif request_state == "set":
        allowed = pool if limit is None else [p for p in pool if p[1] <= limit[1]]
        if allowed:
            request = draw(st.sampled_from(allowed))
    return request, limit


@st.composite
def container_spec(draw: st.DrawFn, name: str, init: bool) -> Spec:
    spec = Spec(name=name, sidecar=init and draw(st.booleans()))
    for key in QOS:
        request, limit = draw(resource_pair(key))
        if request is not None:
            spec.requests[key], spec.request_values[key] = request
        if limit is not None:
            spec.limits[key], spec.limit_values[key] = limit
    for key, text in NOISE:
        where = draw(st.sampled_from(["none", "limits", "both"]))
        if where in ("limits", "both"):
            spec.limits[key] = text
        if where == "both":
            spec.requests[key] = text
    spec.resources_key = draw(st.sampled_from(["absent", "empty"]))
    return spec


@st.composite
def pods(draw: st.DrawFn) -> list[Spec]:
    n_init = draw(st.integers(min_value=0, max_value=3))
    n_main = draw(st.integers(min_value=1, max_value=3))
    init = [draw(container_spec(f"init-{i}", init=True)) for i in range(n_init)]
    main = [draw(container_spec(f"app-{i}", init=False)) for i in range(n_main)]
    return [*init, *main]


def template_of(containers: list[Spec], pod_resources: dict[str, Any] | None = None) -> PodTemplate:
    spec: dict[str, Any] = {
        "initContainers": [c.manifest() for c in containers if c.name.startswith("init-")],
        "containers": [c.manifest() for c in containers if not c.name.startswith("init-")],
    }
    if pod_resources is not None:
        spec["resources"] = pod_resources
    return PodTemplate.model_validate({"metadata": {"labels": {"app": "x"}}, "spec": spec}, by_alias=True)


@st.composite
def limit_defaults(draw: st.DrawFn) -> tuple[dict[str, Fraction], dict[str, Fraction], LimitDefaults]:
    """LimitRange container defaults: default limits and default requests (request ≤ limit)."""
    limits: dict[str, Fraction] = {}
    requests: dict[str, Fraction] = {}
    for key in QOS:
        pool = POOLS[key]
        if draw(st.booleans()):
            limits[key] = draw(st.sampled_from(pool))[1]
        if draw(st.booleans()):
            allowed = [p for p in pool if key not in limits or p[1] <= limits[key]]
            requests[key] = draw(st.sampled_from(allowed))[1]
        elif key in limits:
            requests[key] = limits[key]  # SetDefaults_LimitRangeItem: defaultRequest ← default
    as_decimal = LimitDefaults(
        {k: Decimal(v.numerator) / Decimal(v.denominator) for k, v in limits.items()},
        {k: Decimal(v.numerator) / Decimal(v.denominator) for k, v in requests.items()},
    )
    return limits, requests, as_decimal


# ---- properties ------------------------------------------------------------------------------------


@settings(max_examples=400)
@given(pods())
def test_template_qos_matches_sum_and_compare(containers: list[Spec]) -> None:
    expected = reference_qos(containers)
    assert expected is not None  # the generator only builds valid pods
    assert template_qos(template_of(containers)) is expected


@settings(max_examples=300)
@given(pods(), limit_defaults())
def test_template_qos_with_limit_range_matches_sum_and_compare(
    containers: list[Spec], defaults: tuple[dict[str, Fraction], dict[str, Fraction], LimitDefaults]
) -> None:
    default_limits, default_requests, limit_defaults_value = defaults
    expected = reference_qos(containers, (default_limits, default_requests))
    assume(expected is not None)  # LimitRanger would admit a pod that validation then rejects
    assert template_qos(template_of(containers), limit_defaults_value) is expected


@st.composite
def pod_level(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Fraction], dict[str, Fraction]]:
    """Pod-level resources naming each of cpu/memory in both requests and limits, or in neither."""
    manifest: dict[str, Any] = {"requests": {}, "limits": {}}
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    keys = draw(st.sampled_from([("cpu",), ("memory",), ("cpu", "memory")]))
    for key in keys:
        limit_text, limit = draw(st.sampled_from(POOLS[key]))
        request_text, request = draw(st.sampled_from([p for p in POOLS[key] if p[1] <= limit]))
        manifest["limits"][key], limits[key] = limit_text, limit
        manifest["requests"][key], requests[key] = request_text, request
    return manifest, requests, limits


@given(pods(), pod_level())
def test_pod_level_resources_decide_alone(
    containers: list[Spec], pod: tuple[dict[str, Any], dict[str, Fraction], dict[str, Fraction]]
) -> None:
    manifest, requests, limits = pod
    template = template_of(containers, manifest)
    assert pod_level_set(template)
    assert template_qos(template) is reference_pod_level_qos(requests, limits)


# ---- examples -------------------------------------------------------------------------------------


def template(
    containers: list[dict[str, Any]],
    init: list[dict[str, Any]] | None = None,
    pod: dict[str, Any] | None = None,
    **extra: Any,
) -> PodTemplate:
    spec: dict[str, Any] = {"containers": containers, **extra}
    if init is not None:
        spec["initContainers"] = init
    if pod is not None:
        spec["resources"] = pod
    return PodTemplate.model_validate({"spec": spec}, by_alias=True)


def c(
    name: str = "app",
    requests: dict[str, Any] | None = None,
    limits: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "example/app:1", "resources": resources, **extra}


GUARANTEED = {"cpu": "500m", "memory": "256Mi"}


def test_no_resources_is_best_effort() -> None:
    assert template_qos(template([{"name": "app", "image": "x"}])) is QoSClass.BEST_EFFORT


def test_empty_pod_is_best_effort() -> None:
    assert template_qos(PodTemplate.model_validate({}, by_alias=True)) is QoSClass.BEST_EFFORT


def test_null_resources_are_absent() -> None:
    tpl = template([{"name": "app", "resources": {"requests": None, "limits": None}}], init=None)
    assert template_qos(tpl) is QoSClass.BEST_EFFORT


def test_ephemeral_storage_only_is_best_effort() -> None:
    tpl = template([c(requests={"ephemeral-storage": "1Gi"}, limits={"ephemeral-storage": "2Gi"})])
    assert template_qos(tpl) is QoSClass.BEST_EFFORT


def test_ephemeral_containers_do_not_count() -> None:
    ephemeral = [{"name": "debug", "image": "busybox", "resources": {"requests": {"cpu": "1"}}}]
    guaranteed = template([c(requests=GUARANTEED, limits=GUARANTEED)], ephemeralContainers=ephemeral)
    assert template_qos(guaranteed) is QoSClass.GUARANTEED
    best_effort = template([c()], ephemeralContainers=ephemeral)
    assert template_qos(best_effort) is QoSClass.BEST_EFFORT


def test_hugepages_are_ignored() -> None:
    with_hugepages = {**GUARANTEED, "hugepages-2Mi": "128Mi"}
    assert template_qos(template([c(limits=with_hugepages)])) is QoSClass.GUARANTEED
    assert template_qos(template([c(limits={"hugepages-1Gi": "2Gi"})])) is QoSClass.BEST_EFFORT


def test_extended_resources_are_ignored() -> None:
    assert template_qos(template([c(limits={"nvidia.com/gpu": 1})])) is QoSClass.BEST_EFFORT
    assert template_qos(template([c(limits={**GUARANTEED, "nvidia.com/gpu": 1})])) is QoSClass.GUARANTEED


def test_limits_only_default_the_requests() -> None:
    assert template_qos(template([c(limits=GUARANTEED)])) is QoSClass.GUARANTEED


def test_requests_only_is_burstable() -> None:
    assert template_qos(template([c(requests=GUARANTEED)])) is QoSClass.BURSTABLE


def test_equal_values_in_different_spellings_are_guaranteed() -> None:
    tpl = template([c(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "1000m", "memory": "1024Mi"})])
    assert template_qos(tpl) is QoSClass.GUARANTEED


def test_request_below_limit_is_burstable() -> None:
    tpl = template([c(requests={"cpu": "250m", "memory": "256Mi"}, limits=GUARANTEED)])
    assert template_qos(tpl) is QoSClass.BURSTABLE


def test_only_one_of_cpu_and_memory_is_burstable() -> None:
    assert template_qos(template([c(limits={"cpu": "1"})])) is QoSClass.BURSTABLE
    assert template_qos(template([c(limits={"memory": "1Gi"})])) is QoSClass.BURSTABLE


def test_zero_values_count_as_unset() -> None:
    zero = {"cpu": "0", "memory": "0Mi"}
    assert template_qos(template([c(requests=zero, limits=zero)])) is QoSClass.BEST_EFFORT
    # An explicit zero request is not defaulted from the limit: request 0 < limit.
    tpl = template([c(requests={"cpu": 0, "memory": "256Mi"}, limits=GUARANTEED)])
    assert template_qos(tpl) is QoSClass.BURSTABLE


def test_best_effort_and_guaranteed_containers_mix_to_burstable() -> None:
    tpl = template([c("a", limits=GUARANTEED), c("b")])
    assert template_qos(tpl) is QoSClass.BURSTABLE


def test_one_init_container_without_limits_makes_it_burstable() -> None:
    app = c(requests=GUARANTEED, limits=GUARANTEED)
    assert template_qos(template([app])) is QoSClass.GUARANTEED
    assert template_qos(template([app], init=[c("setup")])) is QoSClass.BURSTABLE
    assert template_qos(template([app], init=[c("setup", limits={"cpu": "1"})])) is QoSClass.BURSTABLE
    assert template_qos(template([app], init=[c("setup", limits=GUARANTEED)])) is QoSClass.GUARANTEED


def test_sidecars_count_like_init_containers() -> None:
    app = c(requests=GUARANTEED, limits=GUARANTEED)
    bare_sidecar = c("proxy", restartPolicy="Always")
    tpl = template([app], init=[bare_sidecar])
    assert template_qos(tpl) is QoSClass.BURSTABLE
    roles = {e.name: e.role for e in effective_containers(tpl)}
    assert roles == {"proxy": "sidecar", "app": "container"}
    sized_sidecar = c("proxy", limits={"cpu": "100m", "memory": "64Mi"}, restartPolicy="Always")
    assert template_qos(template([app], init=[sized_sidecar])) is QoSClass.GUARANTEED
    # A sidecar is the only sized container: the app is BestEffort, the mix is Burstable.
    assert template_qos(template([c()], init=[sized_sidecar])) is QoSClass.BURSTABLE


def test_pod_level_resources_decide_alone_examples() -> None:
    pod_guaranteed = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    # Containers without resources, pod-level equal: Guaranteed.
    assert template_qos(template([c(), c("b")], pod=pod_guaranteed)) is QoSClass.GUARANTEED
    # Pod-level limits only: requests default to them.
    assert template_qos(template([c()], pod={"limits": {"cpu": "1", "memory": "1Gi"}})) is QoSClass.GUARANTEED
    # Guaranteed containers, but pod-level requests below limits: Burstable.
    pod_burstable = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    app = c(requests=GUARANTEED, limits=GUARANTEED)
    assert template_qos(template([app], pod=pod_burstable)) is QoSClass.BURSTABLE
    # A Burstable init container does not matter once pod-level resources are set.
    tpl = template([app], init=[c("setup")], pod=pod_guaranteed)
    assert template_qos(tpl) is QoSClass.GUARANTEED


def test_pod_level_without_cpu_or_memory_leaves_containers_in_charge() -> None:
    app = c(requests=GUARANTEED, limits=GUARANTEED)
    pods: list[dict[str, Any]] = [
        {},
        {"requests": {}, "limits": {}},
        {"limits": {"ephemeral-storage": "1Gi"}},
    ]
    for pod in pods:
        tpl = template([app], pod=pod)
        assert not pod_level_set(tpl)
        assert template_qos(tpl) is QoSClass.GUARANTEED


def test_pod_level_requests_default_from_container_requests() -> None:
    # Created pod: spec.resources.requests = {cpu: 500m (from the container), memory: 1Gi (from the
    # pod limit)}, limits = {cpu: 2, memory: 1Gi} → Burstable.
    tpl = template([c(requests={"cpu": "500m"})], pod={"limits": {"cpu": "2", "memory": "1Gi"}})
    assert template_qos(tpl) is QoSClass.BURSTABLE


def test_pod_level_limits_default_from_container_limits() -> None:
    # Created pod: spec.resources.limits = {cpu: 1, memory: 1Gi} (from the one container) → Guaranteed.
    tpl = template([c(limits={"cpu": "1", "memory": "1Gi"})], pod={"requests": {"cpu": "1", "memory": "1Gi"}})
    assert template_qos(tpl) is QoSClass.GUARANTEED


def test_limit_range_defaults_make_an_empty_template_guaranteed() -> None:
    defaults = LimitDefaults(
        limits={"cpu": Decimal("0.5"), "memory": Decimal(256 * MI)},
        requests={"cpu": Decimal("0.5"), "memory": Decimal(256 * MI)},
    )
    tpl = template([c()])
    assert template_qos(tpl) is QoSClass.BEST_EFFORT
    assert template_qos(tpl, defaults) is QoSClass.GUARANTEED


def test_limit_range_defaults_make_an_empty_template_burstable() -> None:
    defaults = LimitDefaults(
        limits={"cpu": Decimal(1), "memory": Decimal(GI)},
        requests={"cpu": Decimal("0.1"), "memory": Decimal(128 * MI)},
    )
    assert template_qos(template([c()]), defaults) is QoSClass.BURSTABLE
    only_memory = LimitDefaults(limits={"memory": Decimal(GI)}, requests={"memory": Decimal(GI)})
    assert template_qos(template([c()]), only_memory) is QoSClass.BURSTABLE


def test_limit_range_default_request_does_not_override_a_defaulted_request() -> None:
    # The API defaults request ← limit when the pod is decoded, before LimitRanger runs, so the
    # LimitRange's smaller defaultRequest never applies to a container that sets limits.
    defaults = LimitDefaults(
        limits={"cpu": Decimal(2), "memory": Decimal(2 * GI)},
        requests={"cpu": Decimal("0.1"), "memory": Decimal(128 * MI)},
    )
    assert template_qos(template([c(limits=GUARANTEED)]), defaults) is QoSClass.GUARANTEED
    (effective,) = effective_containers(template([c(limits=GUARANTEED)]), defaults)
    assert effective.requests == {"cpu": Decimal("0.5"), "memory": Decimal(256 * MI)}


def test_limit_range_object_defaults_chain() -> None:
    # max → default (limit) → defaultRequest, as SetDefaults_LimitRangeItem does.
    limit_range = LimitRange.model_validate(
        {"spec": {"limits": [{"type": "Container", "max": {"cpu": "1", "memory": "512Mi"}}]}}, by_alias=True
    )
    limits, requests = limit_range.container_defaults()
    defaults = LimitDefaults(limits, requests)
    assert template_qos(template([c()]), defaults) is QoSClass.GUARANTEED
    with_request = LimitRange.model_validate(
        {
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "1", "memory": "512Mi"},
                        "defaultRequest": {"cpu": "100m"},
                    }
                ]
            }
        },
        by_alias=True,
    )
    assert (
        template_qos(template([c()]), LimitDefaults(*with_request.container_defaults())) is QoSClass.BURSTABLE
    )
    pod_only = LimitRange.model_validate(
        {"spec": {"limits": [{"type": "Pod", "max": {"cpu": "1", "memory": "512Mi"}}]}}, by_alias=True
    )
    assert (
        template_qos(template([c()]), LimitDefaults(*pod_only.container_defaults())) is QoSClass.BEST_EFFORT
    )


def test_limit_range_defaults_apply_to_init_containers_and_sidecars() -> None:
    defaults = LimitDefaults(
        limits={"cpu": Decimal("0.5"), "memory": Decimal(256 * MI)},
        requests={"cpu": Decimal("0.5"), "memory": Decimal(256 * MI)},
    )
    tpl = template([c(limits=GUARANTEED)], init=[c("setup"), c("proxy", restartPolicy="Always")])
    assert template_qos(tpl) is QoSClass.BURSTABLE
    assert template_qos(tpl, defaults) is QoSClass.GUARANTEED


def test_sub_milli_values_are_rounded_up_like_the_api() -> None:
    # Stored object: requests.cpu 1m (100n rounded up) = limits.cpu 1m → Guaranteed.
    tpl = template([c(requests={"cpu": "100n", "memory": "64Mi"}, limits={"cpu": "1m", "memory": "64Mi"})])
    assert template_qos(tpl) is QoSClass.GUARANTEED

"""Operator engine benchmark: a synthetic cluster fed to the engine, no network.

    python bench/engine.py            # 10,000 pods / 1,500 workloads / 800 Ingresses / 400 HTTPRoutes /
                                      # 300 HPAs / 150 VPAs in 200 namespaces
    python bench/engine.py --pods 10000,50000,150000   # the curve: every kind scaled with the pods,
                                                       # each size in its own process
    python bench/engine.py --quick    # the same shape at a small scale, in seconds

Measures the initial evaluation, sustained watch events per second for a realistic mix (pod status
churn, HPA status updates, Ingress edits, rollouts) with an evaluation every `--batch` events (the
operator debounces), peak resident memory, writes for events that change no finding (must be 0) and
writes per changed finding. At the end the incrementally maintained findings are compared with a
fresh engine's full evaluation of the same objects. JSON goes to bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kgov.analysis import Capabilities, resolve_params
from kgov.checks.builtin import default_registry
from kgov.checks.registry import CheckSpec, Registry
from kgov.config import Config
from kgov.engine import Engine, WritePlan

Body = dict[str, Any]
RESULTS = Path(__file__).parent / "results" / "engine.json"
# Decided from the watch history, which a fresh engine does not have: left out of the cross-check.
HISTORY_CHECKS = frozenset({"ingress.reload-churn", "autoscaling.scaling-oscillation"})
# At 150,000 pods (the issue's budgets); events per second at the largest size within 1.5x of the smallest.
BUDGETS = {"initial_eval_s": 20.0, "events_per_s": 5000.0, "rss_mib": 1536.0, "noop_writes": 0}
CURVE_RATIO = 1.5


@dataclass(frozen=True)
class Scale:
    namespaces: int
    workloads: int
    pods: int
    ingresses: int
    routes: int
    hpas: int
    vpas: int
    events: int

    @staticmethod
    def full() -> Scale:
        return Scale(200, 1500, 10_000, 800, 400, 300, 150, 20_000)

    @staticmethod
    def for_pods(pods: int) -> Scale:
        """The full shape with every kind scaled in proportion to `pods`; the event count stays the
        same, so events per second compare across sizes."""
        base = Scale.full()
        factor = pods / base.pods

        def scaled(count: int) -> int:
            return max(1, round(count * factor))

        return Scale(
            scaled(base.namespaces),
            scaled(base.workloads),
            pods,
            scaled(base.ingresses),
            scaled(base.routes),
            scaled(base.hpas),
            scaled(base.vpas),
            base.events,
        )

    @staticmethod
    def quick() -> Scale:
        return Scale(10, 75, 500, 40, 20, 15, 8, 1_000)


# ---- the synthetic cluster ---------------------------------------------------------------------------


class Cluster:
    """Objects as the API server would send them, and the watch events that change them."""

    def __init__(self, scale: Scale, seed: int = 7) -> None:
        self.scale = scale
        self.rng = random.Random(seed)
        self.objects: dict[tuple[str, str | None, str], Body] = {}
        self._uid = 0
        self.deployments: list[Body] = []
        self.pods_by_workload: dict[str, list[Body]] = {}
        self.rs_of: dict[str, Body] = {}
        self.hpas: list[Body] = []
        self.ingresses: list[Body] = []
        self._build()
        self._workload_names = list(self.pods_by_workload)

    def uid(self) -> str:
        self._uid += 1
        return f"00000000-0000-4000-8000-{self._uid:012d}"

    def add(self, body: Body) -> Body:
        meta = body["metadata"]
        meta.setdefault("uid", self.uid())
        meta.setdefault("creationTimestamp", "2026-11-01T00:00:00Z")
        meta["resourceVersion"] = str(self._uid)
        self.objects[(body["kind"], meta.get("namespace"), meta["name"])] = body
        return body

    def _build(self) -> None:
        s = self.scale
        self.add(
            _obj(
                "networking.k8s.io/v1",
                "IngressClass",
                None,
                "nginx",
                spec={"controller": "k8s.io/ingress-nginx"},
            )
        )
        self.add(
            _obj(
                "gateway.networking.k8s.io/v1",
                "GatewayClass",
                None,
                "eg",
                spec={"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
            )
        )
        self.add(_obj("v1", "Namespace", None, "gateway-system"))
        listener = {
            "name": "http",
            "port": 80,
            "protocol": "HTTP",
            "allowedRoutes": {"namespaces": {"from": "All"}},
        }
        self.add(
            _obj(
                "gateway.networking.k8s.io/v1",
                "Gateway",
                "gateway-system",
                "shared",
                spec={"gatewayClassName": "eg", "listeners": [listener]},
            )
        )
        namespaces = [f"team-{i:03d}" for i in range(s.namespaces)]
        for namespace in namespaces:
            self.add(_obj("v1", "Namespace", None, namespace))
        pods_left = s.pods
        for i in range(s.workloads):
            namespace = namespaces[i % s.namespaces]
            share = pods_left // (s.workloads - i)
            pods_left -= share
            self._workload(namespace, f"app-{i:04d}", i, share)
        deployments = list(self.deployments)
        for i in range(s.hpas):
            self.hpas.append(self.add(_hpa(deployments[i])))
        for i in range(s.vpas):
            # Every other VPA sits on a workload whose HPA scales on cpu: an overlap finding.
            self.add(_vpa(deployments[i * 2 if i % 2 == 0 else s.hpas + i]))
        for i in range(s.ingresses):
            self.ingresses.append(self.add(_ingress(deployments[i % len(deployments)], i)))
        for i in range(s.routes):
            self.add(_route(deployments[(i * 3) % len(deployments)], i))

    def _workload(self, namespace: str, name: str, index: int, pods: int) -> None:
        kind = "StatefulSet" if index % 10 == 9 else "Deployment"
        resources = _resources(index)
        template = {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "app", "image": f"registry.example/{name}:1", **resources}]},
        }
        api = "apps/v1"
        workload = self.add(
            _obj(
                api,
                kind,
                namespace,
                name,
                spec={"replicas": pods, "selector": {"matchLabels": {"app": name}}, "template": template},
            )
        )
        self.add(
            _obj(
                "v1",
                "Service",
                namespace,
                name,
                spec={"selector": {"app": name}, "ports": [{"name": "http", "port": 80}]},
            )
        )
        owner = workload
        if kind == "Deployment":
            self.deployments.append(workload)
            owner = self.add(_replicaset(workload, "rev1"))
            self.rs_of[name] = owner
        self.pods_by_workload[name] = [self.add(_pod(owner, template, j)) for j in range(pods)]

    # ---- watch events -----------------------------------------------------------------------------

    def initial(self) -> Iterator[tuple[str, Body]]:
        for body in self.objects.values():
            yield "ADDED", body

    def events(self, count: int) -> Iterator[tuple[str, Body]]:
        """Pod status churn 60% (readiness flips, 30% of them with a restart, 2% an OOM kill), HPA status
        updates 20%, Ingress edits 10%, rollouts 10% (a rollout is several events: the Deployment, the
        new ReplicaSet, pod replacements, the old ReplicaSet's removal)."""
        produced = 0
        while produced < count:
            roll = self.rng.random()
            if roll < 0.6:
                batch = [self._pod_status()]
            elif roll < 0.8:
                batch = [self._hpa_status()]
            elif roll < 0.9:
                batch = [self._ingress_edit()]
            else:
                batch = list(self._rollout())
            for event in batch:
                produced += 1
                yield event

    def _bump(self, body: Body) -> Body:
        self._uid += 1
        body["metadata"]["resourceVersion"] = str(self._uid)
        return body

    def _pod_status(self) -> tuple[str, Body]:
        name = self.rng.choice(self._workload_names)
        pods = self.pods_by_workload[name]
        if not pods:
            return self._hpa_status()
        pod = copy.deepcopy(self.rng.choice(pods))
        status = pod["status"]["containerStatuses"][0]
        ready = self.rng.random() < 0.8
        status["ready"] = ready
        pod["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        if self.rng.random() < 0.3:  # most status updates are readiness; some are restarts
            status["restartCount"] += 1
        if self.rng.random() < 0.02:
            status["lastState"] = {
                "terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-23T22:00:00Z"}
            }
        self._replace(pods, pod)
        return "MODIFIED", self._bump(pod)

    def _replace(self, pods: list[Body], pod: Body) -> None:
        for i, old in enumerate(pods):
            if old["metadata"]["name"] == pod["metadata"]["name"]:
                pods[i] = pod
        self.objects[("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"])] = pod

    def _hpa_status(self) -> tuple[str, Body]:
        index = self.rng.randrange(len(self.hpas))
        hpa = copy.deepcopy(self.hpas[index])
        replicas = self.rng.randint(2, 10)
        hpa["status"] = {"currentReplicas": replicas, "desiredReplicas": self.rng.randint(2, 10)}
        self.hpas[index] = hpa
        self.objects[("HorizontalPodAutoscaler", hpa["metadata"]["namespace"], hpa["metadata"]["name"])] = hpa
        return "MODIFIED", self._bump(hpa)

    def _ingress_edit(self) -> tuple[str, Body]:
        index = self.rng.randrange(len(self.ingresses))
        ingress = copy.deepcopy(self.ingresses[index])
        annotations = ingress["metadata"].setdefault("annotations", {})
        annotations["nginx.ingress.kubernetes.io/proxy-body-size"] = f"{self.rng.randint(1, 64)}m"
        self.ingresses[index] = ingress
        self.objects[("Ingress", ingress["metadata"]["namespace"], ingress["metadata"]["name"])] = ingress
        return "MODIFIED", self._bump(ingress)

    def _rollout(self) -> Iterator[tuple[str, Body]]:
        deployment = copy.deepcopy(self.rng.choice(self.deployments))
        name = deployment["metadata"]["name"]
        revision = self._uid
        template = deployment["spec"]["template"]
        template["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": f"rev{revision}"}
        self.deployments = [deployment if d["metadata"]["name"] == name else d for d in self.deployments]
        self.objects[("Deployment", deployment["metadata"]["namespace"], name)] = deployment
        yield "MODIFIED", self._bump(deployment)
        replicaset = self.add(_replicaset(deployment, f"rev{revision}"))
        yield "ADDED", replicaset
        old = self.rs_of[name]
        self.rs_of[name] = replicaset
        pods = self.pods_by_workload[name]
        for i, pod in enumerate(list(pods)):
            self.objects.pop(("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"]), None)
            yield "DELETED", pod
            pods[i] = self.add(_pod(replicaset, template, i))
            yield "ADDED", pods[i]
        # The old ReplicaSet, scaled to zero, goes when it falls out of the revision history.
        yield (
            "DELETED",
            self.objects.pop(("ReplicaSet", old["metadata"]["namespace"], old["metadata"]["name"])),
        )


def _obj(api: str, kind: str, namespace: str | None, name: str, **rest: Any) -> Body:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": metadata, **rest}


def _resources(index: int) -> dict[str, Any]:
    """Mostly well-sized containers; some BestEffort, some without a memory limit."""
    if index % 17 == 0:
        return {}
    if index % 5 == 0:
        return {"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    return {"resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}}}


def _owner(body: Body) -> dict[str, Any]:
    meta = body["metadata"]
    return {
        "apiVersion": body["apiVersion"],
        "kind": body["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _replicaset(deployment: Body, revision: str) -> Body:
    meta = deployment["metadata"]
    body = _obj(
        "apps/v1",
        "ReplicaSet",
        meta["namespace"],
        f"{meta['name']}-{revision}",
        spec={
            "replicas": deployment["spec"]["replicas"],
            "selector": deployment["spec"]["selector"],
            "template": deployment["spec"]["template"],
        },
    )
    body["metadata"]["ownerReferences"] = [_owner(deployment)]
    return body


def _pod(owner: Body, template: Body, index: int) -> Body:
    meta = owner["metadata"]
    container = template["spec"]["containers"][0]
    body = _obj(
        "v1",
        "Pod",
        meta["namespace"],
        f"{meta['name']}-{index}",
        spec={"containers": [copy.deepcopy(container)], "nodeName": f"node-{index % 50}"},
        status={
            "phase": "Running",
            "qosClass": "Burstable",
            "podIP": f"10.0.{index % 250}.{index % 200}",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {"name": "app", "ready": True, "restartCount": 0, "state": {"running": {}}}
            ],
        },
    )
    body["metadata"]["labels"] = dict(template["metadata"]["labels"])
    body["metadata"]["ownerReferences"] = [_owner(owner)]
    return body


def _hpa(deployment: Body) -> Body:
    meta = deployment["metadata"]
    return _obj(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        meta["namespace"],
        meta["name"],
        spec={
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"]},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
        },
        status={"currentReplicas": 3, "desiredReplicas": 3},
    )


def _vpa(deployment: Body) -> Body:
    meta = deployment["metadata"]
    return _obj(
        "autoscaling.k8s.io/v1",
        "VerticalPodAutoscaler",
        meta["namespace"],
        meta["name"],
        spec={
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"]},
            "updatePolicy": {"updateMode": "Auto"},
        },
    )


def _ingress(deployment: Body, index: int) -> Body:
    meta = deployment["metadata"]
    annotations = {"nginx.ingress.kubernetes.io/proxy-body-size": "8m"}
    if index % 25 == 0:
        annotations["nginx.ingress.kubernetes.io/configuration-snippet"] = "more_set_headers 'X-A: b';"
    body = _obj(
        "networking.k8s.io/v1",
        "Ingress",
        meta["namespace"],
        f"{meta['name']}-{index}",
        spec={
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": f"{meta['name']}-{index}.example.com",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": meta["name"], "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        },
    )
    body["metadata"]["annotations"] = annotations
    return body


def _route(deployment: Body, index: int) -> Body:
    meta = deployment["metadata"]
    accepted = "False" if index % 40 == 0 else "True"
    return _obj(
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
        meta["namespace"],
        f"{meta['name']}-route-{index}",
        spec={
            "parentRefs": [{"name": "shared", "namespace": "gateway-system"}],
            "hostnames": [f"{meta['name']}-{index}.routes.example.com"],
            "rules": [{"backendRefs": [{"name": meta["name"], "port": 80}]}],
        },
        status={
            "parents": [
                {
                    "parentRef": {"name": "shared", "namespace": "gateway-system"},
                    "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
                    "conditions": [
                        {
                            "type": "Accepted",
                            "status": accepted,
                            "reason": "NotAllowedByListeners" if accepted == "False" else "Accepted",
                        },
                        {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs"},
                    ],
                }
            ]
        },
    )


# ---- measuring -----------------------------------------------------------------------------------


class FakeClock:
    def __init__(self, start: float = 1_795_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


class CheckTimes:
    """Time spent in each check's function (the issues it yields included), for the breakdown of the
    first evaluation."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.counting = True

    def registry(self) -> Registry:
        return Registry(dataclasses.replace(spec, fn=self._timed(spec)) for spec in default_registry())

    def _timed(self, spec: CheckSpec) -> Callable[[Any, Any], list[Any]]:
        fn = spec.fn

        def run(subject: Any, context: Any) -> list[Any]:
            if not self.counting:
                return list(fn(subject, context))
            started = time.perf_counter()
            try:
                return list(fn(subject, context))
            finally:
                self.seconds[spec.id] = self.seconds.get(spec.id, 0.0) + time.perf_counter() - started

        return run

    def top(self, count: int = 5) -> dict[str, float]:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:count]
        return {check: round(seconds, 2) for check, seconds in ranked}


def new_engine(clock: FakeClock, registry: Registry | None = None) -> Engine:
    registry, config = registry or default_registry(), Config()
    return Engine(
        registry,
        config,
        resolve_params(registry, config),
        capabilities=Capabilities(live=True, history=True),
        clock=clock,
        max_findings=1_000_000,
    )


def snapshot(engine: Engine) -> dict[tuple[str, str | None, str], Any]:
    return {key: body["spec"] for key, body in engine.desired_bodies().items()}


def writes(plan: WritePlan) -> int:
    return len(plan.creates) + len(plan.patches) + len(plan.deletes)


def changed(before: dict[Any, Any], after: dict[Any, Any]) -> int:
    return sum(1 for key in set(before) | set(after) if before.get(key) != after.get(key))


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(scale: Scale, batch: int) -> dict[str, Any]:
    # Memory only grows until the engine starts, so the peak so far is the current size: the
    # interpreter with its imports, then the generator's own copy of the cluster (its events and the
    # cross-check need it; the engine shares the nested parts of each body with it, as the operator
    # shares them with the event it was handed).
    rss_imports = peak_mib()
    cluster = Cluster(scale)
    rss_generator = peak_mib() - rss_imports
    clock = FakeClock()
    times = CheckTimes()
    engine = new_engine(clock, times.registry())
    started, cpu_started = time.perf_counter(), time.process_time()
    for event_type, body in cluster.initial():
        engine.apply_event(event_type, body)
    first = engine.evaluate()
    initial_eval_s = time.perf_counter() - started
    initial_eval_cpu_s = time.process_time() - cpu_started
    times.counting = False
    findings_initial = len(first.creates)

    # Zero writes when nothing changed: a full resync (every object re-sent as it is) and evaluations
    # with no events in between.
    noop_writes = 0
    for _, body in cluster.initial():
        engine.apply_event("MODIFIED", body)
    noop_writes += len(engine.evaluate())
    noop_writes += len(engine.evaluate())

    total_writes = total_changed = 0
    before = snapshot(engine)
    events = 0
    busy = busy_cpu = 0.0  # time in the engine only: generating events and checking results is not counted
    while events < scale.events:
        batch_events = list(cluster.events(min(batch, scale.events - events)))
        started, cpu_started = time.perf_counter(), time.process_time()
        for event_type, body in batch_events:
            engine.apply_event(event_type, body)
            clock.now += 0.0005  # 2,000 events per second of cluster time
        plan = engine.evaluate()
        busy += time.perf_counter() - started
        busy_cpu += time.process_time() - cpu_started
        events += len(batch_events)
        after = snapshot(engine)
        total_writes += writes(plan)
        total_changed += changed(before, after)
        before = after
    noop_writes += len(engine.evaluate())
    rss_mib = peak_mib()  # before the check below

    # The incrementally kept findings equal a full evaluation of the same objects by a fresh engine.
    fresh = new_engine(clock)
    for event_type, body in cluster.initial():
        fresh.apply_event(event_type, body)
    fresh.evaluate()
    expected, got = snapshot(fresh), snapshot(engine)
    mismatched = sorted(
        str(k)
        for k in set(expected) | set(got)
        if expected.get(k) != got.get(k) and (expected.get(k) or got.get(k))["check"] not in HISTORY_CHECKS
    )
    return {
        "scale": scale.__dict__,
        "objects": len(cluster.objects),
        "findings": len(got),
        "findings_initial": findings_initial,
        "initial_eval_s": round(initial_eval_s, 3),
        # CPU seconds of this process: what the machine's other load does not inflate.
        "initial_eval_cpu_s": round(initial_eval_cpu_s, 3),
        "initial_eval_top_checks_s": times.top(),
        "events": events,
        "batch": batch,
        "events_per_s": round(events / busy, 1),
        "events_per_cpu_s": round(events / busy_cpu, 1),
        "rss_mib": round(rss_mib, 1),
        "rss_imports_mib": round(rss_imports, 1),
        "rss_generator_mib": round(rss_generator, 1),
        # The engine's own: the peak less the interpreter, the imports and the generator's copy.
        "rss_engine_mib": round(rss_mib - rss_imports - rss_generator, 1),
        "noop_writes": noop_writes,
        "writes": total_writes,
        "changed_findings": total_changed,
        "writes_per_changed_finding": round(total_writes / total_changed, 3) if total_changed else None,
        "mismatched_findings": mismatched[:20],
        "mismatched_count": len(mismatched),
        "findings_by_check": dict(sorted(_by_check(engine).items())),
        "churn_per_hour": {f"{k[0]}/{k[1]}": v.weighted_per_hour for k, v in engine.churn_estimates.items()},
    }


def _by_check(engine: Engine) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in engine.desired_findings:
        counts[finding.check] = counts.get(finding.check, 0) + 1
    return counts


def table(result: dict[str, Any]) -> str:
    points = result["points"]
    rows: list[tuple[str, str, Any]] = [
        ("objects", "", [p["objects"] for p in points]),
        ("initial_eval_s", f"≤ {BUDGETS['initial_eval_s']}", [p["initial_eval_s"] for p in points]),
        ("initial_eval_cpu_s", "", [p["initial_eval_cpu_s"] for p in points]),
        ("events_per_s", f"≥ {BUDGETS['events_per_s']:.0f}", [p["events_per_s"] for p in points]),
        ("events_per_cpu_s", "", [p["events_per_cpu_s"] for p in points]),
        ("rss_mib", f"≤ {BUDGETS['rss_mib']:.0f}", [p["rss_mib"] for p in points]),
        ("  of it the generator's copy", "", [p["rss_generator_mib"] for p in points]),
        ("  of it the engine's own", "", [p["rss_engine_mib"] for p in points]),
        ("noop_writes", "= 0", [p["noop_writes"] for p in points]),
        ("writes_per_changed_finding", "1.0 ideal", [p["writes_per_changed_finding"] for p in points]),
        ("mismatched_findings", "= 0", [p["mismatched_count"] for p in points]),
    ]
    head = "".join(f"{p['scale']['pods']:>12,}" for p in points)
    lines = [f"{'pods':<28}{head}  budget", "-" * (40 + 12 * len(points))]
    lines += [f"{name:<28}{''.join(f'{v!s:>12}' for v in values)}  {budget}" for name, budget, values in rows]
    if len(points) > 1:
        lines.append(
            f"events/s at the smallest ÷ the largest: {result['curve']['events_per_s_ratio']} (≤ 1.5); "
            f"per CPU-second: {result['curve']['events_per_cpu_s_ratio']}"
        )
    return "\n".join(lines)


def point_in_child(pods: int, batch: int) -> dict[str, Any]:
    """One size in its own process, so peak memory is that size's alone."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "point.json"
        command = [
            sys.executable,
            __file__,
            "--pods",
            str(pods),
            "--batch",
            str(batch),
            "--output",
            str(output),
        ]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        point: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))["points"][0]
        return point


def curve(points: list[dict[str, Any]]) -> dict[str, Any]:
    first, last = points[0], points[-1]
    return {
        "pods": [p["scale"]["pods"] for p in points],
        "events_per_s_ratio": round(first["events_per_s"] / last["events_per_s"], 2),
        "events_per_cpu_s_ratio": round(first["events_per_cpu_s"] / last["events_per_cpu_s"], 2),
        "initial_eval_s_per_1k_objects": [
            round(p["initial_eval_s"] / p["objects"] * 1000, 4) for p in points
        ],
        "rss_kib_per_object": [round(p["rss_mib"] * 1024 / p["objects"], 2) for p in points],
        "engine_rss_kib_per_object": [round(p["rss_engine_mib"] * 1024 / p["objects"], 2) for p in points],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scale, runs in seconds")
    parser.add_argument(
        "--pods",
        default="10000",
        help="cluster sizes in pods, comma-separated (other kinds scaled alike): 10000,50000,150000 is the curve",
    )
    parser.add_argument("--batch", type=int, default=1000, help="events between evaluations")
    parser.add_argument("--output", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    sizes = [int(p) for p in args.pods.split(",")]
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }
    if args.quick:
        scale = Scale.quick()
        points = [run(scale, min(args.batch, scale.events))]
    elif len(sizes) == 1:
        scale = Scale.for_pods(sizes[0])
        points = [run(scale, min(args.batch, scale.events))]
    else:
        points = []
        for pods in sizes:
            points.append(point_in_child(pods, args.batch))
            print(
                f"{pods:,} pods: {points[-1]['initial_eval_s']} s, {points[-1]['events_per_s']} events/s",
                flush=True,
            )
    result = {"mode": "quick" if args.quick else "full", "machine": machine, "points": points}
    if len(points) > 1:
        result["curve"] = curve(points)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(table(result))
    ok = all(p["noop_writes"] == 0 and p["mismatched_count"] == 0 for p in points)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

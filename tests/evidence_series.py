"""Scenarios for the Prometheus evidence tests: live objects, and the OpenMetrics series a real cluster
would have produced for them.

Every series exists twice, with `cluster="incident"` (the problems) and `cluster="baseline"` (the same
objects, healthy), so one TSDB serves both and the tests also prove the cluster label matcher works.
Series run from `end - HISTORY` to `end`, one sample every `SCRAPE` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SCRAPE = 15
HISTORY = 2 * 3600
MIB = 2**20

NAMESPACE = "shop"
CONTROLLER_NAMESPACE = "ingress-nginx"
NGINX_CLASS = "k8s.io/ingress-nginx"
BUSY_POD = "ingress-nginx-controller-5c8d7-aaaaa"
FAILING_POD = "ingress-nginx-controller-5c8d7-bbbbb"


def pod_name(workload: str) -> str:
    return f"{workload}-6d4b9c-x7k2p"


Value = Callable[[float], float]  # seconds before `end` → value


@dataclass
class Series:
    metric: str
    labels: dict[str, str]
    value: Value
    # only samples this many seconds before `end` or later (None: the whole history)
    since: float | None = None


@dataclass
class Scenario:
    series: list[Series] = field(default_factory=list)

    def add(self, metric: str, labels: dict[str, str], value: Value, since: float | None = None) -> None:
        self.series.append(Series(metric, labels, value, since))


def counter(per_second: float) -> Value:
    """A counter rising at a steady rate (its value `age` seconds before the end)."""
    return lambda age: round((HISTORY - age) * per_second)


def steps(every: float) -> Value:
    """A counter that rises by one every `every` seconds."""
    return lambda age: float(int((HISTORY - age) // every))


def container(workload: str, cluster: str, **extra: str) -> dict[str, str]:
    return {
        "cluster": cluster,
        "namespace": NAMESPACE,
        "pod": pod_name(workload),
        "container": workload,
        **extra,
    }


def scenario(cluster: str) -> Scenario:
    incident = cluster == "incident"
    s = Scenario()
    cadvisor = {"job": "kubelet", "image": "ghcr.io/example/app:1.0.0"}
    ksm = {"job": "kube-state-metrics"}
    # api: throttled in 40% of its CFS periods (baseline 2%); 10 periods a second (100 ms CFS period).
    for workload in ("api", "cache", "worker"):
        throttled = 4 if workload == "api" and incident else 0.2
        labels = container(workload, cluster, **cadvisor)
        s.add("container_cpu_cfs_periods_total", labels, counter(10))
        s.add("container_cpu_cfs_throttled_periods_total", labels, counter(throttled))
        # cache: peak working set 490Mi of a 512Mi limit (baseline 256Mi).
        working_set = 490 * MIB if workload == "cache" and incident else 256 * MIB
        s.add("container_memory_working_set_bytes", labels, lambda age, ws=working_set: ws)
        limit = {**container(workload, cluster, **ksm), "resource": "memory", "unit": "byte"}
        s.add("kube_pod_container_resource_limits", limit, lambda age: 512 * MIB)
        # worker: OOM-killed 30 and 10 minutes before the end (baseline: never).
        oom: Value = (
            (lambda age: float((age <= 1800) + (age <= 600)))
            if workload == "worker" and incident
            else (lambda age: 0.0)
        )
        s.add("container_oom_events_total", labels, oom)
    # sparse: only the last three scrapes exist (too few samples to assert anything).
    sparse = container("sparse", cluster, **cadvisor)
    s.add("container_cpu_cfs_periods_total", sparse, counter(10), since=2 * SCRAPE)
    s.add("container_cpu_cfs_throttled_periods_total", sparse, counter(9), since=2 * SCRAPE)
    # HPAs: `flappy` flips between 3 and 6 desired replicas every 2 minutes (baseline steady at 3).
    for hpa in ("api", "flappy"):
        labels = {"cluster": cluster, "namespace": NAMESPACE, "horizontalpodautoscaler": hpa, **ksm}
        flapping = hpa == "flappy" and incident
        s.add(
            "kube_horizontalpodautoscaler_status_desired_replicas",
            labels,
            (lambda age: 3.0 if int(age // 120) % 2 else 6.0) if flapping else (lambda age: 3.0),
        )
    # ingress-nginx: both pods reload every 30 s (120 an hour); the second one's reloads fail for the
    # last 20 minutes. Baseline: a reload every 20 minutes, all successful.
    for pod in (BUSY_POD, FAILING_POD):
        labels = {
            "cluster": cluster,
            "job": "ingress-nginx",
            "controller_namespace": CONTROLLER_NAMESPACE,
            "controller_class": NGINX_CLASS,
            "controller_pod": pod,
        }
        failing = pod == FAILING_POD and incident
        s.add("nginx_ingress_controller_success", labels, steps(30 if incident else 1200))
        s.add(
            "nginx_ingress_controller_errors",
            labels,
            (lambda age: float(max(0, int((1200 - age) // 120)))) if failing else (lambda age: 0.0),
        )
        s.add(
            "nginx_ingress_controller_config_last_reload_successful",
            labels,
            (lambda age: 0.0 if age < 1200 else 1.0) if failing else (lambda age: 1.0),
        )
    return s


def openmetrics(end: int, scenarios: list[Scenario]) -> str:
    """The OpenMetrics text promtool turns into TSDB blocks (samples of one metric kept together)."""
    by_metric: dict[str, list[Series]] = {}
    for sc in scenarios:
        for series in sc.series:
            by_metric.setdefault(series.metric, []).append(series)
    lines = []
    for metric, group in by_metric.items():
        lines.append(f"# TYPE {metric} gauge")
        for series in group:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(series.labels.items()))
            oldest = HISTORY if series.since is None else series.since
            for age in range(int(oldest), -1, -SCRAPE):
                value = float(series.value(age))
                text = str(int(value)) if value.is_integer() else repr(value)
                lines.append(f"{metric}{{{labels}}} {text} {end - age}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def manifests() -> str:
    """The live objects the series belong to, as `kgov scan --cluster` would read them."""
    docs = [_workload(w) for w in ("api", "cache", "worker", "sparse")]
    docs += [_hpa("api", "api"), _hpa("flappy", "worker"), _ingress_class(), _controller()]
    return "\n---\n".join(docs)


def _workload(name: str) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {NAMESPACE}, uid: d-{name}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: {name}
          image: ghcr.io/example/app:1.0.0
          resources:
            requests: {{cpu: 250m, memory: 512Mi}}
            limits: {{cpu: 500m, memory: 512Mi}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: {name}-6d4b9c
  namespace: {NAMESPACE}
  uid: rs-{name}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: {name}, uid: d-{name}, controller: true}}]
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    spec:
      containers: [{{name: {name}, image: ghcr.io/example/app:1.0.0}}]
---
apiVersion: v1
kind: Pod
metadata:
  name: {pod_name(name)}
  namespace: {NAMESPACE}
  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {name}-6d4b9c, uid: rs-{name}, controller: true}}]
spec:
  containers:
    - name: {name}
      image: ghcr.io/example/app:1.0.0
      resources:
        requests: {{cpu: 250m, memory: 512Mi}}
        limits: {{cpu: 500m, memory: 512Mi}}
status:
  qosClass: Burstable
  containerStatuses:
    - name: {name}
      restartCount: 0
      state: {{running: {{startedAt: "2026-01-01T00:00:00Z"}}}}"""


def _hpa(name: str, target: str) -> str:
    return f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {{name: {name}, namespace: {NAMESPACE}}}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {target}}}
  minReplicas: 3
  maxReplicas: 6
  metrics:
    - type: Resource
      resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 70}}}}"""


def _ingress_class() -> str:
    return f"""apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: nginx}}
spec:
  controller: {NGINX_CLASS}"""


def _controller() -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: ingress-nginx-controller, namespace: {CONTROLLER_NAMESPACE}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: ingress-nginx}}}}
  template:
    metadata: {{labels: {{app: ingress-nginx}}}}
    spec:
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.12.1
          args: [/nginx-ingress-controller, --ingress-class=nginx]"""

"""The operator's engine, fed any sequence of watch events over every kind it watches and evaluated at
any points in between, holds the findings a fresh evaluation of the objects left gives.

Each object of the pool has versions that change what other objects read (labels a Service or PDB
selects, an HPA's target, a route's parent and backend, a class's controller), so the sequences
exercise the engine's invalidation, in-place inventory updates and rebuilds; the live inventory the
engine updated in place must also hold what a fresh one holds. Bounded to a few
seconds: a fixed number of examples, no deadline, no shrinking database in CI.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kgov.engine import Engine
from kgov.inventory import Inventory
from kgov.inventory.network import rule_hosts
from kgov.inventory.views import Key
from kgov.model.kinds import KINDS
from test_engine import Clock, engine

Body = dict[str, Any]
CHURN_WINDOW_S = 600.0

_POOL = """
- - {apiVersion: v1, kind: Namespace, metadata: {name: shop}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: shop, annotations: {kgov.io/ignore: qos.best-effort}}}
- - {apiVersion: v1, kind: Namespace, metadata: {name: edge}}
- - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop, uid: u-web}
    spec:
      replicas: 2
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: app, image: registry.example/web:1}]}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: shop, uid: u-web}
    spec:
      replicas: 1
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web, tier: front}}
        spec:
          containers:
            - name: app
              image: registry.example/web:2
              resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 512Mi}}
- - apiVersion: apps/v1
    kind: ReplicaSet
    metadata:
      name: web-1
      namespace: shop
      uid: u-web-1
      ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: u-web, controller: true}]
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: app, image: registry.example/web:1}]}
- - &web-pod
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-1-a
      namespace: shop
      labels: {app: web}
      ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-1, uid: u-web-1, controller: true}]
    spec: {containers: [{name: app, image: registry.example/web:1}]}
    status: {phase: Running, qosClass: BestEffort}
  - <<: *web-pod  # the same pod, restarted after an OOM kill
    status:
      phase: Running
      qosClass: BestEffort
      containerStatuses:
        - name: app
          ready: true
          restartCount: 2
          state: {running: {}}
          lastState: {terminated: {reason: OOMKilled, exitCode: 137, finishedAt: "2026-11-23T22:00:00Z"}}
- - apiVersion: v1
    kind: ReplicationController
    metadata: {name: legacy, namespace: shop, uid: u-legacy}
    spec:
      replicas: 1
      selector: {app: legacy}
      template:
        metadata: {labels: {app: legacy}}
        spec: {containers: [{name: app, image: registry.example/legacy:1}]}
- - apiVersion: v1
    kind: Pod
    metadata:
      name: legacy-x
      namespace: shop
      labels: {app: legacy}
      ownerReferences: [{apiVersion: v1, kind: ReplicationController, name: legacy, uid: u-legacy, controller: true}]
    spec: {containers: [{name: app, image: registry.example/legacy:1}]}
    status: {phase: Running, qosClass: BestEffort}
- - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web, namespace: shop}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      minReplicas: 2
      maxReplicas: 4
      metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
  - apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web, namespace: shop}
    spec:
      scaleTargetRef: {apiVersion: v1, kind: ReplicationController, name: legacy}
      minReplicas: 3
      maxReplicas: 3
      metrics: [{type: Resource, resource: {name: memory, target: {type: Utilization, averageUtilization: 80}}}]
- - apiVersion: autoscaling.k8s.io/v1
    kind: VerticalPodAutoscaler
    metadata: {name: web, namespace: shop}
    spec:
      targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      updatePolicy: {updateMode: Auto}
- - apiVersion: v1
    kind: LimitRange
    metadata: {name: defaults, namespace: shop}
    spec: {limits: [{type: Container, defaultRequest: {cpu: 50m, memory: 32Mi}, default: {memory: 64Mi}}]}
- - apiVersion: policy/v1
    kind: PodDisruptionBudget
    metadata: {name: web, namespace: shop}
    spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
- - apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: db, namespace: shop}
    spec:
      serviceName: db
      selector: {matchLabels: {app: db}}
      template:
        metadata: {labels: {app: db}}
        spec:
          containers:
            - {name: db, image: registry.example/db:1, resources: {requests: {memory: 1Gi}, limits: {memory: 8Gi}}}
- - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent, namespace: edge}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec: {priorityClassName: system-node-critical, containers: [{name: agent, image: registry.example/agent:1}]}
- - apiVersion: batch/v1
    kind: CronJob
    metadata: {name: report, namespace: shop, uid: u-report}
    spec:
      schedule: "0 * * * *"
      jobTemplate:
        spec:
          template:
            spec: {restartPolicy: Never, containers: [{name: report, image: registry.example/report:1}]}
- - apiVersion: batch/v1
    kind: Job
    metadata:
      name: report-1
      namespace: shop
      ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: report, uid: u-report, controller: true}]
    spec:
      template:
        spec: {restartPolicy: Never, containers: [{name: report, image: registry.example/report:1}]}
- - apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
  - apiVersion: v1
    kind: Service
    metadata: {name: web, namespace: shop}
    spec: {selector: {app: other}, ports: [{name: http, port: 8080}]}
- - apiVersion: networking.k8s.io/v1
    kind: IngressClass
    metadata: {name: nginx}
    spec: {controller: k8s.io/ingress-nginx}
  - apiVersion: networking.k8s.io/v1
    kind: IngressClass
    metadata: {name: nginx, annotations: {ingressclass.kubernetes.io/is-default-class: "true"}}
    spec: {controller: example.com/other}
- - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: web
      namespace: shop
      annotations: {nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers 'X: y';"}
    spec:
      ingressClassName: nginx
      rules:
        - host: shop.example.com
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: web, namespace: shop, annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}}
    spec:
      rules:
        - host: other.example.com
          http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
- - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: edge, namespace: edge, annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "false"}}
    spec:
      ingressClassName: nginx
      rules:
        - host: shop.example.com
          http: {paths: [{path: /edge, pathType: Prefix, backend: {service: {name: edge, port: {number: 80}}}}]}
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: edge, namespace: edge, annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}}
    spec:
      ingressClassName: nginx
      rules:
        - host: shop.example.com
          http: {paths: [{path: /edge(/|$)(.*), pathType: ImplementationSpecific, backend: {service: {name: edge, port: {number: 80}}}}]}
- - apiVersion: v1
    kind: ConfigMap
    metadata: {name: ingress-nginx-controller, namespace: edge}
    data: {allow-snippet-annotations: "true", annotations-risk-level: Critical}
- - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: ingress-nginx-controller, namespace: edge}
    spec:
      selector: {matchLabels: {app: ingress-nginx}}
      template:
        metadata: {labels: {app: ingress-nginx}}
        spec:
          containers:
            - name: controller
              image: registry.k8s.io/ingress-nginx/controller:v1.9.4
              args: [/nginx-ingress-controller, --ingress-class=nginx]
- - apiVersion: admissionregistration.k8s.io/v1
    kind: ValidatingWebhookConfiguration
    metadata: {name: ingress-nginx-admission}
    webhooks:
      - name: validate.nginx.ingress.kubernetes.io
        failurePolicy: Ignore
        sideEffects: None
        admissionReviewVersions: [v1]
        clientConfig: {service: {name: ingress-nginx-controller-admission, namespace: edge}}
        rules: [{apiGroups: [networking.k8s.io], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [ingresses]}]
- - apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: httproutes.gateway.networking.k8s.io
      annotations: {gateway.networking.k8s.io/bundle-version: v1.2.0, gateway.networking.k8s.io/channel: standard}
    spec: {group: gateway.networking.k8s.io, names: {kind: HTTPRoute, plural: httproutes}, scope: Namespaced}
- - apiVersion: gateway.networking.k8s.io/v1
    kind: GatewayClass
    metadata: {name: envoy}
    spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
    status: {supportedFeatures: [{name: HTTPRoute}, {name: Gateway}]}
- - apiVersion: gateway.networking.k8s.io/v1
    kind: Gateway
    metadata: {name: gw, namespace: edge}
    spec:
      gatewayClassName: envoy
      listeners:
        - {name: http, port: 80, protocol: HTTP, hostname: shop.example.com, allowedRoutes: {namespaces: {from: All}}}
  - apiVersion: gateway.networking.k8s.io/v1
    kind: Gateway
    metadata: {name: gw, namespace: edge}
    spec:
      gatewayClassName: envoy
      allowedListeners: {namespaces: {from: All}}
      listeners:
        - {name: http, port: 80, protocol: HTTP, hostname: other.example.com}
- - apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: web, namespace: shop}
    spec:
      parentRefs: [{name: gw, namespace: edge}]
      hostnames: [shop.example.com]
      rules:
        - matches: [{path: {type: PathPrefix, value: /}, method: GET}]
          backendRefs: [{name: web, port: 80}]
  - apiVersion: gateway.networking.k8s.io/v1
    kind: HTTPRoute
    metadata: {name: web, namespace: shop}
    spec:
      parentRefs: [{name: gw, namespace: edge, sectionName: https}]
      hostnames: [shop.example.com]
      rules: [{backendRefs: [{name: edge, namespace: edge, port: 80}]}]
- - apiVersion: gateway.networking.k8s.io/v1
    kind: GRPCRoute
    metadata: {name: rpc, namespace: shop}
    spec:
      parentRefs: [{name: gw, namespace: edge}]
      rules: [{backendRefs: [{name: web, port: 80}]}]
- - apiVersion: gateway.networking.k8s.io/v1alpha2
    kind: TLSRoute
    metadata: {name: tls, namespace: shop}
    spec: {parentRefs: [{name: gw, namespace: edge}], hostnames: [tls.example.com], rules: [{backendRefs: [{name: web, port: 443}]}]}
- - apiVersion: gateway.networking.k8s.io/v1alpha2
    kind: TCPRoute
    metadata: {name: tcp, namespace: shop}
    spec: {parentRefs: [{name: gw, namespace: edge}], rules: [{backendRefs: [{name: db, port: 5432}]}]}
- - apiVersion: gateway.networking.k8s.io/v1alpha2
    kind: UDPRoute
    metadata: {name: udp, namespace: edge}
    spec: {parentRefs: [{name: gw}], rules: [{backendRefs: [{name: dns, port: 53}]}]}
- - apiVersion: gateway.networking.k8s.io/v1beta1
    kind: ReferenceGrant
    metadata: {name: from-shop, namespace: edge}
    spec:
      from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]
      to: [{group: "", kind: Service}]
- - apiVersion: gateway.networking.k8s.io/v1
    kind: ListenerSet
    metadata: {name: extra, namespace: shop}
    spec:
      parentRef: {name: gw, namespace: edge}
      listeners: [{name: extra, port: 8080, protocol: HTTP, hostname: shop.example.com}]
- - apiVersion: gateway.networking.k8s.io/v1
    kind: BackendTLSPolicy
    metadata: {name: web, namespace: shop}
    spec:
      targetRefs: [{group: "", kind: Service, name: web}]
      validation: {hostname: web.shop.svc, wellKnownCACertificates: System}
- - apiVersion: cert-manager.io/v1
    kind: Certificate
    metadata: {name: shop-tls, namespace: shop}
    spec: {secretName: shop-tls, dnsNames: [shop.example.com]}
- - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: api, namespace: shop}
    spec:
      ingressClassName: nginx
      rules:
        - host: shop.example.com
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}]}
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata:
      name: api
      namespace: shop
      annotations: {nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-by-header: x-canary}
    spec:
      ingressClassName: nginx
      rules:
        - host: shop.example.com
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}
- - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: fallback, namespace: edge}
    spec:
      ingressClassName: nginx
      defaultBackend: {service: {name: edge, port: {number: 80}}}
  - apiVersion: networking.k8s.io/v1
    kind: Ingress
    metadata: {name: fallback, namespace: edge}
    spec:
      ingressClassName: nginx
      rules:
        - host: "*.example.com"
          http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: edge, port: {number: 80}}}}]}
"""
POOL: list[list[Body]] = yaml.safe_load(_POOL)

# The objects present at the start (the operator's initial listing), each in its first version.
START = st.lists(st.booleans(), min_size=len(POOL), max_size=len(POOL))
# Then events: which object, which version of it (or None: delete it), and whether to evaluate after.
EVENTS = st.lists(
    st.tuples(st.integers(0, len(POOL) - 1), st.one_of(st.none(), st.integers(0, 1)), st.booleans()),
    min_size=1,
    max_size=30,
)


def _present(*indices: int) -> list[bool]:
    return [i in indices for i in range(len(POOL))]


# One sequence per way a change reaches other subjects (see `Invalidates`), always run besides the
# drawn ones: a namespace's exemption, a LimitRange's defaults, a pod's status, an HPA's target, a
# workload's template, an Ingress's host, an IngressClass's controller, a Service a route sends to.
KNOWN = [
    (_present(0, 2), [(0, 1, True)]),
    (_present(0, 2), [(9, 0, True)]),
    (_present(0, 2, 3, 4), [(4, 1, True)]),
    (_present(0, 2, 5, 7), [(7, 1, True)]),
    (_present(0, 2, 7), [(2, 1, True)]),
    (_present(0, 1, 2, 15, 16, 17, 18, 19, 20), [(17, 1, True)]),
    (_present(0, 1, 2, 15, 16, 17, 20), [(16, 1, True)]),
    (_present(0, 1, 15, 23, 24, 25), [(15, None, True)]),
    # The routing models the migration checks read, kept between evaluations: a Service that resolves
    # an Ingress's named port, a route, an Ingress sharing a host (regex, canary, conflicting path),
    # the catch-all server turning into a wildcard one.
    (_present(0, 1, 15, 16, 23, 24, 25, 34), [(15, 1, True)]),
    (_present(0, 1, 15, 16, 17, 23, 24, 25), [(25, 1, True)]),
    (_present(0, 1, 16, 17, 18, 23, 24, 25, 34), [(18, 1, True), (34, 1, True), (17, 1, True)]),
    (_present(0, 1, 16, 17, 23, 24, 25, 35), [(35, 1, True), (35, 0, True)]),
    # Every object at once: a class's new controller re-runs every network subject in any namespace.
    ([True] * len(POOL), [(16, 1, True)]),
]


def _findings(target: Engine) -> list[tuple[Any, ...]]:
    return sorted(
        (f.check, f.target.key, f.severity.value, f.message, repr(f.evidence), f.related)
        for f in target.desired_findings
    )


def _version(index: int, version: int) -> Body:
    versions = POOL[index]
    return copy.deepcopy(versions[version % len(versions)])


def test_the_pool_covers_every_watched_kind() -> None:
    assert {v["kind"] for versions in POOL for v in versions} == {k.kind for k in KINDS if k.watched}


def _with_known(test: Any) -> Any:
    for start, events in KNOWN:
        test = example(start, events)(test)
    return test


@_with_known
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(START, EVENTS)
def test_incremental_engine_equals_a_fresh_evaluation(
    start: list[bool], events: list[tuple[int, int | None, bool]]
) -> None:
    clock = Clock()
    live = engine(clock, churn_window_s=CHURN_WINDOW_S)
    held = {index: _version(index, 0) for index, present in enumerate(start) if present}
    for body in held.values():
        live.apply_event(None, copy.deepcopy(body))
    live.evaluate()
    for index, version, evaluate in events:
        if version is None:
            if index in held:
                live.apply_event("DELETED", held.pop(index))
        else:
            held[index] = _version(index, version)
            live.apply_event("MODIFIED", held[index])
        if evaluate:
            live.evaluate()
    clock.now += CHURN_WINDOW_S + 1  # watch churn is history a fresh start has not seen: let it expire
    live.evaluate()

    fresh = engine(clock, churn_window_s=CHURN_WINDOW_S)
    for body in held.values():
        fresh.apply_event(None, copy.deepcopy(body))
    fresh.evaluate()
    assert _findings(live) == _findings(fresh)
    assert live.inventory is not None and fresh.inventory is not None
    assert _shape(live.inventory) == _shape(fresh.inventory)


def _keys(items: Iterable[Any]) -> list[Key]:
    return [item.obj.key for item in items]


def _shape(inventory: Inventory) -> dict[str, Any]:
    """What the engine's live inventory, updated in place, must hold as a fresh one does: every
    object's current version in its kind's order, each subject with its pods and autoscalers, and the network's views
    (of the objects' current versions), host index, Ingresses by namespace and controllers."""
    network = inventory.network
    hosts = {host for view in network.ingresses for host in rule_hosts(view)}
    return {
        # A pod status the checks cannot see may wait for the next change that re-runs a check.
        "kinds": {
            kind: [(o.key, None if kind == "Pod" else o.raw) for o in objects]
            for kind, objects in inventory.by_kind.items()
            if objects
        },
        "workloads": [
            (w.obj.key, w.obj.raw, _keys(w.pods), _keys(w.hpas), _keys(w.vpas)) for w in inventory.workloads
        ],
        "autoscalers": (_keys(inventory.hpas), _keys(inventory.vpas), _keys(inventory.absent_targets)),
        "ingresses": [(view.obj.raw, view.class_name) for view in network.ingresses],
        "routes": [view.obj.raw for view in network.routes],
        "services": sorted((view.obj.key, repr(view.obj.raw)) for view in network.services.values()),
        "hosts": {host: _keys(network.ingresses_with_host(host)) for host in hosts},
        "ingress_sets": [(s.obj.key, [v.obj.raw for v in s.ingresses]) for s in network.ingress_sets()],
        "controllers": [
            (c.controller.id, c.obj.key, _keys(c.workloads), [v.obj.raw for v in (*c.ingresses, *c.routes)])
            for c in network.controllers()
        ],
    }

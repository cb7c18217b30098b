"""Generate a realistic, deterministic manifest set of a requested size for the scan benchmark.

The set looks like a platform repository: one folder per namespace (Namespace, LimitRange, Gateway),
one folder per application inside it (workload and Service, autoscalers and PDB, Ingress or
HTTPRoute), and a `platform/` folder with IngressClasses, GatewayClasses, a shared Gateway and the
ingress-nginx controller. Resources, annotations and references vary the way real repositories do,
including the mistakes kube-governor exists to find (BestEffort pods, HPA/VPA overlap, snippet and
unknown annotations, routes to missing parents, cross-namespace references without a
ReferenceGrant), at fixed rates so every size finds the same things in proportion.

    python bench/generate.py OUT_DIR --multiple 10         # 10x the corpus in documents
    python bench/generate.py OUT_DIR --documents 5000

The same seed and size give byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DUMPER: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DEFAULT_SEED = 20261123
# Bumped whenever the output changes, so cached sets under bench/out are regenerated.
GENERATOR_VERSION = 1
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "manifests"

NGINX = "nginx.ingress.kubernetes.io/"
# (annotation suffix, example values): ordinary settings most Ingresses carry.
COMMON_ANNOTATIONS = [
    ("proxy-body-size", ["1m", "8m", "16m", "50m"]),
    ("proxy-read-timeout", ["30", "60", "120", "300"]),
    ("proxy-send-timeout", ["30", "60", "120"]),
    ("ssl-redirect", ["true", "false"]),
    ("force-ssl-redirect", ["true"]),
    ("backend-protocol", ["HTTP", "HTTPS", "GRPC"]),
    ("enable-cors", ["true"]),
    ("cors-allow-origin", ["https://app.example.com", "*"]),
    ("limit-rps", ["10", "20", "50"]),
    ("proxy-buffer-size", ["8k", "16k"]),
    ("affinity", ["cookie"]),
    ("session-cookie-name", ["route"]),
    ("use-regex", ["true"]),
    ("rewrite-target", ["/", "/$2"]),
    ("whitelist-source-range", ["10.0.0.0/8", "10.0.0.0/8,192.168.0.0/16"]),
]
RISKY_ANNOTATIONS = [("auth-url", "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth")]
SNIPPET = ("configuration-snippet", 'more_set_headers "X-Frame-Options: DENY";')
UNKNOWN = ("proxy-body-sise", "8m")  # a typo of proxy-body-size

IMAGES = [
    "nginx:1.27",
    "ghcr.io/acme/api:2.4.1",
    "ghcr.io/acme/worker:1.9.0",
    "redis:7.2",
    "envoyproxy/envoy:v1.31",
]


def dump(documents: list[dict[str, Any]]) -> str:
    return yaml.dump_all(documents, Dumper=DUMPER, sort_keys=False, default_flow_style=False, width=120)


@dataclass
class Stats:
    documents: int = 0
    files: int = 0
    bytes: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, documents: list[dict[str, Any]], text: str) -> None:
        self.documents += len(documents)
        self.files += 1
        self.bytes += len(text.encode())
        for doc in documents:
            self.kinds[doc["kind"]] = self.kinds.get(doc["kind"], 0) + 1


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # ---- workloads -------------------------------------------------------------------------------

    def resources(self) -> dict[str, Any] | None:
        """Requests and limits in the proportions seen in real repositories."""
        cpu = self.rng.choice([50, 100, 250, 500, 1000])
        mem = self.rng.choice([64, 128, 256, 512, 1024])
        profile = self.rng.choices(
            ["guaranteed", "burstable", "no-memory-limit", "overcommit", "cpu-only", "none"],
            weights=[25, 40, 10, 8, 7, 10],
        )[0]
        requests = {"cpu": f"{cpu}m", "memory": f"{mem}Mi"}
        if profile == "guaranteed":
            return {"requests": requests, "limits": dict(requests)}
        if profile == "burstable":
            return {"requests": requests, "limits": {"cpu": f"{cpu * 2}m", "memory": f"{mem * 2}Mi"}}
        if profile == "no-memory-limit":
            return {"requests": requests, "limits": {"cpu": f"{cpu * 2}m"}}
        if profile == "overcommit":
            return {"requests": requests, "limits": {"memory": f"{mem * 8}Mi"}}
        if profile == "cpu-only":
            return {"requests": {"cpu": f"{cpu}m"}}
        return None

    def container(self, name: str, port: int) -> dict[str, Any]:
        container: dict[str, Any] = {
            "name": name,
            "image": self.rng.choice(IMAGES),
            "imagePullPolicy": "IfNotPresent",
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": [
                {"name": f"SETTING_{i}", "value": str(self.rng.randint(0, 10_000))}
                for i in range(self.rng.randint(2, 8))
            ]
            + [
                {
                    "name": "POD_NAMESPACE",
                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                }
            ],
            "readinessProbe": {
                "httpGet": {"path": "/healthz", "port": "http"},
                "periodSeconds": 10,
            },
            "livenessProbe": {
                "httpGet": {"path": "/livez", "port": "http"},
                "initialDelaySeconds": 15,
            },
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app", "readOnly": True}],
            "securityContext": {
                "runAsNonRoot": True,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
            },
        }
        resources = self.resources()
        if resources is not None:
            container["resources"] = resources
        return container

    def pod_template(self, app: str, labels: dict[str, str]) -> dict[str, Any]:
        containers = [self.container(app, 8080)]
        if self.chance(0.3):
            containers.append(self.container("sidecar", 9090))
        spec: dict[str, Any] = {
            "serviceAccountName": app,
            "containers": containers,
            "volumes": [{"name": "config", "configMap": {"name": f"{app}-config"}}],
        }
        if self.chance(0.2):
            spec["initContainers"] = [
                {"name": "migrate", "image": self.rng.choice(IMAGES), "args": ["migrate", "--wait"]}
            ]
        return {
            "metadata": {
                "labels": dict(labels),
                "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
            },
            "spec": spec,
        }

    def workload(self, kind: str, app: str, ns: str, labels: dict[str, str]) -> dict[str, Any]:
        metadata = {"name": app, "namespace": ns, "labels": dict(labels)}
        template = self.pod_template(app, labels)
        selector = {"matchLabels": {"app.kubernetes.io/name": app}}
        if kind == "CronJob":
            template["spec"]["restartPolicy"] = "OnFailure"
            spec: dict[str, Any] = {
                "schedule": f"{self.rng.randint(0, 59)} */{self.rng.randint(1, 6)} * * *",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {"spec": {"backoffLimit": 2, "template": template}},
            }
            api = "batch/v1"
        elif kind == "DaemonSet":
            spec = {"selector": selector, "template": template}
            api = "apps/v1"
        else:
            spec = {"replicas": self.rng.choice([1, 2, 3, 5]), "selector": selector, "template": template}
            if kind == "StatefulSet":
                spec["serviceName"] = app
            api = "apps/v1"
        return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec}

    def service(self, app: str, ns: str, labels: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": app, "namespace": ns, "labels": dict(labels)},
            "spec": {
                "selector": {"app.kubernetes.io/name": app},
                "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
            },
        }

    # ---- autoscaling ---------------------------------------------------------------------------

    def hpa(self, kind: str, app: str, ns: str, resource: str) -> dict[str, Any]:
        target = app if self.chance(0.97) else f"{app}-old"  # a few point at a renamed workload
        low = self.rng.choice([1, 2, 3])
        high = low if self.chance(0.05) else low + self.rng.choice([2, 5, 10])
        return {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target},
                "minReplicas": low,
                "maxReplicas": high,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": resource,
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": self.rng.choice([60, 70, 80]),
                            },
                        },
                    }
                ],
            },
        }

    def vpa(self, kind: str, app: str, ns: str, resources: list[str]) -> dict[str, Any]:
        return {
            "apiVersion": "autoscaling.k8s.io/v1",
            "kind": "VerticalPodAutoscaler",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": app},
                "updatePolicy": {"updateMode": self.rng.choice(["Off", "Off", "Auto", "Initial"])},
                "resourcePolicy": {
                    "containerPolicies": [{"containerName": "*", "controlledResources": resources}]
                },
            },
        }

    def pdb(self, app: str, ns: str) -> dict[str, Any]:
        return {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": app, "namespace": ns},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": app}}},
        }

    # ---- exposure ------------------------------------------------------------------------------

    def ingress(self, app: str, ns: str, host: str) -> dict[str, Any]:
        picked = self.rng.sample(COMMON_ANNOTATIONS, self.rng.randint(1, 7))
        annotations = {NGINX + key: self.rng.choice(values) for key, values in picked}
        if self.chance(0.05):
            annotations[NGINX + SNIPPET[0]] = SNIPPET[1]
        if self.chance(0.08):
            key, value = RISKY_ANNOTATIONS[0]
            annotations[NGINX + key] = value
        if self.chance(0.04):
            annotations[NGINX + UNKNOWN[0]] = UNKNOWN[1]
        annotations["cert-manager.io/cluster-issuer"] = "letsencrypt"
        spec: dict[str, Any] = {
            "tls": [{"hosts": [host], "secretName": f"{app}-tls"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": app, "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ],
        }
        if self.chance(0.03):
            annotations["kubernetes.io/ingress.class"] = "nginx"  # the legacy form, no class field
        else:
            spec = {"ingressClassName": "nginx", **spec}
        return {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": app, "namespace": ns, "annotations": annotations},
            "spec": spec,
        }

    def http_route(self, app: str, ns: str, host: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The route, and the ReferenceGrant its cross-namespace backend needs (kept with the platform)."""
        shared = self.chance(0.5)
        parent = {"name": "shared", "namespace": "infra"} if shared else {"name": "web"}
        if self.chance(0.03):
            parent = {"name": "web-gone"}  # a parent that does not exist
        backend: dict[str, Any] = {"name": app, "port": 80}
        grant = None
        if self.chance(0.1):  # a backend in the platform namespace, reached across namespaces
            backend = {"name": "auth-proxy", "namespace": "infra", "port": 80}
            if self.chance(0.7):
                grant = self.reference_grant(ns, app)
        route = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": app, "namespace": ns},
            "spec": {
                "parentRefs": [parent],
                "hostnames": [host],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [backend],
                    }
                ],
            },
        }
        return route, grant

    def reference_grant(self, ns: str, app: str) -> dict[str, Any]:
        return {
            "apiVersion": "gateway.networking.k8s.io/v1beta1",
            "kind": "ReferenceGrant",
            "metadata": {"name": f"{ns}-{app}", "namespace": "infra"},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": ns}],
                "to": [{"group": "", "kind": "Service", "name": "auth-proxy"}],
            },
        }

    def gateway(self, name: str, ns: str, hostname: str, class_name: str) -> dict[str, Any]:
        return {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": name, "namespace": ns},
            "spec": {
                "gatewayClassName": class_name,
                "listeners": [
                    {
                        "name": "https",
                        "protocol": "HTTPS",
                        "port": 443,
                        "hostname": hostname,
                        "tls": {"mode": "Terminate", "certificateRefs": [{"name": f"{name}-tls"}]},
                        "allowedRoutes": {"namespaces": {"from": "All" if ns == "infra" else "Same"}},
                    }
                ],
            },
        }

    # ---- folders -------------------------------------------------------------------------------

    def platform(self) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        yield (
            "platform/classes.yaml",
            [
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IngressClass",
                    "metadata": {"name": "nginx"},
                    "spec": {"controller": "k8s.io/ingress-nginx"},
                },
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "GatewayClass",
                    "metadata": {"name": "eg"},
                    "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"},
                },
            ],
        )
        labels = {"app.kubernetes.io/name": "auth-proxy"}
        yield (
            "platform/infra.yaml",
            [
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra"}},
                self.gateway("shared", "infra", "*.example.com", "eg"),
                self.workload("Deployment", "auth-proxy", "infra", labels),
                self.service("auth-proxy", "infra", labels),
            ],
        )

    def namespace(self, ns: str) -> list[dict[str, Any]]:
        documents: list[dict[str, Any]] = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": ns}}},
            self.gateway("web", ns, f"*.{ns}.example.com", "eg"),
        ]
        if self.chance(0.5):
            documents.append(
                {
                    "apiVersion": "v1",
                    "kind": "LimitRange",
                    "metadata": {"name": "defaults", "namespace": ns},
                    "spec": {
                        "limits": [
                            {
                                "type": "Container",
                                "default": {"cpu": "500m", "memory": "512Mi"},
                                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                            }
                        ]
                    },
                }
            )
        return documents

    def app(
        self, ns: str, index: int, grants: list[dict[str, Any]]
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        app = f"svc-{index:03d}"
        kind = self.rng.choices(
            ["Deployment", "StatefulSet", "DaemonSet", "CronJob"], weights=[70, 12, 6, 12]
        )[0]
        labels = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": ns, "team": ns}
        folder = f"{ns}/{app}"
        workload = self.workload(kind, app, ns, labels)
        if kind == "CronJob":
            yield f"{folder}/cronjob.yaml", [workload]
            return
        yield f"{folder}/workload.yaml", [workload, self.service(app, ns, labels)]
        scaling: list[dict[str, Any]] = []
        if kind != "DaemonSet":
            hpa_resource = self.rng.choice(["cpu", "cpu", "memory"])
            if self.chance(0.45):
                scaling.append(self.hpa(kind, app, ns, hpa_resource))
            if self.chance(0.2):
                scaling.append(self.vpa(kind, app, ns, self.rng.choice([["cpu", "memory"], ["memory"]])))
            if self.chance(0.3):
                scaling.append(self.pdb(app, ns))
        if scaling:
            yield f"{folder}/scaling.yaml", scaling
        host = f"{app}.{ns}.example.com"
        exposure = self.rng.choices(["ingress", "route", "none"], weights=[50, 25, 25])[0]
        if exposure == "ingress":
            yield f"{folder}/ingress.yaml", [self.ingress(app, ns, host)]
        elif exposure == "route":
            route, grant = self.http_route(app, ns, host)
            yield f"{folder}/route.yaml", [route]
            if grant is not None:
                grants.append(grant)


def generate(out: Path, documents: int, seed: int = DEFAULT_SEED) -> Stats:
    """Write at least `documents` documents under `out` (emptied first) and return what was written."""
    if out.exists():
        shutil.rmtree(out)
    gen = Generator(seed)
    stats = Stats()

    def write(relative: str, docs: list[dict[str, Any]]) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        text = dump(docs)
        path.write_text(text, encoding="utf-8")
        stats.add(docs, text)

    for relative, docs in gen.platform():
        write(relative, docs)
    grants: list[dict[str, Any]] = []
    ns_index = 0
    while stats.documents + len(grants) < documents:
        ns = f"team-{ns_index:04d}"
        write(f"{ns}/namespace.yaml", gen.namespace(ns))
        for app_index in range(gen.rng.randint(8, 24)):
            for relative, docs in gen.app(ns, app_index, grants):
                write(relative, docs)
            if stats.documents + len(grants) >= documents:
                break
        ns_index += 1
    # The platform team keeps the grants for its namespace at the top of the repository.
    if grants:
        write("reference-grants.yaml", grants)
    (out / ".generated.json").write_text(json.dumps(stats_json(stats, seed), indent=2) + "\n")
    return stats


def stats_json(stats: Stats, seed: int) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "documents": stats.documents,
        "files": stats.files,
        "bytes": stats.bytes,
        "kinds": dict(sorted(stats.kinds.items())),
    }


def corpus_size(root: Path = CORPUS) -> tuple[int, int]:
    """(documents, bytes) of the manifest corpus, counting documents with PyYAML's C loader."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    documents = size = 0
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        data = path.read_bytes()
        size += len(data)
        try:
            documents += sum(
                1 for doc in yaml.load_all(data.decode("utf-8-sig"), Loader=loader) if doc is not None
            )
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
    return documents, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--multiple", type=float, help="size as a multiple of the corpus, in documents")
    size.add_argument("--documents", type=int, help="size in documents")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    if args.multiple is not None:
        if not CORPUS.is_dir():
            parser.error(f"--multiple needs the corpus at {CORPUS}; use --documents")
        documents = round(corpus_size()[0] * args.multiple)
    else:
        documents = args.documents
    stats = generate(args.out, documents, args.seed)
    json.dump(stats_json(stats, args.seed), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

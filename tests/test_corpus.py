"""The shared corpus of real manifests from public projects (../shared/corpus, see its SOURCES.md).

The whole corpus scans with no crash and no internal error; every input error is one of the documents
listed in KNOWN_INVALID, each invalid for the reason given; named documents give the findings a careful
reviewer expects, and no more.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import require_shared
from kgov.analysis import Capabilities, Evaluation, evaluate, resolve_params, select_checks
from kgov.checks.builtin import default_registry
from kgov.config import Config
from kgov.findings.model import Finding
from kgov.inventory import Inventory
from kgov.model.errors import InputError
from kgov.sources.files import LoadResult, read_source
from kgov.sources.locate import Locator, locate_findings

pytestmark = pytest.mark.corpus

# Corpus files that are not valid Kubernetes manifests, and why (path under manifests/ → reason).
# The documents count of the corpus (SOURCES.md) covers manifests/ and crds/ together.
KNOWN_INVALID = {
    "autoscaler/md-extracted/vertical-pod-autoscaler/docs/sidecar-containers.md.block02.yaml": "doc excerpt: Pod without a name",
    "ingress-nginx/md-extracted/docs/user-guide/nginx-configuration/annotations.md.block02.yaml": "doc excerpt: Ingress without a name",
    "ingress-nginx/md-extracted/docs/user-guide/nginx-configuration/annotations.md.block03.yaml": "doc excerpt: Ingress without a name",
    "ingress-nginx/md-extracted/docs/examples/customization/jwt/README.md.block01.yaml": "doc excerpt: ConfigMap with '# ...' for its metadata",
    "ingress2gateway/pkg/i2gw/providers/nginx/fixtures/annotations/output/nginx-path-regex.yaml": "a console log, not YAML",
    "ingress2gateway/pkg/i2gw/providers/nginx/fixtures/annotations/output/nginx-ssl-services.yaml": "a console log, not YAML",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/output/4-too-many-rules.json": "expected-output text after the JSON",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-multi-gateways-gwapi.gateway.yaml": "a bare list",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.gateway.json": "a bare list",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.gateway.yaml": "a bare list",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.httproute.json": "a bare list",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.httproute.yaml": "a bare list",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/output/6-reference-grants.yaml": "ReferenceGrant `to` entries without the required `group`",
    "envoy-gateway/test/e2e/testdata/accesslog-otel-json.yaml": "an unexpanded {GATEWAY_CLASS_NAME} placeholder (YAML reads it as a mapping)",
    "envoy-gateway/test/e2e/testdata/accesslog-otel-default.yaml": "an unexpanded {GATEWAY_CLASS_NAME} placeholder (YAML reads it as a mapping)",
    "gke-samples/autoscaling/custom-compute-classes/reservations/deployment-gpu.yaml": "an unexpanded ${ACCELERATOR_QUANTITY} placeholder as a quantity",
    "checkov/tests/kubernetes/checks/example_Requests_Limits/pod-requests-limits-UNKNOWN.yaml": "resources given as a list (a negative test)",
    "checkov/tests/kubernetes/checks/example_Requests_Limits/pod-requests-limits-UNKNOWN2.yaml": "requests given as a list (a negative test)",
    "ingress2gateway/pkg/i2gw/providers/common/testdata/input-file.yaml": "ingressClassName with capitals (not a DNS-1123 subdomain)",
    "ingress2gateway/pkg/i2gw/providers/common/testdata/input-file.json": "ingressClassName with capitals (not a DNS-1123 subdomain)",
    "autoscaler/md-extracted/vertical-pod-autoscaler/docs/sidecar-containers.md.block04.yaml": "doc excerpt: two objects with no `---` between them (every key twice)",
    "kube-linter/tests/checks/dangling-hpa.yml": "an unrendered RELEASE-NAME in a name (capitals)",
    "kyverno-policies/other/require-reasonable-pdbs/.kyverno-test/pdb-maxUnavailable-bad.yaml": "names with capitals",
    "kyverno-policies/other/require-reasonable-pdbs/.kyverno-test/pdb-maxUnavailable-good.yaml": "names with capitals",
    "kyverno-policies/other/require-reasonable-pdbs/.kyverno-test/pdb-minAvailable-bad.yaml": "names with capitals",
    "kyverno-policies/other/require-reasonable-pdbs/.kyverno-test/pdb-minAvailable-good.yaml": "names with capitals",
}
KNOWN_INVALID = {f"manifests/{k}": v for k, v in KNOWN_INVALID.items()}
# Corpus files that hold no Kubernetes document: counted as not manifests, never input errors.
NOT_MANIFESTS = {
    "argo-cd/md-extracted/docs/operator-manual/ingress.md.block17.yaml": "a kustomization",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/input/1-petstore3.yaml": "an OpenAPI document",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/input/2-hostnames.yaml": "an OpenAPI document",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/input/3-parameters.yaml": "an OpenAPI document",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/input/4-too-many-rules.json": "an OpenAPI document",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/input/6-reference-grants.yaml": "an OpenAPI document",
    "ingress2gateway/pkg/i2gw/providers/openapi3/fixtures/output/5-invalid-spec.yaml": "empty expected output",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-canary-gwapi.all.json": "a wrapper object of lists",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-canary-gwapi.all.yaml": "a wrapper object of lists",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-multi-gateways-gwapi.all.yaml": "a wrapper object of lists",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.all.json": "a wrapper object of lists",
    "ingress2gateway-pr19/pkg/cmd/testdata/out/from-ingress-to-simple-gwapi.all.yaml": "a wrapper object of lists",
    "polaris/test/checks/resourceRange/check.yaml": "a Polaris check definition",
}
NOT_MANIFESTS = {f"manifests/{k}": v for k, v in NOT_MANIFESTS.items()}


class Corpus:
    """The corpus as its users scan it: each project under manifests/ is one scope (one `kgov scan
    manifests/<project>`), since the projects were never meant to run in one cluster."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.loaded = LoadResult()
        self.evaluation = Evaluation()
        self.errors: list[InputError] = []
        registry, config = default_registry(), Config()
        checks, params = select_checks(registry, config), resolve_params(registry, config)
        projects: dict[str, LoadResult] = {}
        # Every file, hidden folders included (a folder scan skips those; the corpus has test suites there).
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml", ".json")):
            project = path.relative_to(root).parts[:2]
            projects.setdefault("/".join(project), LoadResult()).extend(read_source(path))
        for loaded in projects.values():
            self.loaded.extend(loaded)
            inventory = Inventory(loaded.objects)
            self.errors += inventory.errors
            found = evaluate(inventory, checks, config, params, Capabilities())
            self.evaluation.findings += found.findings
            self.evaluation.skipped += found.skipped
            self.evaluation.errors += found.errors

    def relative(self, file: str) -> str:
        return str(Path(file).relative_to(self.root)) if file.startswith(str(self.root)) else file

    def findings_in(self, relative: str) -> Counter[tuple[str, str, str]]:
        path = str(self.root / "manifests" / relative)
        return Counter(
            (f.check, f.target.kind, f.target.name)
            for f in self.evaluation.findings
            if f.location is not None and f.location.file == path
        )


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus(require_shared("corpus"))


def test_corpus_is_large(corpus: Corpus) -> None:
    assert corpus.loaded.documents >= 3683


def test_no_internal_errors(corpus: Corpus) -> None:
    internal = [str(e) for e in corpus.evaluation.errors if e.kind == "internal"]
    assert not internal


def test_input_errors_only_on_invalid_documents(corpus: Corpus) -> None:
    errors = {corpus.relative(e.file) for e in [*corpus.loaded.errors, *corpus.errors]}
    assert errors == set(KNOWN_INVALID)


def test_files_without_kubernetes_documents_are_not_manifests(corpus: Corpus) -> None:
    assert {corpus.relative(f) for f in corpus.loaded.not_manifests} == set(NOT_MANIFESTS)


# (file under manifests/, check, kind, name, why a careful reviewer expects exactly this)
EXPECTED = [
    (
        "kube-score/score/testdata/pod-test-resources-none.yaml",
        "qos.best-effort",
        "Pod",
        "pod-test-1",
        "no container sets any resources",
    ),
    (
        "kube-score/score/testdata/pod-test-resources-no-limits.yaml",
        "qos.memory-limit-missing",
        "Pod",
        "pod-test-1",
        "memory requested, no memory limit",
    ),
    (
        "ingress-nginx/deploy/static/provider/cloud/deploy.yaml",
        "qos.critical-not-guaranteed",
        "Deployment",
        "ingress-nginx-controller",
        "the controller requests 100m/90Mi with no limits: Burstable data plane",
    ),
    (
        "ingress-nginx/deploy/static/provider/cloud/deploy.yaml",
        "ingress.eol-controller",
        "IngressClass",
        "nginx",
        "the class's controller is k8s.io/ingress-nginx, retired in March 2026",
    ),
    (
        "ingress-nginx/deploy/static/provider/cloud/deploy.yaml",
        "ingress.admission-webhook",
        "ValidatingWebhookConfiguration",
        "ingress-nginx-admission",
        "the static install registers validate.nginx.ingress.kubernetes.io (CVE-2025-1974)",
    ),
    (
        "ingress-nginx/deploy/static/provider/cloud/deploy.yaml",
        "ingress.controller-hardening",
        "Deployment",
        "ingress-nginx-controller",
        "one replica and no PodDisruptionBudget in the static install",
    ),
    (
        "ingress-nginx/docs/examples/auth/oauth-external-auth/oauth2-proxy.yaml",
        "ingress.risky-annotation",
        "Ingress",
        "external-auth-oauth2",
        "auth-url and auth-signin are rated High risk by ingress-nginx",
    ),
    (
        "rook/deploy/examples/dashboard-ingress-https.yaml",
        "ingress.snippet-annotation",
        "Ingress",
        "rook-ceph-mgr-dashboard",
        "server-snippet, and no controller ConfigMap in the set: high",
    ),
    (
        "argo-cd/md-extracted/docs/operator-manual/ingress.md.block05.yaml",
        "ingress.legacy-class-annotation",
        "Ingress",
        "argocd-server-grpc",
        "kubernetes.io/ingress.class instead of spec.ingressClassName",
    ),
    (
        "ingress2gateway/pkg/i2gw/providers/istio/fixtures/output/3-virtualservice-tls.yaml",
        "gateway.invalid-route",
        "TLSRoute",
        "reviews-route-idx-0",
        "a Service backendRef without port: the CRD's CEL rule rejects it",
    ),
]

# Files on which a check must stay quiet, and why (file, check prefix, why).
QUIET = [
    (
        "kube-score/score/testdata/pod-test-resources-only-limits.yaml",
        "qos.",
        "limits only: the API defaults requests to the limits, and a missing cpu limit is no risk",
    ),
    (
        "kube-score/score/testdata/pod-test-resources-limits-and-requests.yaml",
        "qos.",
        "requests and limits set",
    ),
    (
        "polaris/test/checks/memoryLimitsMissing/success.yaml",
        "qos.memory-limit-missing",
        "a memory limit is set",
    ),
    (
        "moj-cloud-platform-environments/namespaces/live.cloud-platform.service.justice.gov.uk/hmpps-adjustments-dev/99-redirect_old_url_ingress.yaml",
        "ingress.",
        "a platform Ingress with two known ingress-nginx keys and external-dns keys: nothing to say",
    ),
    (
        "ingress-nginx/docs/examples/affinity/cookie/ingress.yaml",
        "ingress.",
        "four session-affinity keys, all known and low risk: below the sprawl threshold",
    ),
    (
        "argo-cd/md-extracted/docs/operator-manual/ingress.md.block08.yaml",
        "ingress.",
        "force-ssl-redirect and ssl-passthrough are known low-risk keys; the class is set",
    ),
    (
        "k2s/addons/security/manifests/keycloak/traefik-ingress-oauth2-proxy.yaml",
        "ingress.",
        "a Traefik router key that the Traefik catalogue knows",
    ),
    (
        "gateway-api/examples/standard/http-routing/gateway.yaml",
        "gateway.",
        "the upstream example Gateway: distinct listeners",
    ),
    (
        "gateway-api/examples/standard/cross-namespace-routing/store-route.yaml",
        "gateway.",
        "attaches through a namespace selector whose labels 0-namespaces.yaml sets",
    ),
    (
        "gateway-api/examples/standard/cross-namespace-routing/site-route.yaml",
        "gateway.",
        "attaches through a namespace selector whose labels 0-namespaces.yaml sets",
    ),
]


@pytest.mark.parametrize(("file", "check", "kind", "name", "why"), EXPECTED, ids=[e[1] for e in EXPECTED])
def test_expected_finding(corpus: Corpus, file: str, check: str, kind: str, name: str, why: str) -> None:
    assert corpus.findings_in(file)[(check, kind, name)] == 1, why


@pytest.mark.parametrize(("file", "check", "why"), QUIET, ids=[q[0] for q in QUIET])
def test_quiet_where_a_reviewer_expects_nothing(corpus: Corpus, file: str, check: str, why: str) -> None:
    assert (corpus.root / "manifests" / file).is_file(), f"{file} is not in the corpus"
    fired = [k for k in corpus.findings_in(file) if k[0].startswith(check)]
    assert not fired, why


def test_every_finding_has_a_line_and_column(corpus: Corpus) -> None:
    findings = list(corpus.evaluation.findings)
    locate_findings(findings, Locator(corpus.loaded.texts))
    unlocated = [f"{f.check} {f.target.display()} {f.location}" for f in findings if not _located(f)]
    assert findings and not unlocated, unlocated[:10]


def _located(finding: Finding) -> bool:
    location = finding.location
    return location is not None and location.line is not None and location.column is not None

"""Property-based fuzzing of the input boundary: corpus documents and kubeconfigs, mutated.

Whatever the mutation, `kgov scan` ends with a report and exit 0, 1 or 2 (never a traceback), the
valid file beside the mutated one keeps its finding, and each run stays within a deadline and a
memory bound; a mutated kubeconfig gives a connection or a `KubeconfigError`, nothing else. The
example counts keep the whole module to seconds in CI.
"""

from __future__ import annotations

import json
import os
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgov.cli import main
from kgov.sources.kubeconfig import KubeconfigError, connect

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(
    [
        *(ROOT / "examples" / "migration").glob("*.yaml"),
        *(ROOT / "examples" / "autoscaling").glob("*.yaml"),
        *(ROOT / "tests" / "hostile").glob("*.yaml"),
    ]
)
NEIGHBOUR = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: neighbour, namespace: fuzz}\n"
    "spec:\n  containers: [{name: app, image: busybox}]\n"
)
# Fragments that once broke something, spliced in at random places.
HOSTILE = [
    "\n",
    "\r",
    "\r\n",
    "\n---\n",
    "\n...\n",
    "%YAML 1.2\n---\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "{",
    "[",
    "]",
    "}",
    ": ",
    "- ",
    "'",
    '"',
    "\\",
    "\t",
    "\x00",
    "\x1b[2J",
    "\u2028",
    "\ufeff",
    "\ud800",
    "9" * 5000,
    "2024-02-30",
    "2024-02-30T25:61:00Z",
    "-1",
    "1e999999",
    "!!binary ",
    "!!python/object ",
    "? ",
    "metadata:\n  name: a\n  name: b\n",
    "/(a+)+$",
    "(?=x)",
    "a{1000}{1000}",
    "../secrets",
    "% ",
]
MAX_MEMORY = 256 * 1024 * 1024  # bytes Python may allocate for one mutated document
# A longer local run: KGOV_FUZZ_SCALE=20 pytest tests/test_fuzz.py (and a random seed each time).
SCALE = int(os.environ.get("KGOV_FUZZ_SCALE", "1"))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS)).read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate", "truncate"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(HOSTILE) | st.text(max_size=8)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif action == "duplicate":
            text = text[:at] + text[max(0, at - 60) : at] + text[at:]
        else:
            text = text[:at]
    codec = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "utf-32-le", "latin-1"]))
    return (
        text.encode(codec, errors="surrogatepass")
        if codec.startswith("utf")
        else text.encode(codec, "replace")
    )


@settings(
    max_examples=60 * SCALE,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=SCALE == 1,
)
@given(data=mutated(), suffix=st.sampled_from([".yaml", ".json"]))
def test_mutated_documents(tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / f"mutated{suffix}").write_bytes(data)
    (folder / "neighbour.yaml").write_text(NEIGHBOUR, encoding="utf-8")
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["scan", str(folder), "-o", "json"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2)
    report = json.loads(result.stdout)
    assert not [e for e in report["errors"] if e["kind"] == "internal"], report["errors"]
    neighbour = [f for f in report["findings"] if f["target"].get("namespace") == "fuzz"]
    assert [f["check"] for f in neighbour if f["check"] == "qos.best-effort"] == ["qos.best-effort"]
    assert peak < MAX_MEMORY


KUBECONFIG = {
    "apiVersion": "v1",
    "kind": "Config",
    "clusters": [
        {"name": "c", "cluster": {"server": "https://127.0.0.1:6443", "insecure-skip-tls-verify": True}}
    ],
    "users": [{"name": "u", "user": {"token": "abc"}}],
    "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
    "current-context": "x",
}
ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@st.composite
def kubeconfigs(draw: st.DrawFn) -> bytes:
    config = json.loads(json.dumps(KUBECONFIG))
    for _ in range(draw(st.integers(1, 4))):
        section = draw(st.sampled_from(["clusters", "users", "contexts", "current-context", "top"]))
        if section == "current-context":
            config[section] = draw(ODD_VALUES)
        elif section == "top":
            config[draw(st.sampled_from(["clusters", "users", "contexts"]))] = draw(ODD_VALUES)
        elif isinstance(config.get(section), list) and config[section]:
            entry = config[section][0]
            inner = {"clusters": "cluster", "users": "user", "contexts": "context"}[section]
            if isinstance(entry, dict) and isinstance(entry.get(inner), dict):
                key = draw(
                    st.sampled_from(
                        [
                            "server",
                            "certificate-authority-data",
                            "certificate-authority",
                            "token",
                            "tokenFile",
                            "client-certificate-data",
                            "client-key-data",
                            "exec",
                            "cluster",
                            "user",
                            "insecure-skip-tls-verify",
                            "username",
                            "auth-provider",
                            "proxy-url",
                        ]
                    )
                )
                entry[inner][key] = draw(ODD_VALUES)
    text = yaml.safe_dump(config)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(HOSTILE)) + text[at:]
    return text.encode("utf-8", "surrogatepass")


@settings(
    max_examples=150 * SCALE,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=SCALE == 1,
)
@given(data=kubeconfigs())
def test_mutated_kubeconfigs(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("kubeconfig") / "config"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KUBECONFIG", str(path))
        patch.setattr("kgov.sources.kubeconfig.EXEC_TIMEOUT", 2.0)
        try:
            connection = connect()
        except KubeconfigError as exc:
            assert str(exc)
            return
    assert connection.server.startswith(("https://", "http://"))

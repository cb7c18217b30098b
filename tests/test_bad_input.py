"""`kgov scan` on broken input: every defect is reported with its file and exact line, nothing crashes,
and the valid objects beside the broken ones are still analysed.

tests/bad_input holds the text files; the binary and the empty file are added at test time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kgov.cli import main
from kgov.report.choices import FORMATS

BAD_INPUT = Path(__file__).parent / "bad_input"

# (file relative to the folder, line) → fragments the message must contain
EXPECTED_ERRORS: dict[tuple[str, int], tuple[str, ...]] = {
    ("binary.yaml", 1): ("binary",),
    ("broken.json", 5): ("invalid JSON", "double quotes"),
    ("broken_yaml.yaml", 18): ("invalid YAML", "mapping values"),
    ("no_kind.yaml", 1): ("kind",),
    ("not_a_mapping.yaml", 3): ("mapping", "list"),
    ("wrong_types.yaml", 7): ("replicas-three", "spec.replicas", "integer", "three"),
    ("wrong_types.yaml", 29): ("cpu-lots", "resources.limits.cpu", "quantity", "lots"),
}
# Valid objects in the same files and elsewhere: name → (file, line) of their qos.best-effort finding,
# the line of the container that requests nothing.
EXPECTED_FINDINGS = {
    "before-broken": ("broken_yaml.yaml", 11),
    "after-broken": ("broken_yaml.yaml", 31),
    "after-list": ("not_a_mapping.yaml", 16),
    "after-kindless": ("no_kind.yaml", 16),
    "typed-fine": ("wrong_types.yaml", 42),
    "best-effort": ("nested/best_effort.yaml", 12),
    "from-json": ("nested/fine.json", 5),
}
# Files that hold no Kubernetes document: not manifests, not errors.
NOT_MANIFESTS = {"empty.yaml", "only_comments.yaml", "values.yaml"}
# Objects with a defect are left out of the analysis.
EXCLUDED = {"replicas-three", "cpu-lots", "broken", "kindless"}
# Python internals that must never reach a user.
NOISE = ("Traceback", "pydantic", "errors.pydantic.dev", "Decimal(", "<class", "Input should be", "NoneType")


@pytest.fixture
def bad_input(tmp_path: Path) -> Path:
    folder = tmp_path / "bad_input"
    shutil.copytree(BAD_INPUT, folder)
    (folder / "binary.yaml").write_bytes(b"\x00\x01\x02\x89PNG\r\n\x1a\n\x00")
    (folder / "empty.yaml").write_bytes(b"")
    (folder / "only_comments.yaml").write_text("# nothing here yet\n", encoding="utf-8")
    (folder / "values.yaml").write_text("replicaCount: 2\nkind: DaemonSet\n", encoding="utf-8")
    return folder


def invoke(*args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(main, ["scan", *args], input=stdin)
    # CliRunner catches a crash and keeps its traceback out of the output: look for it explicitly.
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"kgov crashed: {result.exception!r}"
    assert "Traceback" not in result.output
    return result


def scan_json(*args: str, stdin: str | None = None) -> tuple[int, dict[str, Any]]:
    result = invoke(*args, "-o", "json", stdin=stdin)
    return result.exit_code, json.loads(result.stdout)


def rel(file: str, folder: Path) -> str:
    return Path(file).relative_to(folder).as_posix()


def input_errors(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in report["errors"] if e["kind"] == "input"]


def assert_clear(message: str) -> None:
    for noise in NOISE:
        assert noise not in message, f"{noise!r} in {message!r}"


# ---- the folder --------------------------------------------------------------------------------------


def test_every_defect_is_reported_at_its_line(bad_input: Path) -> None:
    code, report = scan_json(str(bad_input))
    assert code == 2
    got = {(rel(e["file"], bad_input), e["line"]): e["message"] for e in input_errors(report)}
    assert sorted(got) == sorted(EXPECTED_ERRORS)
    for where, fragments in EXPECTED_ERRORS.items():
        for fragment in fragments:
            assert fragment in got[where], (where, got[where])
        assert_clear(got[where])


def test_no_internal_errors(bad_input: Path) -> None:
    _, report = scan_json(str(bad_input))
    assert [e for e in report["errors"] if e["kind"] != "input"] == []


def test_valid_objects_are_still_scanned(bad_input: Path) -> None:
    _, report = scan_json(str(bad_input))
    best_effort = {
        f["target"]["name"]: (rel(f["location"]["file"], bad_input), f["location"]["line"])
        for f in report["findings"]
        if f["check"] == "qos.best-effort"
    }
    assert best_effort == EXPECTED_FINDINGS
    assert not {f["target"]["name"] for f in report["findings"]} & EXCLUDED
    # broken_yaml 2 + not_a_mapping 2 + no_kind 2 + wrong_types 3 + nested 2 documents decoded.
    assert report["summary"]["documents"] == 11
    assert report["summary"]["objects"] == 9


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_traceback_in_any_format(bad_input: Path, fmt: str) -> None:
    result = invoke(str(bad_input), "-o", fmt)
    assert result.exit_code == 2
    for noise in NOISE:
        assert noise not in result.output


def test_lenient_exit_codes(bad_input: Path) -> None:
    assert invoke(str(bad_input), "-o", "json").exit_code == 2
    assert invoke(str(bad_input), "-o", "json", "--lenient").exit_code == 1  # high findings remain
    assert invoke(str(bad_input), "-o", "json", "--lenient", "--fail-on", "critical").exit_code == 0
    # Input errors still appear in the report under --lenient.
    _, report = scan_json(str(bad_input), "--lenient")
    assert len(input_errors(report)) == len(EXPECTED_ERRORS)


def test_lenient_with_only_errors_exits_zero(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("kind: a: b\n", encoding="utf-8")
    assert invoke(str(tmp_path), "-o", "json").exit_code == 2
    assert invoke(str(tmp_path), "-o", "json", "--lenient").exit_code == 0


def test_single_broken_file(bad_input: Path) -> None:
    code, report = scan_json(str(bad_input / "wrong_types.yaml"))
    assert code == 2
    assert [(e["line"], e["message"].split(":")[0]) for e in input_errors(report)] == [
        (7, "Deployment shop/replicas-three"),
        (29, "Deployment shop/cpu-lots"),
    ]
    assert [f["target"]["name"] for f in report["findings"] if f["check"] == "qos.best-effort"] == [
        "typed-fine"
    ]


def test_missing_path_is_an_input_error(bad_input: Path) -> None:
    missing = str(bad_input / "nope.yaml")
    code, report = scan_json(missing, str(bad_input / "nested"))
    assert code == 2
    assert [(e["file"], e["message"]) for e in input_errors(report)] == [(missing, "no such file or folder")]
    assert len(report["findings"]) >= 2  # the folder beside it was still scanned


# ---- stdin ------------------------------------------------------------------------------------------


def test_stdin_errors_are_reported_as_dash_with_lines() -> None:
    text = (BAD_INPUT / "wrong_types.yaml").read_text(encoding="utf-8")
    broken_line = text.count("\n") + 2  # after the appended `---`
    code, report = scan_json("-", stdin=text + "---\nmetadata: name: x\n")
    assert code == 2
    errors = {e["line"]: e for e in input_errors(report)}
    assert sorted(errors) == [7, 29, broken_line]
    assert {e["file"] for e in errors.values()} == {"-"}
    assert "spec.replicas" in errors[7]["message"]
    assert "resources.limits.cpu" in errors[29]["message"]
    assert "invalid YAML" in errors[broken_line]["message"]
    findings = [
        (f["target"]["name"], f["location"]) for f in report["findings"] if f["check"] == "qos.best-effort"
    ]
    assert findings == [("typed-fine", {"file": "-", "line": 42, "column": 11})]


def test_stdin_together_with_a_folder(bad_input: Path) -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: piped, namespace: shop}\nspec:\n  replicas: x\n"
    code, report = scan_json("-", str(bad_input / "nested"), stdin=text)
    assert code == 2
    assert [(e["file"], e["line"]) for e in input_errors(report)] == [("-", 5)]
    assert {f["target"]["name"] for f in report["findings"]} >= {"best-effort", "from-json"}


def test_empty_stdin() -> None:
    code, report = scan_json("-", stdin="")
    assert code == 2
    assert [(e["file"], e["line"]) for e in input_errors(report)] == [("-", 1)]


# ---- line endings, separators, lists, helm ------------------------------------------------------------


def test_crlf_file_errors_have_exact_lines(tmp_path: Path) -> None:
    text = (BAD_INPUT / "wrong_types.yaml").read_text(encoding="utf-8")
    path = tmp_path / "crlf.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    code, report = scan_json(str(path))
    assert code == 2
    assert [e["line"] for e in input_errors(report)] == [7, 29]
    assert [f["location"]["line"] for f in report["findings"] if f["check"] == "qos.best-effort"] == [42]


def test_crlf_yaml_error_line(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(b"---\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a: b\r\n")
    code, report = scan_json(str(path))
    assert code == 2
    assert [(e["line"], e["message"].split(":")[0]) for e in input_errors(report)] == [(5, "invalid YAML")]


LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: ok-item, namespace: shop}
  spec:
    template:
      spec:
        containers: [{name: a, image: x}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: bad-item, namespace: shop}
  spec:
    replicas: "three"
    template:
      spec:
        containers: [{name: a, image: x}]
- 42
- metadata: {name: no-kind}
"""


def list_errors(tmp_path: Path) -> list[tuple[int, str]]:
    path = tmp_path / "list.yaml"
    path.write_text(LIST, encoding="utf-8")
    code, report = scan_json(str(path))
    assert code == 2
    assert [f["target"]["name"] for f in report["findings"] if f["check"] == "qos.best-effort"] == ["ok-item"]
    return [(e["line"], e["message"]) for e in input_errors(report)]


def test_list_item_without_kind_is_reported_at_its_line(tmp_path: Path) -> None:
    errors = list_errors(tmp_path)
    assert [line for line, message in errors if "items[3]" in message] == [20]


def test_list_item_that_is_not_a_mapping_is_reported_at_its_line(tmp_path: Path) -> None:
    errors = list_errors(tmp_path)
    assert [line for line, message in errors if "items[2]" in message] == [19]


def test_field_error_in_a_list_item_is_reported_at_its_line(tmp_path: Path) -> None:
    errors = list_errors(tmp_path)
    assert [line for line, message in errors if "bad-item" in message] == [15]


HELM = """\
---
# Source: shop/templates/worker.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: w
          image: x
---
# Source: shop/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a: b
---
# Source: shop/templates/web.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: "three"
  template:
    spec:
      containers:
        - name: web
          image: x
"""


def test_helm_yaml_error_is_reported_at_the_rendered_line(tmp_path: Path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(HELM, encoding="utf-8")
    code, report = scan_json(str(path))
    assert code == 2
    yaml_errors = [e for e in input_errors(report) if "invalid YAML" in e["message"]]
    assert [(e["file"], e["line"]) for e in yaml_errors] == [(str(path), 19)]
    assert "shop/templates/configmap.yaml" in yaml_errors[0]["message"]
    # The rendered file and the line of the field are the location; the template is extra information.
    worker = [f["location"] for f in report["findings"] if f["target"]["name"] == "worker"]
    expected = {"file": str(path), "line": 12, "column": 11, "template": "shop/templates/worker.yaml"}
    assert worker and all(loc == expected for loc in worker)


def test_helm_from_stdin() -> None:
    code, report = scan_json("-", stdin=HELM)
    assert code == 2
    assert ("-", 19) in [(e["file"], e["line"]) for e in input_errors(report)]
    assert {(f["location"]["file"], f["location"]["template"]) for f in report["findings"]} == {
        ("-", "shop/templates/worker.yaml")
    }


def test_helm_field_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "rendered.yaml"
    path.write_text(HELM, encoding="utf-8")
    _, report = scan_json(str(path))
    (error,) = [e for e in input_errors(report) if "spec.replicas" in e["message"]]
    assert (error["file"], error["line"]) == (str(path), 28)
    assert "shop/templates/web.yaml" in error["message"]


# ---- quantities that are not numbers ----------------------------------------------------------------

QUANTITY_DOC = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: odd, namespace: shop}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: x
          resources:
            requests:
              cpu: 100m
              memory: {value}
"""


@pytest.mark.parametrize("value", ['"lots"', "true", "[1Gi]", '"1 Gi"', '"Gi"', "{a: 1}"])
def test_bad_quantity_is_an_input_error_at_its_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUANTITY_DOC.format(value=value), encoding="utf-8")
    code, report = scan_json(str(path))
    assert code == 2
    (error,) = input_errors(report)
    assert error["line"] == 13
    assert "resources.requests.memory" in error["message"]
    assert_clear(error["message"])


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_quantity_has_a_clear_message(tmp_path: Path, value: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUANTITY_DOC.format(value=value), encoding="utf-8")
    code, report = scan_json(str(path))
    assert code == 2
    (error,) = input_errors(report)
    assert error["line"] == 13
    assert_clear(error["message"])


def test_overflowing_quantity_does_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUANTITY_DOC.format(value='"1e1000000"'), encoding="utf-8")
    code, report = scan_json(str(path))
    assert code == 2
    (error,) = input_errors(report)
    assert error["line"] == 13


def test_huge_memory_limit_is_analysed(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    text = QUANTITY_DOC.format(value="1Gi").replace(
        "            requests:", "            limits: {memory: 1e50}\n            requests:"
    )
    path.write_text(text, encoding="utf-8")
    _, report = scan_json(str(path))
    assert report["errors"] == []
    assert "qos.memory-overcommit" in {f["check"] for f in report["findings"]}

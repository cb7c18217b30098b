"""Findings point at the field they are about: the line (and column) of the container's resources, the
annotation key, the HPA field, the parentRef; the object's first line only when no field applies."""

from __future__ import annotations

import gc
import json
import random
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conftest import ROOT, require_shared
from kgov import decode
from kgov.cli import main
from kgov.sources import locate
from kgov.sources.files import discover, split_documents

EXAMPLES = ROOT / "examples"

# (example file, check, target name) → what the line the finding names starts with.
FIELD_LINES = {
    ("resources/shop.yaml", "qos.best-effort", "web"): "- name: app",
    ("resources/shop.yaml", "qos.missing-requests", "checkout"): "requests: {cpu: 250m}",
    ("resources/shop.yaml", "qos.memory-overcommit", "search"): "limits: {memory: 1Gi}",
    ("autoscaling/hpa-fixed-replicas.yaml", "autoscaling.hpa-fixed-replicas", "reports"): "maxReplicas: 1",
    (
        "autoscaling/hpa-replicas-in-template.yaml",
        "autoscaling.hpa-replicas-in-template",
        "web",
    ): "replicas: 3",
    ("autoscaling/hpa-missing-requests.yaml", "autoscaling.hpa-missing-requests", "web"): "requests:",
    ("ingress/unknown-annotation.yaml", "ingress.unknown-annotation", "shop"): (
        "nginx.ingress.kubernetes.io/secure-backends:"
    ),
    ("ingress/legacy-class-annotation.yaml", "ingress.legacy-class-annotation", "shop"): (
        "kubernetes.io/ingress.class:"
    ),
    ("ingress/admission-webhook.yaml", "ingress.admission-webhook", "ingress-nginx-admission"): (
        "- name: validate.nginx.ingress.kubernetes.io"
    ),
    ("gateway/hostname-mismatch.yaml", "gateway.hostname-mismatch", "web"): "- {name: gw, namespace:",
    ("gateway/controller-maturity.yaml", "gateway.controller-maturity", "haproxy"): "controllerName:",
}


def scan(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def findings(*args: str, stdin: str | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(scan(*args, "-o", "json", stdin=stdin)[1])["findings"]
    return found


def line_of(file: Path, line: int) -> str:
    return file.read_text(encoding="utf-8").splitlines()[line - 1].strip()


@pytest.mark.parametrize(("example", "check", "name"), sorted(FIELD_LINES))
def test_a_finding_names_the_line_of_its_field(example: str, check: str, name: str) -> None:
    path = EXAMPLES / example
    (found,) = [f for f in findings(str(path)) if f["check"] == check and f["target"]["name"] == name]
    location = found["location"]
    assert location["file"] == str(path)
    text = line_of(path, location["line"])
    assert text.startswith(FIELD_LINES[(example, check, name)]), (location, text)
    assert location["column"] >= 1


def test_without_a_field_the_finding_names_the_first_line_of_its_object() -> None:
    path = EXAMPLES / "autoscaling" / "multiple-hpa.yaml"
    (found,) = [f for f in findings(str(path)) if f["check"] == "autoscaling.multiple-hpa"]
    assert line_of(path, found["location"]["line"]) == "apiVersion: apps/v1"


def test_every_finding_on_the_examples_has_a_line_in_every_format() -> None:
    all_findings = findings(str(EXAMPLES))
    assert all_findings and all(f["location"]["line"] for f in all_findings)
    sarif = scan(str(EXAMPLES), "-o", "sarif")[1]
    results = json.loads(sarif)["runs"][0]["results"]
    assert len(results) == len(all_findings)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert all(r["startLine"] >= 1 and r["startColumn"] >= 1 for r in regions)
    # The text formats show the same file:line:column as the JSON.
    expected = {
        f"{f['location']['file']}:{f['location']['line']}:{f['location']['column']}" for f in all_findings
    }
    # JUnit: every testcase of a finding carries the file and line.
    junit = ET.fromstring(scan(str(EXAMPLES), "-o", "junit")[1])
    cases = {(c.get("file"), c.get("line")) for c in junit.iter("testcase") if c.get("file")}
    assert cases == {(f["location"]["file"], str(f["location"]["line"])) for f in all_findings}
    markdown = scan(str(EXAMPLES), "-o", "markdown")[1]
    assert {m for m in re.findall(r"`([^`]+:\d+:\d+)`", markdown)} <= expected


def test_the_table_shows_file_line_and_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.yaml").write_text((EXAMPLES / "resources" / "shop.yaml").read_text(), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert "a.yaml\n  16:11 " in scan("a.yaml")[1]  # findings grouped under their file


def test_stdin_findings_name_stdin_and_the_line() -> None:
    text = (EXAMPLES / "resources" / "shop.yaml").read_text(encoding="utf-8")
    (found,) = [f for f in findings("-", stdin=text) if f["check"] == "qos.best-effort"]
    assert (found["location"]["file"], found["location"]["line"]) == ("-", 16)
    table = scan("-", stdin=text)[1]
    assert "<stdin>\n  16:11 " in table
    sarif = json.loads(scan("-", "-o", "sarif", stdin=text)[1])
    for result in sarif["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "%3Cstdin%3E"
        assert physical["region"]["startLine"] >= 1


def test_an_object_of_a_list_is_located_inside_the_list(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: a, namespace: shop}\n"
        "    spec:\n      template:\n        spec:\n          containers:\n            - name: app\n",
        encoding="utf-8",
    )
    (found,) = [f for f in findings(str(path)) if f["check"] == "qos.best-effort"]
    assert (found["location"]["line"], found["location"]["column"]) == (11, 15)


def test_findings_are_located_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Composing the located documents allocates a node per scalar; with the collector on, each
    collection walked the whole analysis again (a third of a generated set's process time)."""
    from kgov.commands import pipeline

    enabled: list[bool] = []

    def locate(*arguments: Any) -> None:
        enabled.append(gc.isenabled())
        real_locate(*arguments)

    real_locate = pipeline.locate_findings
    monkeypatch.setattr(pipeline, "locate_findings", locate)
    assert findings(str(EXAMPLES / "autoscaling" / "multiple-hpa.yaml"))
    assert enabled == [False]


def test_what_a_paused_scan_built_joins_the_oldest_generation_when_the_collector_resumes() -> None:
    """Resumed as it was, the collector would walk everything the pause built once per generation;
    frozen, it would keep all of it for as long as the process lives."""
    from kgov.commands.common import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        built = [[index] for index in range(1000)]
    assert gc.isenabled()
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in built)
    assert gc.get_freeze_count() == 0


def test_an_in_process_scan_leaves_nothing_frozen() -> None:
    before = gc.get_freeze_count()
    assert findings(str(EXAMPLES / "autoscaling" / "multiple-hpa.yaml"))
    assert gc.get_freeze_count() == before


def test_what_a_program_froze_itself_stays_frozen_through_a_scan() -> None:
    from kgov.commands.common import collector_paused

    kept = [[index] for index in range(100)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            built = [[index] for index in range(100)]
        assert gc.get_freeze_count() == frozen
        tracked = {id(item) for item in gc.get_objects()}
        assert all(id(item) in tracked for item in built)
        assert not any(id(item) in tracked for item in kept)
    finally:
        gc.unfreeze()


def test_the_kgov_process_freezes_what_is_left_on_its_way_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The interpreter's last collection would walk every module's objects before the process ends."""
    from kgov.cli import program

    monkeypatch.setattr("sys.argv", ["kgov", "version"])
    before = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit):
            program()
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


def test_a_request_is_located_in_the_document_holding_its_line() -> None:
    text = "a: 1\n---\n---\nb: 2\nc: 3\n...\n# between\n---\nd:\n  e: 4\n"
    asked = [(1, ("a",)), (2, ("b",)), (3, ("b",)), (4, ("b",)), (5, ("c",)), (8, ("d",)), (99, ("d", "e"))]
    located = locate.Locator({"f.yaml": text}).positions([("f.yaml", line, path) for line, path in asked])
    assert located == [(1, 1), None, (4, 1), (4, 1), (5, 1), (9, 1), (10, 3)]


# ---- the walk along the paths, against the composed document ---------------------------------------


def every_path(node: yaml.Node, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every path to a node of `node`, and beside each the paths that are not there: a missing key, an
    index past the end or below zero, a key of a sequence, an index of a mapping, a part below a scalar."""
    yield prefix
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield from every_path(value, (*prefix, key.value))
        yield from ((*prefix, "no-such-key"), (*prefix, 0))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from every_path(item, (*prefix, index))
        yield from ((*prefix, len(node.value)), (*prefix, -1), (*prefix, "key"))
    else:
        yield (*prefix, "below")


def walked_as_composed(text: str, sample: random.Random) -> list[str]:
    """Where the walk's marks differ from the composed nodes' for the paths of `text`: all of them at
    once, a few in a random order, and each alone (so every way the walk can stop early is taken)."""
    node = yaml.compose(text, Loader=locate._Composer)
    if node is None:
        return [] if locate._marks(text, [(), ("a",)]) == [None, None] else ["an empty document located"]
    paths = list(every_path(node))
    sets = [
        paths,
        sample.sample(paths, min(3, len(paths))),
        *([path] for path in sample.sample(paths, min(5, len(paths)))),
    ]
    differ = []
    for chosen in sets:
        for path, mark in zip(chosen, locate._marks(text, chosen), strict=True):
            expected = locate._deepest(node, path)
            if mark is None or (mark.line, mark.column) != (expected.line, expected.column):
                differ.append(
                    f"{path}: {mark and (mark.line, mark.column)} for {(expected.line, expected.column)}"
                )
    return differ


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1, c: [1, 2]}\nd: *x\ne:\n  f: *x\n",
        "base: &b\n  k: v\n  l: [1]\nitem:\n  <<: *b\n  m: 2\n",
        "&k key: value\n*k : other\n",
        "a: 1\na: 2\nb:\n  - x\n  - &y y\n  - *y\n",
        "? [complex, key]\n: value\nplain: 1\n",
        "!!map\nkey: !!str 12\nseq: !!seq [a, b]\n",
        "text: |\n  line one\n  key: not a key\nnext: {a: [1,\n  2], b: c}\n",
        "- - a\n  - b\n- c: d\n  e: f\n-\n- 'q'\n",
        "list: [ {a: 1}, {b: 2} ]\n'quoted key': 1\n\"dq\": {x: y}\n",
        "a:\n- 1\n- 2\nb: 3\n",
        "# nothing but a comment\n",
        "",
    ],
)
def test_the_walk_finds_what_the_composed_document_has(text: str) -> None:
    assert walked_as_composed(text, random.Random(text)) == []


@pytest.mark.corpus
@pytest.mark.parametrize("folder", ["corpus/manifests", "field"])
def test_the_walk_finds_what_the_composed_document_has_in_every_shared_document(folder: str) -> None:
    files, _ = discover([str(require_shared(folder))])
    sample, differ, documents = random.Random(folder), [], 0
    for file in files:
        text = decode.decode(decode.read_limited(Path(file)))
        for line, chunk in split_documents(text or ""):
            try:
                differ.extend(f"{file}:{line} {d}" for d in walked_as_composed(chunk, sample))
            except yaml.YAMLError:
                continue  # not loaded, so nothing in it is located
            documents += 1
    assert differ == []
    assert documents > 1000

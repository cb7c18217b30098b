"""The manifest loader on well-formed but awkward input: separators, CRLF, lists, helm output, stdin."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from kgov.model.objects import Location
from kgov.sources import files
from kgov.sources.files import STDIN, LoadResult, discover, load_paths, load_text


def config_map(name: str, extra: str = "") -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{extra}"


def located(result: LoadResult) -> list[tuple[str, Location | None]]:
    return [(o.name, o.location) for o in result.objects]


# ---- document splitting and lines ------------------------------------------------------------------


# YAML's document markers: `---` or `...` starting a line, then a blank, a line break or the end.
MARKER_LINE = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r]|$)", re.MULTILINE)


def test_document_markers_are_found_where_a_line_starts_with_one() -> None:
    sample = random.Random(7)
    pieces = ["---", "...", "\n", " ", "\t", "\r", "-", ".", "a: 1", "# c", "....", "--- x", "%YAML 1.2\n"]
    for _ in range(20000):
        text = "".join(sample.choice(pieces) for _ in range(sample.randint(0, 12)))
        assert files._separators(text) == [m.start() for m in MARKER_LINE.finditer(text)], repr(text)


def test_single_document_starts_on_line_one() -> None:
    result = load_text(config_map("a"), "a.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("a.yaml", 1))]
    assert result.documents == 1


def test_file_starting_with_separator() -> None:
    text = "---\n" + config_map("a") + "---\n" + config_map("b")
    result = load_text(text, "s.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("s.yaml", 2)), ("b", Location("s.yaml", 7))]


def test_separator_with_trailing_comment() -> None:
    text = "--- # first\n" + config_map("a") + "--- # second one\n" + config_map("b")
    result = load_text(text, "c.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("c.yaml", 2)), ("b", Location("c.yaml", 7))]


def test_leading_comments_and_blank_lines_are_skipped_for_the_line() -> None:
    text = "# header\n\n# more\n" + config_map("a") + "---\n\n# about b\n" + config_map("b")
    result = load_text(text, "h.yaml")
    assert located(result) == [("a", Location("h.yaml", 4)), ("b", Location("h.yaml", 11))]


def test_empty_and_comment_only_documents_are_skipped() -> None:
    text = "---\n---\n# nothing here\n---\n" + config_map("a") + "---\n---\n"
    result = load_text(text, "e.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("e.yaml", 5))]
    assert result.documents == 1


def test_document_end_marker() -> None:
    text = config_map("a") + "...\n# between documents\n---\n" + config_map("b") + "...\n"
    result = load_text(text, "d.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("d.yaml", 1)), ("b", Location("d.yaml", 8))]


def test_separator_inside_a_block_scalar_does_not_split() -> None:
    text = (
        config_map("a", "data:\n  script: |\n    echo one\n    ---\n    echo two\n")
        + "---\n"
        + config_map("b")
    )
    result = load_text(text, "b.yaml")
    assert result.errors == []
    assert [o.name for o in result.objects] == ["a", "b"]
    assert result.objects[0].raw["data"]["script"] == "echo one\n---\necho two\n"
    assert result.objects[1].location == Location("b.yaml", 11)


def test_three_dashes_not_at_line_start_are_content() -> None:
    result = load_text(config_map("a", "data:\n  note: 'a --- b'\n"), "n.yaml")
    assert result.errors == []
    assert result.objects[0].raw["data"]["note"] == "a --- b"


def test_inline_document_after_separator() -> None:
    result = load_text("--- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n", "i.yaml")
    assert result.errors == []
    assert located(result) == [("a", Location("i.yaml", 1))]


def test_broken_document_does_not_hide_its_neighbours() -> None:
    text = config_map("a") + "---\nkind: ConfigMap\nmetadata:\n  name: a: b\n---\n" + config_map("b")
    result = load_text(text, "x.yaml")
    assert [o.name for o in result.objects] == ["a", "b"]
    assert [(e.file, e.line) for e in result.errors] == [("x.yaml", 8)]
    assert result.errors[0].message.startswith("invalid YAML")


def test_error_at_end_of_document_points_into_that_document() -> None:
    text = config_map("a") + "---\nkind: [unclosed\n---\n" + config_map("b")
    result = load_text(text, "x.yaml")
    assert [o.name for o in result.objects] == ["a", "b"]
    assert [(e.file, e.line) for e in result.errors] == [("x.yaml", 6)]


# ---- line endings and encodings ---------------------------------------------------------------------


def test_crlf_file(tmp_path: Path) -> None:
    text = "---\r\n" + config_map("a", "data:\r\n  k: v\r\n") + "--- # b\r\n" + config_map("b")
    path = tmp_path / "crlf.yaml"
    path.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode())
    result = load_paths([str(path)])
    assert result.errors == []
    assert located(result) == [("a", Location(str(path), 2)), ("b", Location(str(path), 9))]
    assert result.objects[0].raw["data"] == {"k": "v"}  # no stray carriage returns


def test_crlf_yaml_error_line(tmp_path: Path) -> None:
    text = config_map("a") + "---\nmetadata:\n  name: a: b\n"
    path = tmp_path / "crlf.yaml"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    result = load_paths([str(path)])
    assert [(e.line, e.message.split(":")[0]) for e in result.errors] == [(7, "invalid YAML")]


def test_utf8_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + config_map("a").encode())
    result = load_paths([str(path)])
    assert result.errors == []
    assert located(result) == [("a", Location(str(path), 1))]


def test_binary_and_undecodable_files_are_errors_empty_ones_not_manifests(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"\x00\x01\x02binary\x00")
    (tmp_path / "b.yaml").write_bytes(b"")
    (tmp_path / "c.yaml").write_text("# only a comment\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_bytes(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".encode("latin-1")
    )
    result = load_paths([str(tmp_path)])
    assert result.objects == []
    assert [(Path(e.file).name, e.line) for e in result.errors] == [("a.yaml", 1), ("d.yaml", 1)]
    assert "binary" in result.errors[0].message
    assert [Path(f).name for f in result.not_manifests] == ["b.yaml", "c.yaml"]


# ---- kind: List ------------------------------------------------------------------------------------


def test_kind_list_is_expanded() -> None:
    text = (
        "# exported\napiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b, namespace: shop}\n"
    )
    result = load_text(text, "list.yaml")
    assert result.errors == []
    assert [(o.kind, o.name, o.namespace) for o in result.objects] == [
        ("ConfigMap", "a", None),
        ("Deployment", "b", "shop"),
    ]
    assert all(o.location == Location("list.yaml", 2) for o in result.objects)
    assert result.documents == 1


def test_typed_list_kinds_and_empty_lists() -> None:
    text = (
        "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n"
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a}\n"
        "---\napiVersion: v1\nkind: List\nitems: []\n"
    )
    result = load_text(text, "typed.yaml")
    assert result.errors == []
    assert [o.name for o in result.objects] == ["a"]


def test_list_items_that_are_not_objects_are_errors_and_the_rest_load() -> None:
    text = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
        "- 42\n"
        "- metadata: {name: no-kind}\n"
    )
    result = load_text(text, "l.yaml")
    assert [o.name for o in result.objects] == ["a"]
    assert len(result.errors) == 2
    assert "items[1]" in result.errors[0].message
    assert "items[2]" in result.errors[1].message
    assert "kind" in result.errors[1].message
    assert result.errors[1].path[:2] == ("items", 2)


def test_json_list(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}} for n in ("a", "b")]
    path.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2), encoding="utf-8"
    )
    result = load_paths([str(path)])
    assert result.errors == []
    assert located(result) == [("a", Location(str(path), 1)), ("b", Location(str(path), 1))]


# ---- helm template output ---------------------------------------------------------------------------

HELM = """\
---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop-web
spec:
  replicas: 1
---
# Source: shop/charts/redis/templates/statefulset.yaml
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: shop-redis
"""


def test_helm_output_keeps_the_rendered_line_and_names_the_template() -> None:
    """The chart-internal path is no file of the repository: the rendered file and line are the
    location, the template path rides along."""
    result = load_text(HELM, "rendered.yaml")
    assert result.errors == []
    assert [(o.kind, o.location, o.location and o.location.template) for o in result.objects] == [
        ("ServiceAccount", Location("rendered.yaml", 3), "shop/templates/serviceaccount.yaml"),
        ("Deployment", Location("rendered.yaml", 9), "shop/templates/deployment.yaml"),
        ("StatefulSet", Location("rendered.yaml", 17), "shop/charts/redis/templates/statefulset.yaml"),
    ]


def test_helm_output_from_stdin() -> None:
    result = load_paths([STDIN], stdin_text=HELM)
    assert result.errors == []
    assert [
        (o.location.file, o.location.line, o.location.template) for o in result.objects if o.location
    ] == [
        (STDIN, 3, "shop/templates/serviceaccount.yaml"),
        (STDIN, 9, "shop/templates/deployment.yaml"),
        (STDIN, 17, "shop/charts/redis/templates/statefulset.yaml"),
    ]
    assert result.texts == {STDIN: HELM}


def test_helm_yaml_error_points_at_the_rendered_line_and_names_the_template() -> None:
    text = (
        HELM
        + "---\n# Source: shop/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n"
    )
    result = load_text(text, "rendered.yaml")
    assert len(result.objects) == 3
    (error,) = result.errors
    assert (error.file, error.line) == ("rendered.yaml", 26)
    assert "shop/templates/configmap.yaml" in error.message


def test_helm_crlf_source_comment() -> None:
    text = "---\r\n# Source: shop/templates/sa.yaml\r\napiVersion: v1\r\nkind: ServiceAccount\r\nmetadata:\r\n  name: a\r\n"
    (obj,) = load_text(text, "r.yaml").objects
    assert obj.location == Location("r.yaml", 3)
    assert obj.location.template == "shop/templates/sa.yaml"


# ---- stdin, files and folders -----------------------------------------------------------------------


def test_stdin_keeps_its_text_and_lines() -> None:
    text = config_map("a") + "--- # two\n" + config_map("b")
    result = load_paths([STDIN], stdin_text=text)
    assert located(result) == [("a", Location(STDIN, 1)), ("b", Location(STDIN, 6))]
    assert result.texts == {STDIN: text}


def test_empty_stdin_is_an_error() -> None:
    result = load_paths([STDIN], stdin_text="")
    assert [(e.file, e.line) for e in result.errors] == [(STDIN, 1)]


def test_folders_are_walked_in_order_skipping_hidden_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "z.yml").write_text(config_map("z"), encoding="utf-8")
    (tmp_path / "a.yaml").write_text(config_map("a"), encoding="utf-8")
    (tmp_path / "c.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}), encoding="utf-8"
    )
    (tmp_path / "UPPER.YAML").write_text(config_map("upper"), encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a manifest\n", encoding="utf-8")
    (tmp_path / ".hidden.yaml").write_text(config_map("hidden"), encoding="utf-8")
    (tmp_path / ".git" / "x.yaml").write_text(config_map("git"), encoding="utf-8")
    found, errors = discover([str(tmp_path)])
    assert errors == []
    assert [p.relative_to(tmp_path).as_posix() for p in found if isinstance(p, Path)] == [
        "UPPER.YAML",
        "a.yaml",
        "b/z.yml",
        "c.json",
    ]
    result = load_paths([str(tmp_path)])
    assert result.errors == []
    assert sorted(o.name for o in result.objects) == ["a", "c", "upper", "z"]


def test_links_in_a_walked_folder(tmp_path: Path) -> None:
    """A link to a file is read as the file; a broken or looping link is no file; a linked folder is
    not followed; a link to a kustomization's patch is set aside as the patch is."""
    outside = tmp_path / "outside"
    (outside / "overlay").mkdir(parents=True)
    (outside / "real.yaml").write_text(config_map("real"), encoding="utf-8")
    (outside / "overlay" / "kustomization.yaml").write_text(
        "patches:\n  - path: patch.yaml\n", encoding="utf-8"
    )
    (outside / "overlay" / "patch.yaml").write_text(config_map("patch"), encoding="utf-8")
    root = tmp_path / "repo"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "own.yaml").write_text(config_map("own"), encoding="utf-8")
    (root / "linked.yaml").symlink_to(outside / "real.yaml")
    (root / "patch.yaml").symlink_to(outside / "overlay" / "patch.yaml")
    (root / "broken.yaml").symlink_to(tmp_path / "missing.yaml")
    (root / "loop.yaml").symlink_to(root / "loop.yaml")
    (root / "folder").symlink_to(outside, target_is_directory=True)
    found, errors = discover([str(root)])
    assert errors == []
    assert [p.relative_to(root).as_posix() for p in found if isinstance(p, Path)] == [
        "linked.yaml",
        "sub/own.yaml",
    ]
    assert sorted(o.name for o in load_paths([str(root)]).objects) == ["own", "real"]


@pytest.mark.parametrize("target", ["kustomization.yaml", "missing.yaml"])
def test_a_linked_kustomization_in_a_walked_folder_names_its_patches(tmp_path: Path, target: str) -> None:
    """A kustomization file that links to one names patches in its own folder; a broken link names none."""
    (tmp_path / "kustomization.yaml").write_text("patches:\n  - path: patch.yaml\n", encoding="utf-8")
    app = tmp_path / "repo" / "app"
    app.mkdir(parents=True)
    (app / "kustomization.yaml").symlink_to(tmp_path / target)
    (app / "patch.yaml").write_text(config_map("patch"), encoding="utf-8")
    (app / "web.yaml").write_text(config_map("web"), encoding="utf-8")
    found, _ = discover([str(tmp_path / "repo")])
    read = [p.name for p in found if isinstance(p, Path)]
    assert read == (["web.yaml"] if target == "kustomization.yaml" else ["patch.yaml", "web.yaml"])


def test_missing_path_is_an_error() -> None:
    result = load_paths(["/nonexistent/kgov/manifests.yaml"])
    assert [(e.file, e.line, e.message) for e in result.errors] == [
        ("/nonexistent/kgov/manifests.yaml", None, "no such file or folder")
    ]


def test_explicit_file_with_other_suffix_is_read(tmp_path: Path) -> None:
    path = tmp_path / "manifest.txt"
    path.write_text(config_map("a"), encoding="utf-8")
    assert [o.name for o in load_paths([str(path)]).objects] == ["a"]


@pytest.mark.parametrize("text", ["[1, 2]\n", "just a string\n", "42\n", "- name: a task\n  shell: make\n"])
def test_non_mapping_documents_are_not_manifests(text: str) -> None:
    result = load_text(text, "n.yaml")
    assert (result.objects, result.errors, result.not_manifests) == ([], [], ["n.yaml"])


def test_a_list_of_objects_is_a_broken_manifest() -> None:
    result = load_text("- apiVersion: v1\n  kind: ConfigMap\n", "n.yaml")
    (error,) = result.errors
    assert (error.file, error.line) == ("n.yaml", 1)
    assert "a list" in error.message

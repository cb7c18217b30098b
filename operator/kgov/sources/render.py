"""Render Helm charts (`helm template`) and build kustomizations (`kustomize build`, `kubectl kustomize`)
found in the input, and keep each object's source file.

- A chart's documents are attributed to their template file from helm's `# Source:` comment. Template
  text is not YAML, so the finding's line in the template is found after locating the field in the
  rendered document: the template line that writes the same key (the same occurrence of it), or the
  nearest enclosing key it writes literally; else the template's first line.
- A kustomization is built through a generated kustomization that includes it with
  `buildMetadata: [originAnnotations]`, so kustomize names the file each object came from; the object is
  located at its document in that file (patches are applied to the object, never scanned on their own).
- Without helm on PATH, or when it fails, the chart is not scanned and a note says why.
- Without kustomize or kubectl on PATH, or when the build fails, the files the kustomization lists are
  read as they are, without its transformations (`sources/unbuilt.py`), and a note says so.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from kgov.findings.model import Finding
from kgov.model.errors import InputError
from kgov.model.objects import KubeObject, Location
from kgov.sources.discovery import CHART_FILE, kustomization_file
from kgov.sources.files import LoadResult, load_text, split_documents
from kgov.sources.unbuilt import read_unbuilt

TIMEOUT = 120  # seconds for one render
ORIGIN = "config.kubernetes.io/origin"
_SOURCE = re.compile(r"^# Source: (\S.*?)\s*$", re.MULTILINE)
_LOG_PREFIX = re.compile(r'^(?:E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=|error: )')
# kustomize wraps the error of a folder it includes in one about the including kustomization, which
# here is always the generated one: only the included folder's own error says what failed.
_WRAPPED = re.compile(
    r"^accumulating resources: accumulation err='.*?must resolve to a file': recursed accumulation of path '[^']*': "
)
_MESSAGE = 300  # characters of a tool's error kept in a note
_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#:][^:#]*?)\s*:(?:\s|$)")


def render_chart(chart: Path, values: Sequence[str]) -> LoadResult:
    """`helm template` of `chart`, each document attributed to its template file."""
    helm = shutil.which("helm")
    if helm is None:
        return _note(f"{chart}: a Helm chart, not rendered: helm is not on PATH (install helm to scan it)")
    args = [helm, "template", chart.resolve().name, str(chart)]
    for value in values:
        args += ["--values", value]
    done, failed = _run(args)
    if failed is not None:
        return _note(f"{chart}: a Helm chart, not rendered: {failed}")
    by_template: dict[str, list[str]] = {}
    for _, document in split_documents(done):
        source = _SOURCE.search(document)
        if source is None or not document.strip():
            continue
        by_template.setdefault(_template_file(chart, source.group(1)), []).append(document)
    result = LoadResult()
    for name, documents in by_template.items():
        text = "---" + "---".join(documents)
        loaded = load_text(text, name)
        loaded.not_manifests.clear()
        result.extend(loaded)
        result.texts[name] = text
        result.rendered.add(name)
    return result


def _template_file(chart: Path, source: str) -> str:
    """`mychart/templates/x.yaml` (helm names the chart, not the folder) → `<chart folder>/templates/x.yaml`;
    the chart's `Chart.yaml` when the template is not a file of the folder (a packaged subchart)."""
    inside = source.split("/", 1)[1] if "/" in source else source
    path = chart / inside
    return path.as_posix() if path.is_file() else (chart / CHART_FILE).as_posix()


def build_kustomization(folder: Path) -> LoadResult:
    """Build `folder` with kustomize, each object located at its document in the file it came from."""
    command = _kustomize()
    if command is None:
        return read_unbuilt(folder, "neither kustomize nor kubectl is on PATH (install one to build it)")
    with tempfile.TemporaryDirectory(prefix="kgov-") as scratch:
        include = os.path.relpath(folder.resolve(), scratch)
        Path(scratch, "kustomization.yaml").write_text(
            yaml.safe_dump({"resources": [include], "buildMetadata": ["originAnnotations"]}), encoding="utf-8"
        )
        done, failed = _run([*command, scratch])
        if failed is not None:
            return read_unbuilt(folder, failed)
        name = str(kustomization_file(folder) or folder)
        result = load_text(done, name)
        result.not_manifests.clear()
        sources: dict[str, LoadResult] = {}
        for obj in result.objects:
            _place(obj, scratch, name, sources)
    # Errors name the kustomization: the built text is not a file of the repository.
    result.errors = [InputError(name, None, e.message, e.kind) for e in result.errors]
    return result


def _place(obj: KubeObject, scratch: str, fallback: str, sources: dict[str, LoadResult]) -> None:
    """Move `obj` to its document in the file kustomize names as its origin, and drop the annotation."""
    metadata = obj.raw.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    origin = annotations.pop(ORIGIN, None) if isinstance(annotations, dict) else None
    if isinstance(metadata, dict) and annotations == {}:
        del metadata["annotations"]
    try:
        path = yaml.safe_load(origin).get("path") if origin else None
    except (yaml.YAMLError, AttributeError):
        path = None
    if not isinstance(path, str):
        obj.location = Location(fallback, 1)
        return
    file = os.path.relpath(os.path.normpath(Path(scratch, path)))
    if file not in sources:
        try:
            sources[file] = load_text(Path(file).read_text(encoding="utf-8-sig"), file)
        except (OSError, UnicodeDecodeError):
            sources[file] = LoadResult()
    obj.location = _document_of(obj, sources[file].objects) or Location(file, 1)


def drop_repeats(objects: list[KubeObject]) -> list[KubeObject]:
    """Each object once: kustomizations that include the same base build the same objects from the
    same documents (an overlay that changes one keeps its own copy)."""
    seen: dict[tuple[object, ...], list[KubeObject]] = {}
    kept = []
    for obj in objects:
        where = obj.location
        key = (obj.key, where.file if where else None, where.line if where else None)
        copies = seen.setdefault(key, [])
        if any(c.raw == obj.raw for c in copies):
            continue
        copies.append(obj)
        kept.append(obj)
    return kept


def _document_of(obj: KubeObject, candidates: list[KubeObject]) -> Location | None:
    """The location of `obj`'s source document: the same kind and a name the built one contains
    (kustomize may add a prefix or suffix), the only one of its kind otherwise."""
    same_kind = [c for c in candidates if c.kind == obj.kind]
    named = [c for c in same_kind if c.name == obj.name] or [c for c in same_kind if c.name in obj.name]
    chosen = named[0] if named else (same_kind[0] if len(same_kind) == 1 else None)
    return chosen.location if chosen is not None else None


def _kustomize() -> list[str] | None:
    kustomize = shutil.which("kustomize")
    if kustomize is not None:
        return [kustomize, "build"]
    kubectl = shutil.which("kubectl")
    return [kubectl, "kustomize"] if kubectl is not None else None


def _run(args: list[str]) -> tuple[str, str | None]:
    """(output, None), or ("", why) when the command failed (its first error line)."""
    tool = Path(args[0]).name
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return "", f"{tool} took longer than {TIMEOUT} s"
    except OSError as exc:
        return "", f"{tool} could not run: {exc.strerror}"
    if done.returncode != 0:
        lines = [_WRAPPED.sub("", _LOG_PREFIX.sub("", line).strip()) for line in done.stderr.splitlines()]
        first = next((line for line in lines if line and not line.startswith(("#", "WARNING"))), "")
        first = first if len(first) <= _MESSAGE else first[: _MESSAGE - 1] + "…"
        return "", f"{tool} failed: {first or f'exit status {done.returncode}'}"
    return done.stdout, None


def _note(text: str) -> LoadResult:
    return LoadResult(notes=[text])


# ---- template lines ------------------------------------------------------------------------------


def map_to_templates(findings: list[Finding], errors: list[InputError], loaded: LoadResult) -> None:
    """Move findings and errors located in rendered text to the template line that writes their field."""
    texts, rendered = loaded.texts, loaded.rendered
    lines: dict[str, tuple[list[str], list[str]]] = {}
    for index, finding in enumerate(findings):
        location = finding.location
        if location is None or location.file not in rendered or location.line is None:
            continue
        line, column = _template_line(location.file, location.line, texts, lines)
        moved = Location(location.file, line, location.prefix, column=column)
        findings[index] = dataclasses.replace(finding, location=moved)
    for error in errors:
        if error.file in rendered and error.line is not None:
            error.line = _template_line(error.file, error.line, texts, lines)[0]


def _template_line(
    file: str, rendered_line: int, texts: dict[str, str], cache: dict[str, tuple[list[str], list[str]]]
) -> tuple[int, int | None]:
    if file not in cache:
        try:
            template = Path(file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            template = []
        cache[file] = (texts.get(file, "").splitlines(), template)
    rendered, template = cache[file]
    for number in _enclosing(rendered, rendered_line - 1):
        key = _KEY.match(rendered[number])
        assert key is not None
        name = key.group(2)
        occurrence = sum(1 for line in rendered[: number + 1] if _key_name(line) == name)
        written = [i for i, line in enumerate(template) if _key_name(line) == name]
        if written:
            found = written[(occurrence - 1) % len(written)]
            return found + 1, len(_KEY.match(template[found]).group(1)) + 1  # type: ignore[union-attr]
    return 1, None


def _key_name(line: str) -> str | None:
    match = _KEY.match(line)
    return match.group(2) if match else None


def _enclosing(lines: list[str], index: int) -> list[int]:
    """Line `index` and the lines of the keys enclosing it (less indented, above it), that hold a key."""
    found: list[int] = []
    indent = None
    for number in range(min(index, len(lines) - 1), -1, -1):
        match = _KEY.match(lines[number])
        if match is None:
            continue
        width = len(match.group(1))
        if indent is None or width < indent:
            found.append(number)
            indent = width
            if width == 0:
                break
    return found

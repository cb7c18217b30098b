"""Which files of a repository are Kubernetes manifests, and which are something else.

A repository holds more YAML than manifests: Helm values and chart metadata, kustomization files, CI
workflows, compose files. Files known by name to be something else are set aside here, before they are
read; a document that turns out to have no `apiVersion`/`kind` is set aside when it is loaded
(`sources/files.py`). Kustomize patch files (partial objects a kustomization merges into others) are
never read as objects on their own.

In a folder walk, a folder holding `Chart.yaml` is a Helm chart and a folder holding a kustomization is
built by kustomize (`sources/render.py`): their files are not read one by one. Only the kustomizations
no other one includes are built (the others are part of those builds). A file given by name is read as
it is, unless it belongs to a chart (then the chart is rendered) or is a patch.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kgov.globs import glob_match, is_literal, literal_head
from kgov.model.errors import InputError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_FILE = "Chart.yaml"
# Files that are never Kubernetes manifests, by name (matched case-sensitively against the file name).
NOT_MANIFEST_NAMES = (
    CHART_FILE,
    "Chart.lock",
    "values.yaml",
    "values.yml",
    "values-*.yaml",
    "values-*.yml",
    "values.*.yaml",
    "values.*.yml",
    "values.schema.json",
    *KUSTOMIZATION_NAMES,
    ".pre-commit-config.yaml",
    ".pre-commit-hooks.yaml",
    ".gitlab-ci.yml",
    ".travis.yml",
    ".yamllint",
    ".yamllint.yaml",
    ".kgov.yaml",
    "azure-pipelines.yml",
    "bitbucket-pipelines.yml",
    "docker-compose*.yaml",
    "docker-compose*.yml",
    "compose.yaml",
    "compose.yml",
    "compose.*.yaml",
    "compose.*.yml",
    "mkdocs.yml",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "renovate.json",
)
_NOT_MANIFEST_LITERALS = frozenset(name for name in NOT_MANIFEST_NAMES if is_literal(name))
_NOT_MANIFEST_GLOBS = tuple(name for name in NOT_MANIFEST_NAMES if not is_literal(name))
# What a name matching one of those globs starts with (the text before its first wildcard).
_NOT_MANIFEST_HEADS = tuple(sorted({literal_head(name) for name in _NOT_MANIFEST_GLOBS}))
# Folders whose files are never manifests (CI configuration, issue templates, dependabot).
NOT_MANIFEST_FOLDERS = (".github", ".gitlab", ".circleci")
# The keys of a kustomization that name patch files, and how each lists them.
_PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")
# The keys of a kustomization that include other folders.
_INCLUDE_KEYS = ("resources", "bases", "components")


@dataclass(slots=True)
class InputPlan:
    """What to read: manifest files (and `-` for stdin), chart folders to render, kustomization folders
    to build, and the files set aside as not manifests."""

    files: list[Path | str] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)
    kustomizations: list[Path] = field(default_factory=list)
    not_manifests: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def plan_inputs(paths: Iterable[str], exclude: Sequence[str] = (), render: bool = True) -> InputPlan:
    """Expand folders (recursively, skipping hidden entries) into manifest files, in a stable order.
    A path matching an `exclude` glob is left out, whether given or found in a folder. Without
    `render`, chart and kustomization folders are read file by file like any other (patches aside)."""
    plan = InputPlan()
    seen: set[Path | str] = set()
    real = _RealPaths()
    for raw in paths:
        if raw == STDIN:
            _add(plan, seen, STDIN)
            continue
        path = Path(raw)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            plan.errors.append(InputError(raw, None, "no such file or folder"))
            continue
        except OSError as exc:  # a folder on the way that cannot be entered, a link loop, ...
            plan.errors.append(InputError(raw, None, f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISDIR(mode):
            for found in _files_under(path, exclude, plan if render else None, plan.errors, real):
                _add(plan, seen, found)
            continue
        # A file, or a pipe such as the shell's <(...).
        chart = chart_of(path) if render else None
        if chart is not None:
            if chart not in plan.charts:
                plan.charts.append(chart)
        elif not excluded(path, exclude):
            _add(plan, seen, path)
    plan.kustomizations = _roots(plan.kustomizations)
    patches = _patch_files(plan.files, real)
    kept: list[Path | str] = []
    for source in plan.files:
        if isinstance(source, Path) and (not_a_manifest(source) or (patches and real.of(source) in patches)):
            plan.not_manifests.append(str(source))
        else:
            kept.append(source)
    plan.files = kept
    return plan


def _add(plan: InputPlan, seen: set[Path | str], source: Path | str) -> None:
    if source not in seen:
        seen.add(source)
        plan.files.append(source)


def _files_under(
    root: Path, exclude: Sequence[str], plan: InputPlan | None, errors: list[InputError], real: _RealPaths
) -> list[Path]:
    """Manifest-suffixed files below `root`, sorted; hidden and excluded folders are not entered,
    symlinked ones not followed (the walk prunes them instead of listing and then dropping their files).
    Chart and kustomization folders are recorded in `plan` (when given) instead of walked. A folder
    that cannot be read is an error: what was not read must not pass for nothing found. What each
    listing shows (which entries are links, which kustomization files a folder holds) goes to `real`."""

    def unreadable(exc: OSError) -> None:
        errors.append(InputError(str(exc.filename or root), None, f"cannot read the folder: {exc.strerror}"))

    found = []
    for folder, folders, files in _walk(root, unreadable):
        here = Path(folder)
        names = [entry.name for entry in files]
        real.listed(here, here != root, files)
        if plan is not None and CHART_FILE in names:
            plan.charts.append(here)
            folders[:] = []
            continue
        if plan is not None and _in_kustomization(here, names, plan):
            files = []  # built, not read file by file; nested kustomizations are still found
        folders[:] = sorted(
            name
            for name in folders
            if not name.startswith(".") and not (exclude and excluded(Path(folder, name), exclude))
        )
        for entry in files:
            name = entry.name
            if name.startswith(".") or name[name.rfind(".") :].lower() not in MANIFEST_SUFFIXES:
                continue
            path = here / name
            if _is_file(entry) and not excluded(path, exclude):
                found.append(path)
                if not _is(entry.is_symlink):
                    real.plain(path)
    return sorted(found)


Walk = Iterator[tuple[str, list[str], list[os.DirEntry[str]]]]


def _walk(root: Path, onerror: Callable[[OSError], None]) -> Walk:
    """`os.walk(root, onerror=onerror)` with each file as the `os.DirEntry` of its folder's listing,
    which knows the file's type without another system call (only a link's target is looked up)."""
    stack = [os.fspath(root)]
    while stack:
        top = stack.pop()
        folders: list[str] = []
        links: set[str] = set()
        files: list[os.DirEntry[str]] = []
        try:
            with os.scandir(top) as entries:
                for entry in entries:
                    if not _is(entry.is_dir):
                        files.append(entry)
                        continue
                    folders.append(entry.name)
                    if _is(entry.is_symlink):
                        links.add(entry.name)
        except OSError as exc:
            onerror(exc)
            continue
        yield top, folders, files
        stack.extend(os.path.join(top, name) for name in reversed(folders) if name not in links)


def _is(test: Callable[[], bool]) -> bool:
    """An entry's type test, false when the entry cannot be looked up (as `os.walk` has it)."""
    try:
        return test()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    """`Path.is_file()` of the entry, from its folder's listing (a link's target is looked up). The
    listing raises for a link that loops, where `Path.is_file()` is false: pathlib decides then."""
    try:
        return entry.is_file()
    except OSError:
        return Path(entry.path).is_file()


def excluded(path: Path, globs: Sequence[str]) -> bool:
    """Whether `path` matches one of `globs`. A glob matches the path (as given, or absolute) or any
    trailing part of it (`vendor/**` excludes `a/vendor/x`, and `*.tpl.yaml` any such file), so globs
    written for the repository root work from any folder below it."""
    if not globs:
        return False
    candidates: set[str] = set()
    for text in (path.as_posix().removeprefix("./"), _resolved(path).as_posix()):
        parts = text.split("/")
        candidates.update("/".join(parts[i:]) for i in range(len(parts)))
    for glob in globs:
        pattern = glob.removeprefix("./").rstrip("/")
        for candidate in candidates:
            if glob_match(candidate, pattern) or glob_match(candidate, pattern + "/**"):
                return True
    return False


def not_a_manifest(path: Path) -> bool:
    """Known by its name or folder to be something other than a Kubernetes manifest."""
    if any(part in NOT_MANIFEST_FOLDERS for part in path.parts[:-1]):
        return True
    name = path.name
    if name in _NOT_MANIFEST_LITERALS:
        return True
    return name.startswith(_NOT_MANIFEST_HEADS) and any(glob_match(name, p) for p in _NOT_MANIFEST_GLOBS)


def _in_kustomization(folder: Path, names: list[str], plan: InputPlan) -> bool:
    """Whether `folder` is a kustomization's folder or below one (recording a new kustomization)."""
    if any(name in names for name in KUSTOMIZATION_NAMES):
        plan.kustomizations.append(folder)
    return any(folder == k or k in folder.parents for k in plan.kustomizations)


def chart_of(path: Path) -> Path | None:
    """The chart folder a file belongs to (a folder above it holding `Chart.yaml`), if any."""
    for parent in _resolved(path).parents:
        if (parent / CHART_FILE).is_file():
            return Path(os.path.relpath(parent)) if not path.is_absolute() else parent
    return None


def kustomization_file(folder: Path) -> Path | None:
    return next((folder / n for n in KUSTOMIZATION_NAMES if (folder / n).is_file()), None)


def _roots(folders: list[Path]) -> list[Path]:
    """The kustomization folders that no other one of `folders` includes (as a resource, base or
    component folder). A kustomize Component is never built on its own: only where one includes it."""
    included: set[Path] = set()
    for folder in folders:
        found = kustomization_file(folder)
        content = read_kustomization(found) if found else {}
        if content.get("kind") == "Component":
            included.add(_resolved(folder))
        for key in _INCLUDE_KEYS:
            entries = content.get(key)
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, str) and "://" not in entry:
                    included.add(_resolved(folder / entry))
    return [f for f in folders if _resolved(f) not in included]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


class _RealPaths:
    """`Path.resolve()` of many files, each folder resolved once: what is not a symbolic link resolves
    to its name in its folder's real path. What a walk listed is known not to be a link, and its
    folders' kustomization files are known, without a system call each."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}
        self._plain: set[str] = set()  # paths a listing showed are no symbolic link
        self._kustomizations: dict[str, list[str]] = {}  # real folder → its kustomization files

    def plain(self, path: Path) -> None:
        self._plain.add(str(path))

    def listed(self, folder: Path, plain: bool, entries: Iterable[os.DirEntry[str]]) -> None:
        """A walk's listing of `folder` (`plain`: known to be no link, as a folder the walk entered)."""
        if plain:
            self.plain(folder)
        found = [e.name for e in entries if e.name in KUSTOMIZATION_NAMES and _is(e.is_file)]
        real = self._folder(str(folder))
        self._kustomizations[real] = [os.path.join(real, name) for name in found]

    def kustomization_files(self, real_folder: str) -> list[str]:
        """The kustomization files in a folder given by its real path."""
        found = self._kustomizations.get(real_folder)
        if found is None:
            paths = (os.path.join(real_folder, name) for name in KUSTOMIZATION_NAMES)
            found = [path for path in paths if os.path.isfile(path)]
        return found

    def of(self, path: Path | str) -> Path:
        folder, name = self._split(str(path))
        return _resolved(Path(path)) if folder is None else Path(self._folder(folder), name)

    def folder_of(self, path: Path | str) -> str:
        """The real path of the folder `path` resolves into."""
        folder, _ = self._split(str(path))
        return str(_resolved(Path(path)).parent) if folder is None else self._folder(folder)

    def _folder(self, folder: str) -> str:
        real = self._folders.get(folder)
        if real is None:
            parent, name = self._split(folder)
            real = os.path.realpath(folder) if parent is None else os.path.join(self._folder(parent), name)
            self._folders[folder] = real
        return real

    def _split(self, path: str) -> tuple[str | None, str]:
        """(folder, name) of `path`; no folder when its name is a link or not a plain name."""
        folder, name = os.path.split(path)
        if name in ("", ".", "..") or (path not in self._plain and os.path.islink(path)):
            return None, name
        return folder, name


def _patch_files(files: Iterable[Path | str], real: _RealPaths) -> set[Path]:
    """The files some kustomization uses as a patch: the kustomizations beside the given files and in
    every folder above them are read (a patch lies inside its kustomization's folder)."""
    visited: set[str] = set()
    kustomizations: set[Path] = set()
    for folder in {real.folder_of(f) for f in files if f != STDIN}:
        while folder not in visited:
            visited.add(folder)
            kustomizations.update(Path(path) for path in real.kustomization_files(folder))
            folder = os.path.dirname(folder)
    patches: set[Path] = set()
    for kustomization in kustomizations:
        patches.update(kustomization_patches(kustomization))
    return patches


def read_kustomization(path: Path) -> dict[str, Any]:
    """A kustomization file's content, or an empty mapping when it cannot be read (the build reports it)."""
    try:
        value = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return value if isinstance(value, dict) else {}


def kustomization_patches(path: Path) -> set[Path]:
    """The files `path` (a kustomization file) names as patches, resolved."""
    content = read_kustomization(path)
    found: set[Path] = set()
    for key in _PATCH_KEYS:
        entries = content.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            name = entry.get("path") if isinstance(entry, dict) else entry
            # An inline patch (a YAML string holding a newline) names no file.
            if isinstance(name, str) and name and "\n" not in name:
                found.add(_resolved(path.parent / name))
    return found

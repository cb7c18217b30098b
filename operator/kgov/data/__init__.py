"""The package's data files (catalogues, feature tables, query templates) and the one way to read them.

Every data file has a JSON schema beside it (`<name>.schema.json`; `annotations/*.yaml` share
`annotations.schema.json`). The packaged files are validated against their schemas by the test suite,
not at every start: they cannot change after the build, and validating them took a fifth of a one-file
scan. Each YAML file is read from its compiled JSON under `compiled/` (`controllers.yaml` →
`compiled/controllers.json`), which `scripts/compile-data` writes and a test holds equal to the YAML,
which stays the one declaration: parsing the catalogues' YAML took 25 ms of every start, JSON takes 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

try:
    YAML_LOADER: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader


class DataError(Exception):
    """A data file that does not parse or breaks its schema (a packaging bug, named by file and field)."""


# The package is installed as files (never zipped): read beside this module, without the cost of
# importlib.resources at every start.
DATA = Path(__file__).parent


def data_text(path: str) -> str:
    """The text of `kgov/data/<path>`."""
    return (DATA / path).read_text(encoding="utf-8")


def compiled_path(path: str) -> str:
    """Where the compiled JSON of the YAML file `path` is: `annotations/x.yaml` → `compiled/annotations/x.json`."""
    return "compiled/" + path.rsplit(".", 1)[0] + ".json"


def schema_for(path: str) -> str:
    """The schema a data file follows: `<name>.schema.json` beside it, shared by a folder's files."""
    head, _, name = path.rpartition("/")
    return (head or name.rsplit(".", 1)[0]) + ".schema.json"


def data_file(path: str) -> Any:
    """`kgov/data/<path>` parsed from its source (JSON, or YAML with PyYAML's C loader), not validated."""
    text = data_text(path)
    try:
        return json.loads(text) if path.endswith(".json") else yaml.load(text, Loader=YAML_LOADER)
    except (ValueError, yaml.YAMLError) as exc:
        raise DataError(f"kgov/data/{path}: {exc}") from None


def data_yaml(path: str) -> Any:
    """The YAML data file `kgov/data/<path>`, read from its compiled JSON (see the module's doc)."""
    return data_file(compiled_path(path))


def compile_yaml(path: str) -> str:
    """The compiled JSON of the YAML data file `path`; only JSON's types are allowed in data files."""
    return json.dumps(data_file(path), ensure_ascii=False, indent=1) + "\n"


def yaml_sources() -> list[str]:
    """Every YAML data file (the `explain/` examples are manifests shown as text, not data)."""
    return sorted(str(p.relative_to(DATA)) for p in [*DATA.glob("*.yaml"), *DATA.glob("annotations/*.yaml")])


def validated(data: Any, schema_path: str, path: str) -> Any:
    """`data` when it follows the schema, else a DataError naming the file and the offending field."""
    import jsonschema

    errors = list(jsonschema.Draft202012Validator(data_file(schema_path)).iter_errors(data))
    if errors:
        # The deepest error names the offending field; conditional rules report on the whole entry.
        error = max(errors, key=lambda e: len(e.absolute_path))
        where = "/".join(map(str, error.absolute_path))
        message = (
            error.message if len(error.message) < 200 else f"breaks the schema's {error.validator!r} rule"
        )
        raise DataError(f"kgov/data/{path}: {where}: {message}")
    return data

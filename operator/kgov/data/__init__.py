"""The package's data files (catalogues, feature tables, query templates) and the one way to read them:
every data file has a JSON schema beside it (`<name>.schema.json`) and is validated as it is read."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import yaml

try:
    YAML_LOADER: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader


class DataError(Exception):
    """A data file that does not parse or breaks its schema (a packaging bug, named by file and field)."""


def data_text(path: str) -> str:
    """The text of `kgov/data/<path>`."""
    return resources.files("kgov.data").joinpath(path).read_text(encoding="utf-8")


def data_file(path: str) -> Any:
    """`kgov/data/<path>` parsed (JSON, or YAML with PyYAML's C loader: the catalogues are read on every
    start), not validated."""
    text = data_text(path)
    try:
        return json.loads(text) if path.endswith(".json") else yaml.load(text, Loader=YAML_LOADER)
    except (ValueError, yaml.YAMLError) as exc:
        raise DataError(f"kgov/data/{path}: {exc}") from None


def data_yaml(path: str, schema: str | None = None) -> Any:
    """`kgov/data/<path>`, validated against `schema` (by default `<name>.schema.json` beside it)."""
    data = data_file(path)
    schema = schema or path.rsplit("/", 1)[-1].rsplit(".", 1)[0] + ".schema.json"
    return validated(data, schema, path)


def validated(data: Any, schema_path: str, path: str) -> Any:
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

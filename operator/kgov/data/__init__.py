"""The package's data files (catalogues, schemas, query templates) and the one way to read them."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

try:
    YAML_LOADER: type[Any] = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    YAML_LOADER = yaml.SafeLoader


def data_text(path: str) -> str:
    """The text of `kgov/data/<path>`."""
    return resources.files("kgov.data").joinpath(path).read_text(encoding="utf-8")


def data_yaml(path: str) -> Any:
    """`kgov/data/<path>` parsed with PyYAML's C loader (the catalogues are read on every start)."""
    return yaml.load(data_text(path), Loader=YAML_LOADER)

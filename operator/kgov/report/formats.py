"""Every output format of `kgov scan` and `kgov gate migration`, by its `-o` name."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator, Mapping

import yaml

from kgov.report.choices import RENDERER_OF
from kgov.report.jsontext import indented
from kgov.report.model import DEFAULT_OPTIONS, RenderOptions, ScanReport, report_dict

Renderer = Callable[[ScanReport, RenderOptions], str]


def render_json(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    return indented(report_dict(report))


def render_yaml(report: ScanReport, options: RenderOptions = DEFAULT_OPTIONS) -> str:
    """What `yaml.safe_dump` writes of the JSON report, through the C JSON codec (tuples become lists,
    other values their strings, as in the JSON) and libyaml's emitter rather than an indented JSON
    text re-parsed and PyYAML's pure-Python emitter (the same bytes, some 6x faster)."""
    plain = json.loads(json.dumps(report_dict(report), default=str))
    try:
        return yaml.dump(plain, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True)
    except UnicodeEncodeError:  # a lone surrogate from the input: libyaml cannot encode it, PyYAML escapes it
        return yaml.safe_dump(plain, sort_keys=False, allow_unicode=True)


class _Renderers(Mapping[str, Renderer]):
    def __getitem__(self, fmt: str) -> Renderer:
        module, name = RENDERER_OF[fmt]
        found: Renderer = getattr(importlib.import_module(module), name)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(RENDERER_OF)

    def __len__(self) -> int:
        return len(RENDERER_OF)


RENDERERS: Mapping[str, Renderer] = _Renderers()

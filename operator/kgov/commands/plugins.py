"""The `kgov` command runs without pydantic plugins.

pydantic looks for plugins (entry points of the `pydantic` group) when it builds its first validator:
its loader imports `importlib.metadata` and reads the metadata of every installed distribution. That
is about 40 ms of CPU, an eighth of a one-file `kgov scan`, for plugins kgov does not use (they are
observability hooks such as logfire's). Before pydantic builds anything, the command puts in the
loader's place one that finds none, as `PYDANTIC_DISABLE_PLUGINS=__all__` would, without the import.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

LOADER = "pydantic.plugin._loader"


def _no_plugins() -> tuple[()]:
    return ()


def _from_real_loader(name: str) -> Any:
    """Any other name a pydantic release imports from its loader: the real loader takes over. (The
    import system asks a module for `__path__` and the like, which a plain module does not have.)"""
    if name.startswith("__"):
        raise AttributeError(name)
    del sys.modules[LOADER]
    return getattr(importlib.import_module(LOADER), name)


def without_pydantic_plugins() -> None:
    """Have pydantic find no plugins in this process (nothing changes once it has looked)."""
    if LOADER in sys.modules:
        return
    loader = types.ModuleType(LOADER, "pydantic's plugin loader, finding none (kgov.commands.plugins)")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    loader.__getattr__ = _from_real_loader  # type: ignore[method-assign]
    sys.modules[LOADER] = loader

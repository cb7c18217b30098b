"""kopf settings for an operator that must never write to the objects it watches.

kopf registers no handler on any resource (the watched kinds are read by our own informers). The
persistence storages are still replaced by ones that store nothing, so that no annotation, status
field or finalizer of kopf's can land on a user's object, whatever handler might be added later.
"""

from __future__ import annotations

from typing import Any

import kopf


class NoProgressStorage(kopf.ProgressStorage):
    """Keeps no handler progress anywhere (event and index handlers have none to keep)."""

    def fetch(self, *, key: Any, body: Any) -> None:
        return None

    def store(self, *, key: Any, record: Any, body: Any, patch: Any) -> None:
        return None

    def purge(self, *, key: Any, body: Any, patch: Any) -> None:
        return None

    def touch(self, *, body: Any, patch: Any, value: str | None) -> None:
        return None

    def clear(self, *, essence: Any) -> Any:
        return essence


class NoDiffBaseStorage(kopf.DiffBaseStorage):
    """Keeps no last-handled configuration (there are no change-detection handlers)."""

    def fetch(self, *, body: Any) -> None:
        return None

    def store(self, *, body: Any, patch: Any, essence: Any) -> None:
        return None


def operator_settings(*, standalone: bool, peering: str | None) -> kopf.OperatorSettings:
    settings = kopf.OperatorSettings()
    settings.persistence.progress_storage = NoProgressStorage()
    settings.persistence.diffbase_storage = NoDiffBaseStorage()
    # kopf's own k8s Events (per handler) would be writes about other people's objects.
    settings.posting.enabled = False
    # kopf watches nothing of ours (see handlers.py): its CRD scan would only hold every CRD in
    # memory a second time. The peering CRDs are found by the one scan at start.
    settings.scanning.disabled = True
    # The peering object's watch: renewed every 10 minutes, restarted when silent (bookmarks).
    settings.watching.server_timeout = 600
    settings.watching.client_timeout = 660
    settings.watching.connect_timeout = 30
    settings.peering.standalone = standalone
    if peering is not None:
        settings.peering.name = peering
        settings.peering.mandatory = True
    return settings

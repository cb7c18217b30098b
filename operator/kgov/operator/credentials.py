"""The credentials kopf logged in with, and the one HTTP client built on them for our writes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import kopf

from kgov.operator.client import KubeClient


class Credentials:
    def __init__(self) -> None:
        self.info: kopf.ConnectionInfo | None = None
        self.logins = 0
        self._relogin: Callable[[], kopf.ConnectionInfo] | None = None
        self._ready = asyncio.Event()
        self._client: KubeClient | None = None
        self._client_for: kopf.ConnectionInfo | None = None
        self._retired: list[KubeClient] = []

    def set(
        self, info: kopf.ConnectionInfo, relogin: Callable[[], kopf.ConnectionInfo] | None = None
    ) -> None:
        self.info = info
        self.logins += 1
        self._relogin = relogin or self._relogin
        self._ready.set()

    def refresh(self) -> None:
        """The API server refused our token (401): log in again, as kopf does for its own requests
        (a rotated service account token is read anew)."""
        if self._relogin is not None:
            self.set(self._relogin())

    async def client(self) -> KubeClient:
        """The client for the current credentials (waits for the first login)."""
        await self._ready.wait()
        info = self.info
        assert info is not None
        if self._client is None or self._client_for is not info:
            if self._client is not None:
                self._retired.append(self._client)  # requests in flight still use it
            self._client, self._client_for = KubeClient(info), info
        return self._client

    async def close(self) -> None:
        for client in [*self._retired, *([self._client] if self._client else [])]:
            await client.close()
        self._client, self._retired = None, []

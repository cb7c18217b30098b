"""One small HTTP client for the operator's own requests, on kopf's login credentials.

It makes one attempt per request and retries nothing: whatever fails (an answer of 300 or more, a
broken connection, a timeout) goes back to the caller as an `ApiError` carrying the server's
`Retry-After`. The one layer that retries each kind of request is named in `kgov.operator.backoff`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp
import kopf

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
USER_AGENT = "kube-governor"


class ApiError(Exception):
    """An answer other than 2xx (`status`), or no answer at all (`status` 0)."""

    def __init__(
        self, status: int, method: str, path: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after  # seconds, from the answer's Retry-After header

    @property
    def transient(self) -> bool:
        """Worth trying again unchanged: no connection, throttled, a server error."""
        return self.status in (0, 429) or self.status >= 500

    @property
    def retryable(self) -> bool:
        """A failed write worth trying again after a backoff: transient, or a 409 (a conflict) or
        404 (a namespace or the CRD not there yet). A rejection (403, 422) is not, as it is."""
        return self.transient or self.status in (404, 409)


class KubeClient:
    """JSON requests to the API server named in a `kopf.ConnectionInfo`."""

    def __init__(self, info: kopf.ConnectionInfo, *, timeout: float = 30.0) -> None:
        self.server = info.server.rstrip("/")
        self._session = _session(info, limit=16, timeout=aiohttp.ClientTimeout(total=timeout))
        # Watches hold their connection for minutes, one per kind: they get their own pool, so they
        # never wait for (or take) the connections of requests.
        self._streams = _session(info, limit=0, timeout=aiohttp.ClientTimeout(total=None))

    async def close(self) -> None:
        await self._session.close()
        await self._streams.close()

    async def get(self, path: str) -> dict[str, Any]:
        return await self.request("GET", path)

    async def create(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.request("POST", path, body)

    async def merge_patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.request("PATCH", path, body, content_type=MERGE_PATCH)

    async def replace_field(self, path: str, field: str, value: Any) -> dict[str, Any]:
        """Set one top-level field to exactly `value` (a JSON patch `add` replaces what is there, so
        keys left out of `value` go, which a merge patch would keep)."""
        ops = [{"op": "add", "path": f"/{field}", "value": value}]
        return await self.request("PATCH", path, ops, content_type=JSON_PATCH)

    async def delete(self, path: str) -> dict[str, Any]:
        return await self.request("DELETE", path)

    async def stream(self, path: str, params: Mapping[str, str], read_timeout: float) -> AsyncIterator[Any]:
        """None once the watch is open, then its JSON lines as they come; ApiError for an answer other
        than 200.

        Lines are split here rather than by aiohttp's `readline`, which refuses lines over 128 KiB
        (a CRD or an object with a large annotation is longer)."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=read_timeout)
        async with self._streams.get(self.server + path, params=params, timeout=timeout) as response:
            if response.status != 200:
                text = await response.text()
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise ApiError(response.status, "WATCH", path, _message(text), retry_after)
            yield None
            async for event in split_lines(response.content.iter_any()):
                yield event

    async def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | list[Any] | None = None,
        *,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": content_type}
        try:
            async with self._session.request(
                method, self.server + path, data=data, headers=headers
            ) as response:
                text = await response.text()
                if response.status < 300:
                    return _json(text)
                retry_after = _retry_after(response.headers.get("Retry-After"))
                raise ApiError(response.status, method, path, _message(text), retry_after)
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise ApiError(0, method, path, f"{type(exc).__name__}: {exc}") from exc


async def split_lines(chunks: AsyncIterator[bytes]) -> AsyncIterator[Any]:
    """JSON values, one a line, from a byte stream cut anywhere."""
    parts: list[bytes] = []
    async for chunk in chunks:
        if b"\n" not in chunk:
            parts.append(chunk)
            continue
        lines = (b"".join(parts) + chunk).split(b"\n")
        parts = [lines.pop()]
        for line in lines:
            if line.strip():
                yield json.loads(line)
    rest = b"".join(parts)
    if rest.strip():
        yield json.loads(rest)


def _session(
    info: kopf.ConnectionInfo, *, limit: int, timeout: aiohttp.ClientTimeout
) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=info.as_ssl_context(), limit=limit),
        headers={**info.as_http_headers(), "User-Agent": USER_AGENT, "Accept": "application/json"},
        timeout=timeout,
        proxy=info.proxy_url,
        trust_env=info.trust_env,
    )


def _json(text: str) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _message(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError:
        return text[:500]
    if isinstance(value, dict) and value.get("message"):
        return str(value["message"])[:500]
    return text[:500]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff

"""The informer's list/watch semantics against a scripted API: re-lists reconcile, faults are survived."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from kgov.operator.backoff import Backoff
from kgov.operator.client import ApiError
from kgov.operator.informer import Informer, Resource, WatchSettings

PODS = Resource("", "v1", "pods", "Pod", True)
FAST = WatchSettings(Backoff(first=0.001, cap=0.002), page_size=2)


def pod(name: str, version: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "shop", "resourceVersion": version}}


class ScriptedApi:
    """Lists answer from `listings` (the last one repeats); watches from `watches`, in order, each a
    list of events or an exception; once the script is used up, a watch waits forever."""

    def __init__(self, listings: list[list[dict[str, Any]] | Exception], watches: list[Any]) -> None:
        self.listings = listings
        self.watches = watches
        self.lists = 0
        self.watch_params: list[Mapping[str, str]] = []

    async def get(self, path: str) -> dict[str, Any]:
        listing = self.listings[min(self.lists, len(self.listings) - 1)]
        if isinstance(listing, Exception):
            self.lists += 1
            raise listing
        start = int(path.partition("continue=")[2] or 0)
        page = listing[start : start + FAST.page_size]
        metadata: dict[str, Any] = {"resourceVersion": f"list-{self.lists}"}
        if start + FAST.page_size < len(listing):
            metadata["continue"] = str(start + FAST.page_size)
        else:
            self.lists += 1
        return {"metadata": metadata, "items": page}

    async def stream(self, path: str, params: Mapping[str, str], read_timeout: float) -> AsyncIterator[Any]:
        self.watch_params.append(dict(params))
        if not self.watches:
            await asyncio.Event().wait()
        script = self.watches.pop(0)
        if isinstance(script, Exception):
            raise script
        for event in script:
            yield event


async def run_until(informer: Informer, done: Any, timeout: float = 5.0) -> None:
    task = asyncio.create_task(informer.run())
    try:
        async with asyncio.timeout(timeout):
            while not done():
                await asyncio.sleep(0.001)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def informer_for(api: ScriptedApi, events: list[tuple[str | None, str]], **settings: Any) -> Informer:
    async def client() -> Any:
        return api

    def sink(event_type: str | None, body: Mapping[str, Any]) -> None:
        events.append((event_type, body["metadata"]["name"]))

    return Informer(PODS, client, sink, dataclasses.replace(FAST, **settings))


def test_a_relist_after_410_removes_what_is_not_listed_any_more() -> None:
    first = [pod("a", "1"), pod("b", "2"), pod("c", "3")]
    # While the watch was gone, b was deleted and c changed: the delete never came on the watch.
    second = [pod("a", "1"), pod("c", "4"), pod("d", "5")]
    gone = [{"type": "ERROR", "object": {"kind": "Status", "code": 410}}]
    api = ScriptedApi([first, second], [gone])
    events: list[tuple[str | None, str]] = []
    informer = informer_for(api, events)

    asyncio.run(run_until(informer, lambda: api.lists >= 2 and len(api.watch_params) >= 2))

    assert events == [
        (None, "a"),
        (None, "b"),
        (None, "c"),
        ("MODIFIED", "c"),
        ("ADDED", "d"),
        ("DELETED", "b"),
    ]
    assert set(informer.known) == {("shop", "a"), ("shop", "c"), ("shop", "d")}
    # Watches resume from the listing's resourceVersion.
    assert [p.get("resourceVersion") for p in api.watch_params] == ["list-0", "list-1"]


def test_every_kind_of_api_failure_is_retried_never_raised() -> None:
    listing = [pod("a", "1")]
    unavailable = ApiError(503, "GET", "/api/v1/pods", "unavailable")
    api = ScriptedApi(
        [unavailable, ApiError(429, "GET", "/api/v1/pods", "slow down"), listing],
        [
            [{"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "etcd"}}],
            ApiError(503, "WATCH", "/api/v1/pods", "unavailable"),
            [{"type": "MODIFIED", "object": pod("a", "7")}],
        ],
    )
    events: list[tuple[str | None, str]] = []
    informer = informer_for(api, events)
    seen_failing: list[str] = []

    def done() -> bool:
        if informer.failing:
            seen_failing.append(informer.failing)
        return ("MODIFIED", "a") in events and len(api.watch_params) >= 4

    asyncio.run(run_until(informer, done))

    assert events[0] == (None, "a") and ("MODIFIED", "a") in events
    assert any("503" in message for message in seen_failing)
    assert informer.failing is None  # recovered


def test_objects_are_listed_again_periodically() -> None:
    api = ScriptedApi([[pod("a", "1"), pod("b", "1")], [pod("a", "1")]], [[], [], []])
    events: list[tuple[str | None, str]] = []
    informer = informer_for(api, events, relist_seconds=0.05)

    asyncio.run(run_until(informer, lambda: ("DELETED", "b") in events))

    assert events == [(None, "a"), (None, "b"), ("DELETED", "b")]


def test_a_watch_failing_longer_than_the_limit_is_listed_again_not_resumed() -> None:
    # Throttled for a while (the watch cannot be resumed); meanwhile b was deleted, and whatever sits
    # between us and the server may have dropped that delete: only a listing shows it.
    throttled = ApiError(429, "WATCH", "/api/v1/pods", "slow down")
    api = ScriptedApi([[pod("a", "1"), pod("b", "1")], [pod("a", "1")]], [throttled] * 20)
    events: list[tuple[str | None, str]] = []
    informer = informer_for(api, events, retry=Backoff(first=0.01, cap=0.01), relist_after_failing=0.1)

    asyncio.run(run_until(informer, lambda: ("DELETED", "b") in events))

    assert events == [(None, "a"), (None, "b"), ("DELETED", "b")]


def test_a_short_failure_is_resumed_not_listed_again() -> None:
    throttled = ApiError(429, "WATCH", "/api/v1/pods", "slow down")
    api = ScriptedApi([[pod("a", "1")]], [throttled, throttled, []])
    events: list[tuple[str | None, str]] = []
    informer = informer_for(api, events)

    asyncio.run(run_until(informer, lambda: len(api.watch_params) >= 4))

    assert api.lists == 1
    assert {p.get("resourceVersion") for p in api.watch_params} == {"list-0"}


@pytest.mark.parametrize("line_size", [10, 300_000])
def test_watch_lines_of_any_length_are_read(line_size: int) -> None:
    from kgov.operator.client import split_lines

    async def chunks() -> AsyncIterator[bytes]:
        payload = b'{"type": "ADDED", "object": {"x": "' + b"y" * line_size + b'"}}\n'
        for i in range(0, len(payload) * 2, 4096):
            yield (payload * 2)[i : i + 4096]

    async def collect() -> list[Any]:
        return [event async for event in split_lines(chunks())]

    events = asyncio.run(collect())
    assert len(events) == 2 and len(events[0]["object"]["x"]) == line_size

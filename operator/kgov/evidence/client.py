"""The Prometheus connection: prometheus-api-client over a requests session built from the settings."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from prometheus_api_client.exceptions import PrometheusApiClientException
from prometheus_api_client.prometheus_connect import PrometheusConnect
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from kgov.config import PrometheusSettings


class SourceDown(Exception):
    """Prometheus cannot be asked at all (connection refused, timeout, TLS, unreadable token)."""


class QueryFailed(Exception):
    """Prometheus answered, but not with a result (bad query, evaluation timeout, 4xx/5xx)."""


# Retries only what is safe to retry quickly: refused connections and gateway errors. A read timeout
# is not retried: a slow Prometheus must not be asked again by the tool that made it slow.
_RETRY = Retry(total=2, connect=2, read=0, status=1, backoff_factor=0.2, status_forcelist=(502, 503, 504))


class Prometheus:
    """Instant and range queries with the configured timeout, sent to the server too (`timeout=`)."""

    def __init__(self, settings: PrometheusSettings) -> None:
        if settings.url is None:
            raise SourceDown("no Prometheus URL configured")
        self.settings = settings
        headers = dict(settings.headers)
        if settings.bearer_token_file:
            try:
                token = Path(settings.bearer_token_file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SourceDown(
                    f"cannot read bearer_token_file {settings.bearer_token_file}: {exc.strerror}"
                ) from None
            headers["Authorization"] = f"Bearer {token}"
        session = requests.Session()
        session.verify = settings.ca_file or settings.verify_tls
        self._connection = PrometheusConnect(
            url=settings.url.rstrip("/"),
            headers=headers,
            retry=_RETRY,
            session=session,
            timeout=settings.timeout_seconds,  # type: ignore[arg-type]  # requests takes float seconds
        )
        self._server_timeout = f"{settings.timeout_seconds:g}s"
        self._where = urlsplit(settings.url).netloc

    def close(self) -> None:
        self._connection.close()

    def instant(self, query: str, at: datetime) -> list[dict[str, Any]]:
        params = {"time": f"{at.timestamp():.3f}", "timeout": self._server_timeout}
        return self._call(lambda: self._connection.custom_query(query, params=params))

    def range(self, query: str, start: datetime, end: datetime, step_seconds: float) -> list[dict[str, Any]]:
        params = {"timeout": self._server_timeout}
        return self._call(
            lambda: self._connection.custom_query_range(
                query,
                start_time=start,
                end_time=end,
                step=f"{step_seconds:g}s",
                params=params,
            )
        )

    def _call(self, request: Any) -> list[dict[str, Any]]:
        try:
            result = request()
        except requests.exceptions.Timeout:
            raise SourceDown(f"no answer within {self._server_timeout}") from None
        except requests.exceptions.SSLError as exc:
            raise SourceDown(f"TLS error: {_first_line(exc)}") from None
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)
            if isinstance(reason, ReadTimeoutError):
                raise SourceDown(f"no answer within {self._server_timeout}") from None
            raise SourceDown(f"cannot connect to {self._where}: {_os_error(exc)}") from None
        except PrometheusApiClientException as exc:
            raise QueryFailed(_first_line(exc)) from None
        except (requests.exceptions.RequestException, ValueError, KeyError) as exc:
            raise QueryFailed(f"{type(exc).__name__}: {_first_line(exc)}") from None
        if not isinstance(result, list):
            raise QueryFailed("the answer holds no result list")
        return result


def _os_error(exc: BaseException) -> str:
    """`Connection refused` rather than the whole retry chain with the query in it."""
    match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return match.group(1).strip() if match else _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def window_start(at: datetime, window_seconds: float) -> datetime:
    return at - timedelta(seconds=window_seconds)

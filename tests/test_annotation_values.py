"""The annotation value parsers follow the controller's (internal/ingress/annotations/parser/main.go,
validators.go, internal/net/ipnet.go): Go's strconv.ParseBool and Atoi, NGINX sizes, CIDR lists, URLs."""

from __future__ import annotations

import pytest

from kgov.migration.values import (
    AnnotationValues,
    canary_share,
    cidr_list,
    go_bool,
    go_int,
    http_url,
    nginx_size,
)

P = "nginx.ingress.kubernetes.io/"


@pytest.mark.parametrize("text", ["1", "t", "T", "TRUE", "true", "True"])
def test_go_true(text: str) -> None:
    assert go_bool(text) is True


@pytest.mark.parametrize("text", ["0", "f", "F", "FALSE", "false", "False"])
def test_go_false(text: str) -> None:
    assert go_bool(text) is False


@pytest.mark.parametrize("text", ["yes", "no", "on", "off", "tRUE", " true", "true ", "", "2", "y"])
def test_not_go_booleans(text: str) -> None:
    assert go_bool(text) is None


@pytest.mark.parametrize(("text", "number"), [("30", 30), ("+30", 30), ("-5", -5), ("030", 30)])
def test_atoi(text: str, number: int) -> None:
    assert go_int(text) == number


@pytest.mark.parametrize("text", ["30%", "30.0", " 30", "30 ", "1_000", "0x10", "", "9223372036854775808"])
def test_not_atoi(text: str) -> None:
    assert go_int(text) is None


def test_sizes() -> None:
    assert [nginx_size(s) for s in ("8m", "8M", "512k", "1024", "1 g")] == ["8m", "8M", "512k", "1024", "1g"]
    assert [nginx_size(s) for s in ("8mb", "1.5m", "m", "8t")] == [None] * 4


def test_cidr_lists() -> None:
    assert cidr_list("10.0.0.0/8, 192.168.1.1") == ["10.0.0.0/8", "192.168.1.1"]
    assert cidr_list("2001:db8::/32") == ["2001:db8::/32"]
    assert cidr_list("10.0.0.0/8,office") is None
    assert cidr_list("10.0.0.0/33") is None


def test_urls() -> None:
    assert http_url("http://auth.shop.svc/check") == "http://auth.shop.svc/check"
    assert http_url("/check") is None and http_url("ftp://x/y") is None


def test_invalid_values_keep_the_default_and_are_recorded() -> None:
    notes = AnnotationValues({P + "ssl-redirect": "no", P + "canary-weight": "10%"}, P)
    assert notes.flag("ssl-redirect", True) is True
    assert notes.number("canary-weight", 0) == 0
    assert sorted(notes.invalid) == ["canary-weight", "ssl-redirect"]
    assert "applies its default (true)" in notes.invalid["ssl-redirect"].message()


def test_canary_total_counts_only_above_100() -> None:
    assert canary_share(5, 10) == (5, 95)
    assert canary_share(5, 1000) == (5, 995)
    assert canary_share(150, 100) == (100, 0)
    assert canary_share(-5, 100) == (0, 100)

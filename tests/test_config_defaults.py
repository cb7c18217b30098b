"""Without a config file the settings are constructed from the models' defaults (no validator is
built): they must be exactly what validating an empty config gives. So is the evidence health the
operator reports without Prometheus."""

from __future__ import annotations

from pathlib import Path

from kgov.config import CheckSettings, Config, load_config
from kgov.model.evidence import NOT_CONFIGURED, EvidenceHealth


def test_no_config_file_gives_the_validated_empty_config(tmp_path: Path) -> None:
    empty = tmp_path / ".kgov.yaml"
    empty.write_text("{}\n", encoding="utf-8")
    constructed, validated = load_config(None), load_config(empty)
    assert constructed == validated == Config.model_validate({})
    assert constructed.model_dump() == validated.model_dump()
    for name in Config.model_fields:
        assert type(getattr(constructed, name)) is type(getattr(validated, name)), name
        assert getattr(constructed, name) == getattr(validated, name), name


def test_a_check_the_config_does_not_name_has_the_default_settings() -> None:
    config = Config.model_validate({"checks": {"qos.best-effort": {"enabled": False}}})
    assert config.settings("qos.memory-overcommit") == CheckSettings.model_validate({})
    assert config.settings("qos.best-effort").enabled is False


def test_a_partial_section_keeps_the_defaults_of_the_others(tmp_path: Path) -> None:
    given = tmp_path / "kgov.yaml"
    given.write_text("prometheus: {url: 'http://prom:9090'}\n", encoding="utf-8")
    config = load_config(given)
    assert config.prometheus.labels == Config.model_validate({}).prometheus.labels
    assert config.operator == Config.model_validate({}).operator
    assert config.prometheus.url == "http://prom:9090"


def test_the_evidence_health_without_prometheus_is_the_validated_one() -> None:
    validated = EvidenceHealth.model_validate({"configured": False, "reachable": False})
    constructed = NOT_CONFIGURED
    assert constructed == validated
    assert constructed.model_fields_set == validated.model_fields_set
    assert constructed.model_dump() == validated.model_dump()

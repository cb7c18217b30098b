"""Where a pod-bearing object keeps its pod template, read from its raw data."""

from __future__ import annotations

from typing import Any

from kgov.model.objects import KubeObject


def template_images(obj: KubeObject) -> list[str]:
    """The container images of a pod-bearing object's template, read from its raw data."""
    template, _ = pod_template_of(obj)
    spec = template.get("spec") if isinstance(template, dict) else None
    containers = spec.get("containers") if isinstance(spec, dict) else None
    if not isinstance(containers, list):
        return []
    return [str(c.get("image")) for c in containers if isinstance(c, dict) and c.get("image")]


def pod_template_of(obj: KubeObject) -> Any:
    """The raw pod template of a pod-bearing object and its field path, or (None, path) if absent."""
    raw = obj.raw
    if obj.kind == "Pod":
        return {"metadata": raw.get("metadata"), "spec": raw.get("spec")}, ()
    spec = raw.get("spec")
    if not isinstance(spec, dict):
        return None, ("spec",)
    if obj.kind == "CronJob":
        job = spec.get("jobTemplate")
        job_spec = job.get("spec") if isinstance(job, dict) else None
        template = job_spec.get("template") if isinstance(job_spec, dict) else None
        return template, ("spec", "jobTemplate", "spec", "template")
    return spec.get("template"), ("spec", "template")

"""Projection of Service, apart from `kgov.model.networking`: a Service is in most scans, an Ingress,
an IngressClass, a PodDisruptionBudget or a webhook configuration in fewer (that module is loaded
only for a scan that holds one)."""

from __future__ import annotations

from pydantic import Field

from kgov.model.base import NullableList, Projection, StrMap


class ServicePort(Projection):
    name: str | None = None
    port: int
    target_port: int | str | None = None
    protocol: str = "TCP"
    app_protocol: str | None = None


class ServiceSpec(Projection):
    type: str = "ClusterIP"
    selector: StrMap = Field(default_factory=dict)
    ports: NullableList[ServicePort] = Field(default_factory=list)


class Service(Projection):
    spec: ServiceSpec = Field(default_factory=ServiceSpec)

    def port(self, number: int | None = None, name: str | None = None) -> ServicePort | None:
        for port in self.spec.ports:
            if (number is not None and port.port == number) or (name is not None and port.name == name):
                return port
        return None

"""Ingress → Gateway API migration: the converter, the routing model and the parity checker."""

"""The in-cluster operator: the thin kopf layer around `kgov.engine`.

This package is the only place kopf is imported. Watched objects are read through `@kopf.on.event`
and `@kopf.index` only (no change-detection handlers, timers or daemons on them, so kopf never writes
to them); the engine's write plans are carried out by our own HTTP client on kgov.io kinds only.
"""

"""Domain knowledge that checks, migration and the engine share: which routes attach to which
listeners, an Ingress's controller annotations, measured series of a subject, reload counters.

Below `checks` and `migration`, above `inventory`: it reads views, never registers a check.
"""

"""kube-governor: ingress, autoscaler and resource governance for Kubernetes."""

__version__ = "0.1.0"

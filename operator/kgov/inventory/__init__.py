from kgov.inventory.inventory import AbsentTarget, Copies, Inventory
from kgov.inventory.views import HPAView, LivePodView, VPAView, Workload

__all__ = ["AbsentTarget", "Copies", "HPAView", "Inventory", "LivePodView", "VPAView", "Workload"]

from kgov.inventory.inventory import AbsentTarget, HPAView, Inventory, LivePodView, VPAView, Workload

__all__ = ["AbsentTarget", "HPAView", "Inventory", "LivePodView", "VPAView", "Workload"]

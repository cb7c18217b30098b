from kgov.inventory.inventory import AbsentTarget, Copies, HPAView, Inventory, LivePodView, VPAView, Workload

__all__ = ["AbsentTarget", "Copies", "HPAView", "Inventory", "LivePodView", "VPAView", "Workload"]

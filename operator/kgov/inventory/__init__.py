from kgov.inventory.inventory import HPAView, Inventory, LivePodView, VPAView, Workload

__all__ = ["HPAView", "Inventory", "LivePodView", "VPAView", "Workload"]

"""The watch-estimated reload-churn Finding is rewritten only when the estimate moved materially."""

from __future__ import annotations

from test_engine import INGRESS_CLASS, Clock, engine, feed, ingress, namespace


def churn_patches(plan: object) -> list[object]:
    return [p for p in plan.patches if "reload-churn" in p.key[2]]  # type: ignore[attr-defined]


def test_a_small_move_of_the_estimate_writes_nothing_a_large_one_does() -> None:
    clock = Clock()
    target = engine(clock, churn_window_s=3600)
    feed(target, namespace("shop"), INGRESS_CLASS, ingress())
    target.evaluate()
    edits = 0

    def edit(count: int) -> None:
        nonlocal edits
        for _ in range(count):
            edits += 1
            clock.now += 30
            annotations = {"nginx.ingress.kubernetes.io/proxy-body-size": f"{edits}m"}
            feed(target, ingress(**annotations), event="MODIFIED")

    edit(60)
    assert any("reload-churn" in b["metadata"]["name"] for b in target.evaluate().creates)
    edit(1)  # 60 → 61 per hour: the same churn
    assert churn_patches(target.evaluate()) == []
    edit(20)  # 61 → 81 per hour
    assert len(churn_patches(target.evaluate())) == 1

"""Fit a Markdown report into a size budget: what matters most is kept, what is cut is counted.

A report is a list of blocks in reading order. Each block has fixed lines around a list of items
(table rows, list entries, folded sections) and a priority. Room is given first to every block's
fixed lines, in priority order, then to items, again in priority order; a block takes its items in
order and stops at the first that does not fit, so "the first N" stays true, and says how many it
left out. A block whose fixed lines do not fit at all is left out and counted in a last line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DROPPED_RESERVE = 200  # room for the last line naming the sections left out

# Which blocks get room first when a report is over its budget (lower first; ties in reading order).
PRIORITY_HEAD = 0  # title and verdict
PRIORITY_SUMMARY = 1  # the summary table
PRIORITY_ERRORS = 2  # input errors: they make the exit code 2
PRIORITY_ROWS = 3  # one row per finding (or per Ingress), most severe first
PRIORITY_DETAILS = 4  # per-Ingress details, remediation
PRIORITY_NOTES = 5  # skipped checks, expired waivers


@dataclass(slots=True)
class Block:
    head: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    priority: int = 0  # lower is given room first
    # The line saying how many items were left out (after a table: start it with a blank line).
    more: Callable[[int], str] = field(default=lambda n: f"- …and {n} more not shown")
    # Left out altogether (and counted as a section not shown) when none of its items fit.
    optional: bool = False


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _more_size(block: Block) -> int:
    if not block.items:
        return 0
    return len(block.more(len(block.items))) + 1


def fit(blocks: list[Block], budget: int) -> str:
    """The blocks as one text of at most `budget` characters (or as few as can be when even the
    fixed lines of the first block do not fit)."""
    order = sorted(range(len(blocks)), key=lambda i: blocks[i].priority)
    room = budget - DROPPED_RESERVE
    kept_blocks: set[int] = set()
    for index in order:
        block = blocks[index]
        fixed = _size(block.head) + _size(block.tail) + _more_size(block)
        if fixed <= room:
            kept_blocks.add(index)
            room -= fixed
    taken: dict[int, int] = {}
    for index in order:
        if index not in kept_blocks:
            continue
        block = blocks[index]
        count = 0
        for item in block.items:
            size = len(item) + 1
            if size > room:
                break
            room -= size
            count += 1
        if count == len(block.items):
            room += _more_size(block)  # not needed after all
        if count == 0 and block.items and block.optional:
            kept_blocks.discard(index)
            room += _size(block.head) + _size(block.tail) + _more_size(block)
            continue
        taken[index] = count
    lines: list[str] = []
    for index, block in enumerate(blocks):
        if index not in kept_blocks:
            continue
        count = taken[index]
        lines += block.head + block.items[:count]
        if count < len(block.items):
            lines.append(block.more(len(block.items) - count))
        lines += block.tail
    dropped = len(blocks) - len(kept_blocks)
    if dropped:
        lines += ["", f"…and {dropped} more section(s) not shown: the report is over its size limit."]
    return "\n".join(lines) + "\n"

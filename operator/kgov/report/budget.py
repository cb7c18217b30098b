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


def _fixed_size(block: Block) -> int:
    """Head, tail and the room for the line that counts left-out items."""
    return _size(block.head) + _size(block.tail) + _more_size(block)


def _items_that_fit(block: Block, room: int) -> int:
    """How many of the block's items, in order, fit into `room`."""
    count = 0
    for item in block.items:
        room -= len(item) + 1
        if room < 0:
            break
        count += 1
    return count


def _allot(blocks: list[Block], budget: int) -> dict[int, int]:
    """Block index → how many of its items are shown, for the blocks that are shown at all."""
    order = sorted(range(len(blocks)), key=lambda i: blocks[i].priority)
    room = budget - DROPPED_RESERVE
    shown: dict[int, int] = {}
    for index in order:  # first every block's fixed lines, most important first
        if _fixed_size(blocks[index]) <= room:
            shown[index] = 0
            room -= _fixed_size(blocks[index])
    for index in (i for i in order if i in shown):  # then their items, in the same order
        block = blocks[index]
        count = _items_that_fit(block, room)
        room -= sum(len(item) + 1 for item in block.items[:count])
        if count == len(block.items):
            room += _more_size(block)  # no line about left-out items after all
        if count == 0 and block.items and block.optional:
            del shown[index]
            room += _fixed_size(block)
        else:
            shown[index] = count
    return shown


def fit(blocks: list[Block], budget: int) -> str:
    """The blocks as one text of at most `budget` characters (or as few as can be when even the
    fixed lines of the first block do not fit)."""
    shown = _allot(blocks, budget)
    lines: list[str] = []
    for index, block in enumerate(blocks):
        if index not in shown:
            continue
        count = shown[index]
        lines += block.head + block.items[:count]
        if count < len(block.items):
            lines.append(block.more(len(block.items) - count))
        lines += block.tail
    dropped = len(blocks) - len(shown)
    if dropped:
        lines += ["", f"…and {dropped} more section(s) not shown: the report is over its size limit."]
    return "\n".join(lines) + "\n"

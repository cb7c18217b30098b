"""The converter's own output checked with the parity model before it is written.

The Ingresses of the input and the objects converted from them are read into one inventory, and
every Ingress is compared with the routes on the probes the gate sends (`parity.MigrationIndex`).
Each probe the output answers differently is a `blocker` note: the conversion never claims to carry
over what the gate would block. What the controller's order decides where the input has no creation
times, and Ingresses the controller does not load at all, are noted too.
"""

from __future__ import annotations

from kgov.inventory import Inventory
from kgov.inventory.network import IngressView
from kgov.migration.convert_model import Conversion, Note
from kgov.migration.parity import MigrationIndex
from kgov.model.objects import object_from_dict

MAX_PER_INGRESS = 5  # mismatching probes listed per Ingress; the count says how many more


def verify(inventory: Inventory, conversion: Conversion) -> None:
    objects = [obj for copies in inventory.objects.values() for obj in copies]
    generated = [object_from_dict(g.obj) for g in conversion.objects]
    combined = Inventory([*objects, *generated])
    index = MigrationIndex(combined)
    for view in combined.network.ingresses:
        namespace, name = view.obj.namespace, view.obj.name
        mismatches = index.parity(view).mismatches
        for mismatch in mismatches[:MAX_PER_INGRESS]:
            reason = f"not carried over: ingress-nginx gives {mismatch.ingress}; the output gives {mismatch.routes}"
            conversion.notes.append(
                Note(namespace, name, f"probe {mismatch.probe}", "spec", "blocker", reason)
            )
        if len(mismatches) > MAX_PER_INGRESS:
            more = f"and {len(mismatches) - MAX_PER_INGRESS} more probe(s) answered differently"
            conversion.notes.append(Note(namespace, name, "probes", "spec", "blocker", more))
    for model in index.nginx.values():
        for view, invalid in model.dropped:
            key = model.prefix + invalid.key
            reason = f"{invalid.message()}: nothing is written for it"
            conversion.notes.append(Note(view.obj.namespace, view.obj.name, key, "spec", "blocker", reason))
        for conflict in model.conflicts:
            for view in (conflict.kept, conflict.other):
                reason = order_reason(conflict.subject, conflict.host, conflict.kept, conflict.other)
                conversion.notes.append(
                    Note(
                        view.obj.namespace, view.obj.name, "metadata.creationTimestamp", "spec", "gap", reason
                    )
                )


def order_reason(subject: str, host: str, kept: IngressView, other: IngressView) -> str:
    first, second = kept.obj.display(), other.obj.display()
    return (
        f"{subject} of host {host or '*'} is defined by {first} and {second}: ingress-nginx keeps the "
        f"older one's, and the input carries no creation times (written as if {first} were older, "
        "the order the controller uses for equal times)"
    )

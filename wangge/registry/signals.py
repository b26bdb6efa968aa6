"""What the archive tells the modules that hang off it (the archive never imports them).

`households_changed` is sent, inside the writing transaction, with `household_ids` whose selection by
group, residence or hazard may have changed (a new household, a membership begun or ended, a person
gone, a hazard marked or fixed). `bulk=True` marks a ledger import: receivers should defer heavy work.
"""

from django.dispatch import Signal

households_changed = Signal()


def tell(household_ids, *, bulk: bool = False) -> None:
    ids = sorted({i for i in household_ids if i})
    if ids:
        households_changed.send(sender="registry", household_ids=ids, bulk=bulk)

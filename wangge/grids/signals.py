"""What the grid tree tells the modules that keep figures by it (the platform never imports them).

`grids_moved` is sent, inside the writing transaction, with `paths`: the tree paths a split or a merge
gave to grids it moved under a new parent (with their subtrees). A module that keeps rows per subtree
(the daily tallies of cases) recounts what stood under them."""

from django.dispatch import Signal

grids_moved = Signal()

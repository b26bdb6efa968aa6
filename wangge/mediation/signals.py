"""What the mediation register tells the modules that listen (through `mediation.services`)."""

from django.dispatch import Signal

# a dispute reached its outcome (agreed, partly, failed): sent inside the transaction that records it, so
# that a case it came in as is closed with it or not at all. Arguments: dispute, by.
dispute_closed = Signal()

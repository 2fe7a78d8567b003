"""Signals of the sla app, sent inside the transaction that claims the announcement (so
what a receiver writes commits with the claim, and a failing receiver undoes it and the
next run tries again).

- ``sla_at_risk``: a target is about to be breached (the policy's warning share used).
- ``sla_breached``: a target was breached.

Both carry ``ticket``, ``target`` (a ``sla.models.Target`` value), ``due`` (an aware
datetime) and ``policy``. ``notifications`` connects to them; sla imports no other app
but accounts and tickets.
"""

from django.dispatch import Signal

sla_at_risk = Signal()
sla_breached = Signal()

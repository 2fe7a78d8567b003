"""What the accounts app announces; other apps subscribe in their ``AppConfig.ready()``."""

from django.dispatch import Signal

# Sent after commit when wrong passwords paused signing in for a (user name, address)
# pair. Arguments: ``username`` (as typed, lower case), ``ip_address``, ``failures``
# (counted so far), ``pause`` (a timedelta) and ``account`` (the local User it names, or
# None when there is none yet).
sign_in_paused = Signal()

"""The ticket endpoints of the REST API (``/api/v1/``): every write goes through
``tickets.services`` and every read through ``tickets.selectors``."""

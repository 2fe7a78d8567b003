"""Log lines: one per event, stamped in the site's time zone (``TIME_ZONE``) with its offset.

``LOG_FORMAT=text`` (the default) writes ``2026-12-06 23:10:49.386+03:00 WARNING
django.request: Not Found: /x``; ``LOG_FORMAT=json`` writes one JSON object per line.
"""

import json
import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def _stamp(record: logging.LogRecord, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(record.created, tz=zone).isoformat(
        sep=" ", timespec="milliseconds"
    )


class TextFormatter(logging.Formatter):
    """The standard format, with the time in ``time_zone`` and its UTC offset."""

    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _stamp(record, self.zone)


class JsonFormatter(logging.Formatter):
    def __init__(self, *args: Any, time_zone: str = "UTC", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(time_zone)

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": datetime.fromtimestamp(record.created, tz=self.zone).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)

"""Reading ids typed or sent by people: anything that is not a plain id is "not an id"."""

MAX_ID = 2**63 - 1  # the largest primary key the databases store


def parse_id(value: object) -> int | None:
    """``"42"`` → 42; ``"²"``, ``"-1"``, ``"1e3"``, a 30-digit number or None → None."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdecimal()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None

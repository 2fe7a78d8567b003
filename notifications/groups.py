"""Channels group names, built in one place so producers and consumers agree."""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def board_group(queue_id: int) -> str:
    return f"board.{queue_id}"


def ticket_group(ticket_id: int) -> str:
    return f"ticket.{ticket_id}"


def ticket_staff_group(ticket_id: int) -> str:
    """Viewers of the ticket who work it: they also hear of internal notes."""
    return f"ticket.{ticket_id}.staff"

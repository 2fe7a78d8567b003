"""Channels group names, built in one place so producers and consumers agree."""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"

from typing import Any

from django.http import HttpRequest

from accounts.models import User


def preferences(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's theme, so the page is painted in it from the first byte."""
    user = getattr(request, "user", None)
    theme = user.theme if user is not None and user.is_authenticated else ""
    return {"account_theme": theme, "theme_choices": User.Theme.choices}

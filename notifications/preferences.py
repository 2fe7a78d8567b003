"""Who wants which event on which channel: defaults, and each person's choices."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import F

from accounts.models import User
from notifications.models import Channel, Event, NotificationPreference

# Without a saved choice: everything in the app and as push; e-mail for what is addressed
# to the person (assigned, mentioned, their sign-in paused), for deadlines and SLA breaches.
EMAIL_BY_DEFAULT = {
    Event.ASSIGNED,
    Event.MENTIONED,
    Event.OVERDUE,
    Event.SIGN_IN_PAUSED,
    Event.SLA_BREACHED,
}


def default(event: str, channel: str) -> bool:
    if channel == Channel.EMAIL:
        return event in EMAIL_BY_DEFAULT
    return True


def choices_for(user_ids: Iterable[int]) -> dict[int, dict[tuple[str, str], bool]]:
    """Saved choices of these users, ``{user_id: {(event, channel): on}}`` (one query)."""
    saved: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    rows = NotificationPreference.objects.filter(user_id__in=list(user_ids)).values_list(
        "user_id", "event", "channel", "enabled"
    )
    for user_id, event, channel, enabled in rows:
        saved[user_id][(event, channel)] = enabled
    return saved


def people_and_choices(
    user_ids: Iterable[int],
) -> tuple[dict[int, User], dict[int, dict[tuple[str, str], bool]]]:
    """The active users among ``user_ids`` and their saved choices, in one query: a LEFT
    JOIN that gives a person once per saved choice (most have none: a choice equal to the
    default is not stored)."""
    people: dict[int, User] = {}
    saved: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    rows = User.objects.filter(pk__in=list(user_ids), is_active=True).annotate(
        choice_event=F("notification_preferences__event"),
        choice_channel=F("notification_preferences__channel"),
        choice_enabled=F("notification_preferences__enabled"),
    )
    for user in rows:
        people.setdefault(user.pk, user)
        if user.choice_event is not None:
            saved[user.pk][(user.choice_event, user.choice_channel)] = user.choice_enabled
    return people, saved


def wanted(saved: dict[tuple[str, str], bool], event: str, channel: str) -> bool:
    return saved.get((event, channel), default(event, channel))


def matrix(user: User) -> list[dict]:
    """Every event with the person's choice per channel, for the profile and the API."""
    saved = choices_for([user.pk]).get(user.pk, {})
    return [
        {
            "event": event.value,
            "label": event.label,
            "channels": {channel.value: wanted(saved, event, channel) for channel in Channel},
        }
        for event in Event
    ]

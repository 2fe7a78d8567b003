""" "Test connection" (admin and ``redmine_test``): what Helpdesk can reach in Redmine."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from integrations.models import RedminePriority, RedmineProject, RedmineStatus
from integrations.redmine import client as redmine_client
from integrations.redmine.client import RedmineClient


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(client: RedmineClient | None = None) -> Report:
    """Raises ``RedmineError`` when Redmine cannot be reached or refuses the key."""
    client = client or redmine_client.get_client()
    report = Report()
    me = client.current_user()
    report.lines.append(
        _("API reachable at %(url)s; the key belongs to %(login)s%(admin)s.")
        % {
            "url": client.url,
            "login": me.get("login", me.get("id")),
            "admin": _(" (administrator)") if me.get("admin") else "",
        }
    )
    if not me.get("admin"):
        report.problems.append(
            _("The key is not an administrator's: users cannot be matched by login or e-mail.")
        )
    projects = {project["id"]: project for project in client.projects()}
    report.lines.append(_("%(count)s projects visible.") % {"count": len(projects)})
    mapped = list(RedmineProject.objects.select_related("queue"))
    if not mapped:
        report.problems.append(_("No project is mapped to a queue yet."))
    for row in mapped:
        project = projects.get(row.redmine_id)
        if project is None:
            report.problems.append(
                _("Mapped project %(id)s (%(name)s) is not visible with this key.")
                % {"id": row.redmine_id, "name": row.name or "?"}
            )
        else:
            report.lines.append(
                _("Project %(name)s ↔ queue %(queue)s (%(direction)s).")
                % {
                    "name": project["name"],
                    "queue": row.queue.name,
                    "direction": row.get_direction_display(),
                }
            )
    for remote, model, sentence in (
        (client.statuses(), RedmineStatus, _("%(done)s of %(total)s Redmine statuses mapped.")),
        (
            client.priorities(),
            RedminePriority,
            _("%(done)s of %(total)s Redmine priorities mapped."),
        ),
    ):
        known = set(model.objects.values_list("redmine_id", flat=True))
        missing = [item["name"] for item in remote if item["id"] not in known]
        report.lines.append(sentence % {"done": len(remote) - len(missing), "total": len(remote)})
        if missing:
            report.lines.append(
                _("Not mapped yet (suggested on first use): %(names)s")
                % {"names": ", ".join(missing)}
            )
    return report

"""A linked duplicate merged into an unlinked ticket hands its Redmine issue over."""

from integrations.models import RedmineLink
from tickets import services
from tickets.tests.factories import TicketFactory


def test_the_issue_follows_the_ticket_that_carries_on(queue, requester, agent):
    kept = TicketFactory(queue=queue, requester=requester, actor=requester)
    duplicate = TicketFactory(queue=queue, requester=requester, actor=requester)
    other = TicketFactory(queue=queue, requester=requester, actor=requester)
    RedmineLink.objects.create(ticket=duplicate, issue_id=501, project_id=1)
    services.ticket_merge(source=duplicate, target=kept, by=agent)
    assert RedmineLink.objects.get(issue_id=501).ticket == kept

    # Both linked: each keeps its own.
    RedmineLink.objects.create(ticket=other, issue_id=502, project_id=1)
    services.ticket_merge(source=other, target=kept, by=agent)
    assert RedmineLink.objects.get(issue_id=502).ticket == other

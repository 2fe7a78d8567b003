"""The project's test set-up, one pytest plugin per concern in ``helpdesk/testing/``:

- ``data``: the personas ``requester``, ``agent``, ``manager``, ``admin`` and the queue
  ``queue`` (HD, worked by ``agent``).
- ``settings``: ``media_root`` (a test's own upload directory), ``fake_erp`` (ERP sign-in
  against the fake ERP) and the cache cleared before every test.
- ``services``: ``redis_url`` and the summary of the tests that use real services; without
  a service such a test is skipped, under CI=true it fails (``service_unavailable``).
- ``redmine``: the real Redmine server (``redmine_server``, ``redmine_project``).
- ``dovecot``: a private Dovecot IMAP server of the session (``dovecot``).
- ``browser``: ``live_daphne`` (the app under daphne), Chromium for Playwright, its clock
  moved with ``CLOCK_AHEAD_DAYS``; browser tests run last.
- ``live_stack``: the production stack of `make stack` (nginx, two daphne, two Celery
  workers, beat) on a MariaDB database, a redis-server and an SMTP server of the test's.

Helpers that tests import (free ports, Celery pointed at Redis, channel layers) are in
``helpdesk.testing``; the fixtures of one app's tests stay in that app's ``tests/``.
"""

pytest_plugins = [
    "helpdesk.testing.data",
    "helpdesk.testing.settings",
    "helpdesk.testing.services",
    "helpdesk.testing.redmine",
    "helpdesk.testing.dovecot",
    "helpdesk.testing.browser",
    "helpdesk.testing.live_stack",
]

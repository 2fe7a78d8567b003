"""The real python-oracledb (thin mode) against a simulated listener on loopback.

What a real EBS database does to the first exchange of a connection, byte for byte
(``tns_listener``): an 11.2 database, one that requires native network encryption, and
one that accepts the connection and never answers.
"""

import io
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.erp import ERPConfigError, ERPUnavailable, OracleERPGateway, forget_gateway
from accounts.tests.tns_listener import (
    PACKET_CONNECT,
    SimulatedListener,
    answer_11_2,
    answer_nne_required,
    black_hole,
)

ROOT = Path(__file__).resolve().parents[2]
CONNECT_TIMEOUT = 1.0


@pytest.fixture
def oracle_at(settings):
    """Point the Oracle gateway at a listener; returns a function taking the listener."""

    def point(listener: SimulatedListener) -> OracleERPGateway:
        settings.ERP_GATEWAY = "accounts.erp.OracleERPGateway"
        settings.ORACLE_DSN = listener.dsn
        settings.ORACLE_USER = "XX_HELPDESK_RO"
        settings.ORACLE_PASSWORD = "service-password"
        settings.ORACLE_DRIVER_MODE = "thin"
        settings.ORACLE_CLIENT_LIB_DIR = ""
        settings.ORACLE_CONNECT_TIMEOUT = CONNECT_TIMEOUT
        settings.ORACLE_CALL_TIMEOUT = 2.0
        return OracleERPGateway()

    yield point
    forget_gateway()


def test_an_11_2_database_is_a_configuration_error_naming_thick_mode(oracle_at):
    with SimulatedListener(answer_11_2) as listener:
        gateway = oracle_at(listener)
        with pytest.raises(ERPConfigError) as raised:
            gateway.check_login("IVANOV", "secret")
        gateway.close()

    assert raised.value.code == "DPY-3010"
    message = str(raised.value)
    assert "DPY-6005" in message  # what the driver raised, around the reason
    assert "ORACLE_DRIVER_MODE=thick" in message and "Instant Client 19" in message
    (connect,) = listener.received
    assert connect[4] == PACKET_CONNECT
    assert b"SERVICE_NAME=EBSPROD" in connect or len(connect) < 300


def test_erp_check_names_the_problem_and_the_fix_for_an_11_2_database(oracle_at):
    with SimulatedListener(answer_11_2) as listener:
        oracle_at(listener)
        forget_gateway()
        with pytest.raises(CommandError) as raised:
            call_command("erp_check", stdout=io.StringIO())

    message = str(raised.value)
    assert message.startswith("ERP configuration error: ")
    assert "DPY-3010" in message and "ORACLE_DRIVER_MODE=thick" in message


def test_a_database_requiring_native_encryption_is_a_configuration_error_naming_tcps(oracle_at):
    with SimulatedListener(answer_nne_required) as listener:
        gateway = oracle_at(listener)
        with pytest.raises(ERPConfigError) as raised:
            gateway.failure_limit()
        gateway.close()

    assert raised.value.code == "DPY-3001"
    message = str(raised.value)
    assert "Native Network Encryption" in message
    assert "TCPS" in message and "ORACLE_DRIVER_MODE=thick" in message


def test_a_stalled_database_fails_in_bounded_time_without_leaving_threads(oracle_at):
    before = {thread for thread in threading.enumerate() if not thread.daemon}
    with SimulatedListener(black_hole) as listener:
        gateway = oracle_at(listener)
        started = time.monotonic()
        with pytest.raises(ERPUnavailable) as raised:
            gateway.check_login("IVANOV", "secret")
        elapsed = time.monotonic() - started
        # The pool slot stays taken while the attempt hangs; more sign-ins never pile up
        # more than the pool's size of hung attempts.
        assert gateway._pool.open_count == 1
        gateway.close()
        after = {thread for thread in threading.enumerate() if not thread.daemon}

    assert CONNECT_TIMEOUT <= elapsed < CONNECT_TIMEOUT + 3
    assert "did not complete the connection within 1 s" in str(raised.value)
    assert not after - before, "no thread may keep the process alive"
    assert len(listener.received) == 1


SCRIPT = textwrap.dedent(
    """
    import gc, time, django
    django.setup()
    from accounts.erp import ERPUnavailable, get_gateway
    gc.collect()  # a full collection of what start-up left must not land in the timing
    started = time.monotonic()
    try:
        get_gateway().check_login("IVANOV", "secret")
    except ERPUnavailable as exc:
        print("refused after %.1f s: %s" % (time.monotonic() - started, exc.__class__.__name__))
    """
)


def test_a_process_that_met_a_stalled_database_exits_promptly_and_cleanly(tmp_path):
    with SimulatedListener(black_hole) as listener:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings.test",
            "DJANGO_ENV_FILE": "",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "ORACLE_DSN": listener.dsn,
            "ORACLE_USER": "XX_HELPDESK_RO",
            "ORACLE_PASSWORD": "service-password",
            "ORACLE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        }
        env.pop("ORACLE_CLIENT_LIB_DIR", None)
        env.pop("ORACLE_DRIVER_MODE", None)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started

    assert result.returncode == 0, result.stderr
    assert "refused after 1.0 s: ERPUnavailable" in result.stdout
    assert "Traceback" not in result.stderr and "Exception in thread" not in result.stderr
    # Django's start-up plus the connect timeout; the peer never hung up.
    assert elapsed < 15, f"the process took {elapsed:.1f} s to exit"

"""The shipped nginx config (docker/nginx/helpdesk.conf.template) loads on this machine's
nginx (Debian 12's 1.22 in CI) as `make stack` renders it, and compose fills in every
variable it has."""

import re
from pathlib import Path

import pytest
import yaml

from helpdesk.testing import service_unavailable
from helpdesk.testing.live_stack import supervisor

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def nginx():
    if supervisor().which("nginx") is None:
        service_unavailable("nginx", "not installed (apt-get install nginx)")
    return supervisor()


def compose_values() -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker" / "compose.yml").read_text())
    service = compose["services"]["nginx"]
    assert any(
        volume.startswith("./nginx/helpdesk.conf.template:/etc/nginx/templates/default.conf")
        for volume in service["volumes"]
    ), "compose mounts the one template (the image's envsubst renders it)"
    return {name: str(value) for name, value in service["environment"].items()}


def test_the_local_stack_config_passes_nginx_t(nginx, tmp_path):
    ports = nginx.Ports(http=18401, https=18402, daphne=(18411, 18412))

    main = nginx.nginx_prepare(ports, tmp_path)
    checked = nginx.nginx_check(main)

    assert checked.returncode == 0, checked.stderr
    lines = (tmp_path / "helpdesk.conf").read_text().splitlines()
    site = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert "server 127.0.0.1:18411; server 127.0.0.1:18412;" in site
    assert "/var/cache/nginx" not in site and "${" not in site


def test_compose_sets_every_variable_and_its_config_loads(nginx, tmp_path):
    template = nginx.TEMPLATE.read_text()
    values = compose_values()
    assert set(re.findall(r"\$\{(HELPDESK_[A-Z_]+)\}", template)) == set(values)
    # The image's paths and the upstream host "web" exist only in compose: here, ours.
    local = nginx.nginx_values(nginx.Ports(), tmp_path)
    values.update(
        HELPDESK_UPSTREAM_SERVERS="server 127.0.0.1:8000;",
        HELPDESK_CACHE_DIR=local["HELPDESK_CACHE_DIR"],
        HELPDESK_CERT_DIR=local["HELPDESK_CERT_DIR"],
        HELPDESK_HTTP_LISTEN="127.0.0.1:18401",  # no binding happens under -t, but clear
        HELPDESK_HTTPS_LISTEN="127.0.0.1:18402",
    )
    main = nginx.nginx_prepare(nginx.Ports(), tmp_path)
    (tmp_path / "helpdesk.conf").write_text(nginx.render_template(template, values))

    checked = nginx.nginx_check(main)

    assert checked.returncode == 0, checked.stderr


def test_a_variable_without_a_value_is_refused(nginx):
    with pytest.raises(ValueError, match="HELPDESK_CERT_DIR"):
        nginx.render_template("ssl_certificate ${HELPDESK_CERT_DIR}/x; $host", {})
    assert nginx.render_template("a ${HELPDESK_X} $host", {"HELPDESK_X": ""}) == "a  $host"

"""docker-compose.yml cannot be run here (no Docker engine); check it refers to real entry points."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else shlex.join(command)


def test_compose_has_the_five_services_with_healthchecks():
    services = _compose()["services"]

    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"


def test_postgres_keeps_its_data_in_a_named_volume():
    compose = _compose()

    volumes = compose["services"]["postgres"]["volumes"]

    assert any(v.startswith("pgdata:") for v in volumes)
    assert "pgdata" in compose["volumes"]


def test_web_migrates_first_then_serves_the_real_wsgi_module():
    command = _command(_compose()["services"]["web"])

    assert command.index("migrate") < command.index("gunicorn")
    module = re.search(r"gunicorn .*?(\S+\.wsgi)", command).group(1)
    assert hasattr(importlib.import_module(module), "application")
    config = re.search(r"--config (\S+)", command).group(1)
    assert (ROOT / config).is_file()


def test_worker_and_beat_use_the_real_celery_app():
    services = _compose()["services"]

    for name, role in (("worker", "worker"), ("beat", "beat")):
        command = _command(services[name])
        assert f"celery -A config {role}" in command
    assert importlib.import_module("config").celery_app.main == "volna"


def test_every_app_service_gets_the_required_settings_from_the_environment():
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        for key in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "VOLNA_TOKEN_KEY"):
            assert key in environment, f"{name} lacks {key}"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_production_setting_of_the_readme_reaches_the_app_containers():
    block = re.search(
        r"<!-- production-settings -->\n```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S
    )
    names = {line.split("=", 1)[0] for line in block.group(1).splitlines() if "=" in line and line[0] != "#"}
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        missing = names - set(services[name]["environment"])
        assert not missing, f"{name} does not pass {sorted(missing)} from .env"


def test_image_installs_the_runtime_requirements_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    requirements = (ROOT / "requirements.txt").read_text()

    assert "pip install -r requirements.txt" in dockerfile
    assert "gunicorn" in requirements
    assert '"config.wsgi"' in dockerfile


def test_gunicorn_access_log_has_no_client_address_or_query_string():
    namespace: dict = {}
    exec((ROOT / "config" / "gunicorn.py").read_text(), namespace)  # our own config file

    log_format = namespace["access_log_format"]

    for atom in ("%(h)s", "%(r)s", "%(q)s", "%(a)s", "%(f)s", "%({x-forwarded-for}i)s"):
        assert atom not in log_format


def test_access_log_cuts_invitation_tokens_out_of_paths():
    from config.gunicorn_logging import redact_path

    assert redact_path("/i/AbCdEf0123456789xyzABC/") == "/i/…/"
    assert redact_path("/s/wave-slug/page/") == "/s/wave-slug/page/"

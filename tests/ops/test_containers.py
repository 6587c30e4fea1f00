"""The Dockerfile and compose.yaml, checked as far as a machine without a Docker engine can:
every command exists, every variable is read by the project, ports and health checks agree,
and each service has a health check and a restart policy that fit what it runs."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
MARQUEE = {name: service for name, service in SERVICES.items() if service.get("build") == "."}
LONG_RUNNING = {"web", "live", "worker", "beat"}
# Set for Python and pip themselves, not the project.
INTERPRETER_VARIABLES = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR"}


def dockerfile() -> str:
    # Continuation lines joined, so each instruction is one line.
    return (ROOT / "Dockerfile").read_text().replace("\\\n", " ")


def instruction(name: str) -> str:
    (line,) = [line for line in dockerfile().splitlines() if line.startswith(f"{name} ")]
    return line.removeprefix(f"{name} ").strip()


def dockerfile_env() -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", instruction("ENV")))


def project_source() -> str:
    files = [*ROOT.glob("config/**/*.py"), *ROOT.glob("marquee/**/*.py"), ROOT / "manage.py"]
    return "\n".join(path.read_text() for path in files)


def test_the_services_are_the_documented_processes():
    assert set(MARQUEE) == {"init", "web", "live", "worker", "beat"}
    assert MARQUEE["web"]["command"] == json.loads(instruction("CMD"))


@pytest.mark.parametrize("name", sorted(MARQUEE))
def test_every_command_exists(name):
    program, *args = MARQUEE[name]["command"]
    if program == "python":
        assert args[0] == "manage.py"
        assert args[1] in get_commands(), f"no manage.py command {args[1]}"
    elif program == "gunicorn":
        config, module = args[args.index("-c") + 1], args[-1]
        assert (ROOT / config).is_file()
        assert f"{module}.application" == settings.WSGI_APPLICATION
    elif program == "uvicorn":
        module, attribute = args[0].split(":")
        assert (module, attribute) == ("config.asgi", "application")
        assert (ROOT / "config" / "asgi.py").is_file()
    elif program == "celery":
        assert args[:2] == ["-A", "config"] and (ROOT / "config" / "celery.py").is_file()
        assert args[2] in {"worker", "beat"}
        if args[2] == "worker":
            assert f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}" in args
    else:
        pytest.fail(f"{name} runs {program}, which the image does not document")


@pytest.mark.parametrize(
    ("target", "service"), [("serve", "web"), *[(n, n) for n in ("live", "worker", "beat")]]
)
def test_the_makefile_runs_what_compose_runs_with_the_production_profile(target, service):
    result = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True
    )
    (line,) = [
        line
        for line in result.stdout.splitlines()
        if MARQUEE[service]["command"][0] in line and "collectstatic" not in line
    ]
    assert line.startswith("DJANGO_SETTINGS_MODULE=config.production ")
    assert line.endswith(" ".join(MARQUEE[service]["command"][1:]))
    assert "--schedule" not in line  # beat's schedule file is in STATE_DIR (settings)


def test_every_variable_is_read_by_the_project():
    source = project_source()
    variables = set(dockerfile_env()) - INTERPRETER_VARIABLES
    for service in MARQUEE.values():
        variables |= set(service["environment"])
    unread = sorted(name for name in variables if not re.search(rf"[\"']{name}[\"']", source))
    assert unread == []


def test_ports_and_the_web_health_check_agree():
    port = dockerfile_env()["PORT"]
    assert instruction("EXPOSE") == port
    assert MARQUEE["web"]["ports"] == [f"{port}:{port}"]
    assert "os.environ.get('PORT', '8000')" in instruction("HEALTHCHECK")
    assert port == "8000"
    assert "'PORT', '8000'" in (ROOT / "config" / "gunicorn.conf.py").read_text().replace('"', "'")
    # The image's check and compose's are the same command.
    image_check = instruction("HEALTHCHECK").split("CMD ", 1)[1]
    assert json.loads(image_check) == MARQUEE["web"]["healthcheck"]["test"][1:]
    assert "/healthz" in image_check


def test_each_service_has_a_health_check_that_fits_what_it_runs():
    assert MARQUEE["worker"]["healthcheck"]["test"] == [
        "CMD-SHELL",
        "celery -A config inspect ping -d celery@$$HOSTNAME --timeout 10",
    ]
    assert MARQUEE["beat"]["healthcheck"]["test"] == [
        "CMD-SHELL",
        "celery -A config inspect ping -d celerybeat@$$HOSTNAME --timeout 10",
    ]
    assert MARQUEE["init"]["healthcheck"] == {"disable": True}  # a one-shot serves nothing
    live_port = MARQUEE["live"]["command"][MARQUEE["live"]["command"].index("--port") + 1]
    assert MARQUEE["live"]["ports"] == [f"{live_port}:{live_port}"]
    assert f"127.0.0.1:{live_port}/healthz" in MARQUEE["live"]["healthcheck"]["test"][-1]
    for name in ("db", "redis"):
        assert "test" in SERVICES[name]["healthcheck"]


def test_long_running_services_restart_and_the_one_shot_does_not():
    for name, service in SERVICES.items():
        expected = "no" if name == "init" else "unless-stopped"
        assert service["restart"] == expected, name
    for name in LONG_RUNNING:
        assert MARQUEE[name]["depends_on"] == {
            "init": {"condition": "service_completed_successfully"}
        }


def test_posters_and_beats_schedule_have_a_writable_place():
    media_root, state_dir = dockerfile_env()["MEDIA_ROOT"], dockerfile_env()["STATE_DIR"]
    assert f"chown marquee:marquee {media_root} {state_dir}" in dockerfile()
    assert MARQUEE["web"]["volumes"] == [f"media:{media_root}"]
    assert "media" in COMPOSE["volumes"]


def test_the_first_admin_and_demo_data_are_asked_of_init_only():
    for name in ("DJANGO_SUPERUSER_USERNAME", "DJANGO_SUPERUSER_PASSWORD", "SEED_DEMO"):
        assert name in MARQUEE["init"]["environment"]
        assert all(name not in MARQUEE[other]["environment"] for other in LONG_RUNNING)
    assert MARQUEE["init"]["environment"]["SEED_DEMO"] == "${SEED_DEMO:-false}"


@pytest.mark.django_db(transaction=True)
def test_the_web_health_check_passes_against_a_running_server(live_server, monkeypatch):
    port = live_server.url.rsplit(":", 1)[1]
    _, *command = MARQUEE["web"]["healthcheck"]["test"]
    assert command[0] == "python"
    result = subprocess.run(
        [sys.executable, *command[1:]],
        env={"PORT": port},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr

"""Settings from the environment, the Celery wiring, static assets, the compose file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _settings_probe(env_overrides: dict, expr: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (
        "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "SECRET_KEY", "KPIBOARD_ENV", "CACHE_URL")}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "kpiboard.settings"
    code = f"import django; django.setup(); from django.conf import settings as s; print({expr})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def test_sqlite_default_and_eager_celery_without_environment():
    out = _settings_probe({}, "s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.TIME_ZONE")
    assert out.returncode == 0, out.stderr
    assert "sqlite3" in out.stdout and "True" in out.stdout and "Asia/Shanghai" in out.stdout


def test_postgresql_from_database_url():
    out = _settings_probe({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kpiboard"},
                          "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']")
    assert out.returncode == 0, out.stderr
    assert "postgresql" in out.stdout and "kpiboard" in out.stdout


def test_broker_turns_off_eager_mode():
    out = _settings_probe({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False redis://127.0.0.1:6379/3"


def test_production_rejects_missing_secret_key():
    out = _settings_probe({"KPIBOARD_ENV": "production"}, "s.SECRET_KEY")
    assert out.returncode != 0
    assert "SECRET_KEY must be set" in out.stderr


PRODUCTION_ENV = {
    "KPIBOARD_ENV": "production",
    "SECRET_KEY": "k" * 20 + "-production-secret-with-enough-entropy-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/kpiboard",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "kpiboard.example.com",
}


def test_production_requires_postgresql_and_broker():
    out = _settings_probe({**PRODUCTION_ENV, "DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "1")
    assert out.returncode != 0 and "PostgreSQL" in out.stderr
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "REDIS_URL"}
    out = _settings_probe(env, "1")
    assert out.returncode != 0 and "CELERY_BROKER_URL" in out.stderr


def test_check_deploy_has_no_warnings():
    # DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it for their own process; a deployment never has it.
    unset = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(PRODUCTION_ENV)
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_eager_task_runs_in_process(settings):
    from django.core.cache import cache

    from kpiboard.tasks import ping

    ping.delay("eager-1")
    assert cache.get("kpiboard:ping:eager-1")


@pytest.mark.celery_worker
def test_task_runs_on_a_real_worker(celery_worker_process):
    """Broker → worker → shared cache: the worker answers a ping the test sent through Redis."""
    import time
    import uuid

    from django.core.cache import cache

    from kpiboard.tasks import ping

    token = uuid.uuid4().hex
    ping.delay(token)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not cache.get(f"kpiboard:ping:{token}"):
        time.sleep(0.2)
    assert cache.get(f"kpiboard:ping:{token}"), "the worker never answered"


def test_plotly_js_is_served_from_the_installed_package(client):
    from django.contrib.staticfiles import finders

    path = finders.find("vendor/plotly.min.js")
    assert path and path.endswith("package_data/plotly.min.js")
    response = client.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200


def test_compose_file_names_every_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    for name in ("web", "postgres", "redis", "worker"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "gunicorn" in " ".join(services["web"]["command"]) if isinstance(services["web"]["command"], list) \
        else "gunicorn" in services["web"]["command"]
    assert (ROOT / "Dockerfile").exists()
    assert "fonts-noto-cjk" in (ROOT / "Dockerfile").read_text()

"""The suite never flushes the Redis database a dev server uses: it works on one of its own."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.redis_db import redis_database, suite_redis_url, with_database
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/8"),
        ("redis://127.0.0.1:6379/7", "redis://127.0.0.1:6379/15"),
        ("redis://127.0.0.1:6379/12", "redis://127.0.0.1:6379/4"),
        ("redis://:secret@cache:6380", "redis://:secret@cache:6380/8"),
        ("unix:///run/redis.sock?db=3", "unix:///run/redis.sock?db=11"),
        ("", "redis://127.0.0.1:6379/8"),
    ],
)
def test_the_suite_derives_a_database_of_its_own(configured, expected, monkeypatch):
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    assert suite_redis_url(configured) == expected
    if configured:
        assert redis_database(expected) != redis_database(configured)


def test_an_explicit_test_database_equal_to_the_configured_one_is_refused(monkeypatch):
    monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    with pytest.raises(ValueError, match="of their own"):
        suite_redis_url("redis://127.0.0.1:6379/3")
    assert suite_redis_url("redis://127.0.0.1:6379/4") == "redis://127.0.0.1:6379/3"


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of this test's own, so nobody else's data is at stake."""
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed, and CI needs it.")
        pytest.skip("needs redis-server")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/3"
    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the test's own redis-server did not start")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_a_test_run_keeps_the_configured_database_and_flushes_its_own(own_redis, tmp_path):
    configured = redis.Redis.from_url(own_redis)
    own = redis.Redis.from_url(with_database(own_redis, 11))
    configured.set("dev-server:queued-task", "keep me")
    own.set("left-by-an-earlier-run", "1")
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "TEST_REDIS_URL",
            "MARQUEE_REQUIRE_POSTGRES",
            "MARQUEE_REQUIRE_MYSQL",
            "DATABASE_URL",
        }
    }
    env.update(
        REDIS_URL=own_redis,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SQLITE_TEST_NAME=str(tmp_path / "test-db.sqlite3"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--nomigrations",
            "tests/ops/test_health_and_logs.py::test_healthz_answers_while_the_process_lives",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    # CI's log says which database the tests used.
    assert f"redis: the tests use {with_database(own_redis, 11)}" in output
    assert configured.get("dev-server:queued-task") == b"keep me"
    assert own.get("left-by-an-earlier-run") is None

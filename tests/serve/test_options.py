"""Service options from the environment: the token, the allow-lists, the bounds, and what refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_threads.errors import ConfigError
from agent_threads.serve import load_options
from agent_threads.serve.options import LOOPBACK_HOSTS, LOOPBACK_ORIGINS

from .conftest import TOKEN


def test_the_token_comes_from_the_environment_or_a_file_without_its_newline(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    from_env = load_options({"AGENT_THREADS_HTTP_TOKEN": TOKEN}, host="127.0.0.1", port=1)
    from_file = load_options({"AGENT_THREADS_HTTP_TOKEN_FILE": str(token_file)}, host="127.0.0.1", port=1)
    assert from_env.token == from_file.token == TOKEN
    assert TOKEN not in repr(from_env)


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"AGENT_THREADS_HTTP_TOKEN": "short-token"}, "shorter than 16"),
        ({"AGENT_THREADS_HTTP_TOKEN": "has a space in it somewhere"}, "cannot carry"),
        ({"AGENT_THREADS_HTTP_TOKEN": TOKEN, "AGENT_THREADS_HTTP_TOKEN_FILE": "/x"}, "not both"),
        ({"AGENT_THREADS_HTTP_TOKEN_FILE": "/nonexistent/token"}, "Cannot read"),
    ],
)
def test_a_bad_token_setting_is_refused_without_echoing_the_token(env: dict[str, str], said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_options(env, host="127.0.0.1", port=1)
    message = refused.value.for_model()
    assert said in message
    assert all(value not in message for key, value in env.items() if key == "AGENT_THREADS_HTTP_TOKEN")


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "threads.internal"])
def test_a_non_loopback_address_without_a_token_refuses_to_start(host: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_options({}, host=host, port=1)
    assert "AGENT_THREADS_HTTP_TOKEN" in refused.value.for_model()
    assert "--allow-unauthenticated" in refused.value.for_model()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    assert load_options({}, host=host, port=1).token is None


def test_allow_unauthenticated_lets_a_non_loopback_address_start_without_a_token() -> None:
    assert load_options({}, host="0.0.0.0", port=1, allow_unauthenticated=True).token is None


def test_by_default_only_loopback_names_and_a_concrete_bind_address_are_allowed() -> None:
    assert load_options({}, host="127.0.0.1", port=1).allowed_hosts == (*LOOPBACK_HOSTS, "127.0.0.1")
    assert load_options({"AGENT_THREADS_HTTP_TOKEN": TOKEN}, host="0.0.0.0", port=1).allowed_hosts == LOOPBACK_HOSTS
    assert load_options({"AGENT_THREADS_HTTP_TOKEN": TOKEN}, host="10.0.0.5", port=1).allowed_hosts[-1] == "10.0.0.5"
    assert load_options({}, host="::1", port=1).allowed_hosts[-1] == "[::1]"
    assert load_options({}, host="127.0.0.1", port=1).allowed_origins == LOOPBACK_ORIGINS


def test_allow_lists_replace_the_defaults_and_a_star_allows_everything() -> None:
    env = {"AGENT_THREADS_ALLOWED_HOSTS": " Threads.Example.com , threads:8443", "AGENT_THREADS_ALLOWED_ORIGINS": "*"}
    options = load_options(env, host="127.0.0.1", port=1)
    assert options.allowed_hosts == ("threads.example.com", "threads:8443")
    assert options.allowed_origins == ("*",)
    widened = load_options({"AGENT_THREADS_ALLOWED_HOSTS": "a.test,*"}, host="127.0.0.1", port=1)
    assert widened.allowed_hosts == ("*",)


def test_the_bounds_have_defaults_and_take_numbers() -> None:
    default = load_options({}, host="127.0.0.1", port=1)
    assert (default.drain_timeout, default.max_streams, default.idle_stream_timeout) == (20.0, 32, 60.0)
    env = {
        "AGENT_THREADS_HTTP_DRAIN_TIMEOUT": "0",
        "AGENT_THREADS_HTTP_MAX_STREAMS": "4",
        "AGENT_THREADS_HTTP_IDLE_STREAM_TIMEOUT": "2.5",
    }
    tuned = load_options(env, host="127.0.0.1", port=1)
    assert (tuned.drain_timeout, tuned.max_streams, tuned.idle_stream_timeout) == (0.0, 4, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AGENT_THREADS_HTTP_DRAIN_TIMEOUT", "-1"),
        ("AGENT_THREADS_HTTP_DRAIN_TIMEOUT", "nan"),
        ("AGENT_THREADS_HTTP_IDLE_STREAM_TIMEOUT", "0"),
        ("AGENT_THREADS_HTTP_IDLE_STREAM_TIMEOUT", "inf"),
        ("AGENT_THREADS_HTTP_MAX_STREAMS", "-3"),
        ("AGENT_THREADS_HTTP_MAX_STREAMS", "many"),
    ],
)
def test_a_bad_bound_is_a_one_line_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_options({name: value}, host="127.0.0.1", port=1)
    assert name in refused.value.for_model() and "\n" not in refused.value.for_model()

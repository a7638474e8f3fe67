"""Settings: the store URL is a secret (a PostgreSQL URL can carry a password)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from streaming.broker import free_port
from streaming.children import settings_env
from streaming.cli import main
from streaming.settings import Settings
from streaming.store import open_store, redacted

SECRET = "s3cret"
URL = f"postgresql://user:{SECRET}@host/db"


def test_the_store_url_s_password_shows_nowhere_in_the_settings():
    settings = Settings(store_url=URL)
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert SECRET not in text
    assert settings.store_url.get_secret_value() == URL
    assert redacted(settings.store_url) == "postgresql://user:***@host/db"
    with pytest.raises(ValidationError) as frozen:
        settings.store_url = "sqlite:///x.db"  # type: ignore[misc,assignment]
    assert SECRET not in str(frozen.value)
    # a rule between settings fails with every input in hand: its text shows none of them
    with pytest.raises(ValidationError) as caught:
        Settings(warm_threshold=0.9, store_url=URL)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)


def test_the_store_url_s_checks_keep_working(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CALLHEAT_STORE_URL", raising=False)
    monkeypatch.setenv("CALLHEAT_DATA_DIR", str(tmp_path))
    assert Settings().store_url.get_secret_value() == f"sqlite:///{tmp_path / 'callheat.db'}"
    with pytest.raises(ValidationError, match="expected sqlite:///PATH"):
        Settings(store_url="sqlite:/// ")
    # an unsupported scheme is refused when the store is opened, its password hidden
    port = str(free_port())
    assert main(["dashboard", "--port", port, "--store-url", f"mysql://user:{SECRET}@host/db"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "callheat: error: unsupported store URL 'mysql://user:***@host/db': use " \
        "sqlite:///PATH or postgresql://...\n" and SECRET not in captured.out


def test_a_store_url_with_a_password_opens_the_store_and_reaches_the_children(postgres, monkeypatch,
                                                                               capsys, caplog):  # fmt: skip
    url = postgres.new_database().replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@", 1)
    assert f":{SECRET}@" in url  # the server trusts local connections: a password is taken, not checked
    settings = Settings(store_url=url)
    store = open_store(settings.store_url)
    try:
        assert store.live_calls() == []
    finally:
        store.close()
    # `callheat run` hands its children the URL itself, not its mask
    env = settings_env(settings)
    assert env["CALLHEAT_STORE_URL"] == url
    monkeypatch.setenv("CALLHEAT_STORE_URL", env["CALLHEAT_STORE_URL"])
    assert Settings().store_url.get_secret_value() == url
    # a command that opens it says where, without the password
    with caplog.at_level("DEBUG"):
        assert main(["simulate", "--history-days", "1", "--calls-per-day", "20", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"filling {redacted(url)} with 1 day of past") and SECRET not in out + caplog.text

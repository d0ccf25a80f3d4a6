"""Configuration from defaults, the environment and the test mapping."""

from pathlib import Path

import pytest

from sociale_kaart import config


def test_defaults_keep_data_under_instance(tmp_path):
    settings = config.defaults(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'sociale_kaart.db'}"
    assert settings["SEARCH_DIR"] == str(tmp_path / "search-index")


def test_environment_overrides_and_empty_values():
    settings = config.from_environment(
        {
            "SOCIALE_KAART_DATABASE_URL": "postgresql+psycopg://db/x",
            "SOCIALE_KAART_SEARCH_DIR": "",  # empty: keep the default
            "SOCIALE_KAART_MAP_TILE_URL": "",  # empty: no background tiles
        }
    )
    assert settings == {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/x", "MAP_TILE_URL": ""}


def test_development_key_is_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_SECRET_KEY", raising=False)
    first = config.load(tmp_path)["SECRET_KEY"]
    assert len(first) == 64 and config.load(tmp_path)["SECRET_KEY"] == first
    assert (Path(tmp_path) / "secret_key").stat().st_mode & 0o077 == 0


def test_matching_weights_come_from_the_environment():
    settings = config.from_environment({"SOCIALE_KAART_MATCHING_WEIGHTS": "distance=50, availability=50"})
    assert settings["MATCHING_WEIGHTS"] == {
        "distance": 50,
        "availability": 50,
        "continuity": 0,
        "fairness": 0,
        "skills": 0,
        "language": 0,
    }


@pytest.mark.parametrize("text", ["afstand=30", "distance=veel", "distance=0"])
def test_matching_weights_refuse_unknown_names_and_nothing(text):
    with pytest.raises(ValueError):
        config.from_environment({"SOCIALE_KAART_MATCHING_WEIGHTS": text})


def test_search_log_months_default_to_twelve_and_come_from_the_environment(tmp_path):
    assert config.defaults(tmp_path)["SEARCH_LOG_MONTHS"] == 12
    assert config.from_environment({"SOCIALE_KAART_SEARCH_LOG_MONTHS": "6"}) == {"SEARCH_LOG_MONTHS": 6}


def test_session_and_proxy_settings_default_and_come_from_the_environment(tmp_path):
    settings = config.defaults(tmp_path)
    assert (settings["STAFF_IDLE_MINUTES"], settings["STAFF_SESSION_HOURS"], settings["TRUSTED_PROXIES"]) == (
        120,
        12,
        0,
    )
    assert config.from_environment(
        {
            "SOCIALE_KAART_STAFF_IDLE_MINUTES": "30",
            "SOCIALE_KAART_STAFF_SESSION_HOURS": "8",
            "SOCIALE_KAART_TRUSTED_PROXIES": "1",
        }
    ) == {"STAFF_IDLE_MINUTES": 30, "STAFF_SESSION_HOURS": 8, "TRUSTED_PROXIES": 1}

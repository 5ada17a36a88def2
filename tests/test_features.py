"""Feature hooks are declared: a misspelt or misshapen hook fails loudly, blueprints come from create_app."""

from __future__ import annotations

import sys
import types

import pytest

from classbox import features
from classbox.features import hook


def test_a_misspelt_hook_fails_at_import():
    with pytest.raises(TypeError, match="init_ap is not a feature hook"):
        @hook
        def init_ap(app):
            """Would never be called: the name is not a hook."""


def test_a_hook_with_other_parameters_fails_at_import():
    with pytest.raises(TypeError, match=r"agent_services\(\): the hook takes \(config\)"):
        @hook
        def agent_services():
            """Would be called with the config and crash in the agent."""


def test_an_undeclared_hook_in_a_feature_is_refused_when_features_load(monkeypatch):
    module = types.ModuleType("classbox_fake_feature")
    module.init_app = lambda app: None
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(features, "FEATURES", [*features.FEATURES, module.__name__])
    with pytest.raises(TypeError, match="classbox_fake_feature.init_app: declare the hook"):
        features.hooks("init_app")


def test_an_unknown_hook_name_is_an_error():
    with pytest.raises(KeyError):
        features.hooks("init_ap")


def test_every_feature_loads_and_create_app_registers_their_blueprints(app):
    declared = {bp.name for make in features.hooks("blueprints") for bp in make()}
    assert {"auth", "classroom_admin", "library", "zim", "classroom", "discovery", "health", "sync"} <= declared
    assert set(app.blueprints) == declared | {"i18n", "pwa"}

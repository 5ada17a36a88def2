"""The feature list and the typed hooks each feature provides.

A feature package (classbox/<feature>/__init__.py) may hold `migrations` (a sqlite-utils
Migrations set named "classbox.<feature>") and any hook of `FeatureHooks`, each declared with
`@hook` (in the package, or in one of its modules and imported by the package, as the privacy
hooks are): a misspelt name or a wrong signature fails at import, and a hook-named function left
undeclared fails when the features are loaded.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar

if TYPE_CHECKING:  # the agent imports this module without Flask
    import click
    import sqlite_utils
    from flask import Blueprint, Flask
    from sqlite_utils.migrations import Migrations

    from classbox.config import Config
    from classbox.runtime.agent import AgentService

# The agent starts its services in this order: discovery before sync, whose start imports an
# HTTP client, so that mDNS answers soon after start (≤ 2 s).
FEATURES = [
    "classbox.auth",
    "classbox.library",
    "classbox.classroom",
    "classbox.lessons",
    "classbox.classes",
    "classbox.discovery",
    "classbox.sync",
    "classbox.health",
    "classbox.privacy",
]

F = TypeVar("F", bound=Callable[..., Any])


class FeatureHooks(Protocol):
    """What a feature package may offer (every hook is optional)."""

    def blueprints(self) -> list[Blueprint]:
        """The feature's pages, registered by create_app."""

    def init_app(self, app: Flask) -> None:
        """Socket.IO handlers, admin panels, services kept in app.extensions."""

    def cli_commands(self) -> list[click.Command]:
        """Click commands or groups added to `classbox`."""

    def agent_services(self, config: Config) -> list[AgentService]:
        """Long-running services of `classbox agent` (see classbox.runtime.agent)."""

    def privacy_export(self, db: sqlite_utils.Database, pupil_id: str) -> dict:
        """What the feature keeps about one pupil (see classbox.privacy)."""

    def privacy_erase(self, db: sqlite_utils.Database, pupil_id: str) -> int:
        """Erase what the feature keeps about one pupil; the number of records removed."""

    def open_sessions(self, db: sqlite_utils.Database, user: dict) -> list[dict[str, str]]:
        """Open class sessions `user` may show on the connect page: [{code, title}], newest first."""

    def offline_urls(self) -> list[str]:
        """Immutable URLs of the feature the pupil shell (service worker) keeps on the device."""

    def account_revoked(self, user_id: int) -> None:
        """Every cookie of this teacher's or admin's account was just revoked (logout, password
        change, disabled): end what they opened in this process (live sockets), in the app context."""


HOOKS = {name: fn for name, fn in vars(FeatureHooks).items() if inspect.isfunction(fn)}


def _parameters(fn: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(fn).parameters)


def hook(fn: F) -> F:
    """Declare a feature hook; raises TypeError at import if `FeatureHooks` has no such hook."""
    spec = HOOKS.get(fn.__name__)
    if spec is None:
        raise TypeError(f"{fn.__module__}.{fn.__name__} is not a feature hook (known: {', '.join(sorted(HOOKS))})")
    if _parameters(fn) != _parameters(spec)[1:]:
        raise TypeError(f"{fn.__module__}.{fn.__name__}{inspect.signature(fn)}: the hook takes "
                        f"({', '.join(_parameters(spec)[1:])})")
    fn.__classbox_hook__ = True  # type: ignore[attr-defined]
    return fn


def _checked(module: ModuleType) -> ModuleType:
    """The module, once every hook-named function in it is known to be declared with @hook."""
    for name in HOOKS:
        found = module.__dict__.get(name)
        if found is not None and not getattr(found, "__classbox_hook__", False):
            raise TypeError(f"{module.__name__}.{name}: declare the hook with @classbox.features.hook")
    return module


def feature_modules() -> list[ModuleType]:
    """Import every feature package (each checked)."""
    return [_checked(importlib.import_module(name)) for name in FEATURES]


def hooks(name: str) -> list[Callable[..., Any]]:
    """Every feature's hook called `name`, in feature order."""
    return [fn for _feature, fn in named_hooks(name)]


def named_hooks(name: str) -> list[tuple[str, Callable[..., Any]]]:
    """(feature name, hook) for every feature offering `name`, in feature order."""
    if name not in HOOKS:
        raise KeyError(f"{name} is not a feature hook")
    return [(module.__name__.rsplit(".", 1)[-1], module.__dict__[name])
            for module in feature_modules() if name in module.__dict__]


def migration_sets() -> list[Migrations]:
    """Storage's own migration set, then every feature's, in application order."""
    from classbox.storage.core import migrations

    return [migrations, *(m.migrations for m in feature_modules() if getattr(m, "migrations", None) is not None)]

"""The one place a mail backend is built, from the inventory's settings.

Every module and every test asks for its backend here, with the settings the inventory
gives the module (``state_dir``, ``domain``, and for the Postfix + Dovecot backend
``postmap``, ``postfix_config_dir``, ``map_type``, ``dovecot_config``); a setting left out
or None keeps the backend's default. A ``snapshot_file`` parameter instead names a
snapshot of the live state: its backend reads only (a merge request's plan, computed
without the mail host).
"""

from __future__ import annotations

from .base import MailBackend
from .postfix_dovecot import PostfixDovecotBackend
from .snapshot import SnapshotBackend

SETTINGS = ("postmap", "postfix_config_dir", "map_type", "dovecot_config")


def backend_from_settings(state_dir: str, domain: str, **settings) -> MailBackend:
    """The server's backend; ``settings`` among SETTINGS (another name is a TypeError)."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise TypeError(f"unknown backend settings: {', '.join(unknown)}")
    given = {name: value for name, value in settings.items() if value is not None}
    return PostfixDovecotBackend(state_dir, domain, **given)


def backend_from_params(params: dict) -> MailBackend:
    """The backend a module's parameters name: state_dir, domain and the SETTINGS it has,
    or the snapshot ``snapshot_file`` names."""
    if params.get("snapshot_file"):
        return SnapshotBackend(params["snapshot_file"], params["domain"])
    return backend_from_settings(params["state_dir"], params["domain"],
                                 **{name: params.get(name) for name in SETTINGS})

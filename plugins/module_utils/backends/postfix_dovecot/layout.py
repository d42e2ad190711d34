"""Where the Postfix + Dovecot backend's files are, and how an address is written in them.

Everything lives under ``state_dir`` (docs/architecture.md): the served files in the
generations of ``data/`` (``data/live`` -> ``data/gen/<n>``), the mail in
``mail/<domain>/<local>``.
"""

from __future__ import annotations

import os

from ..generations import STAGING, Generations

MAPS = ("vmailbox", "valias", "recipient_access", "sender_logins")
# What read.load() reads (its cache is valid while none of them changed).
LOADED_FILES = ("accounts.json", "users.passwd", "valias", "deny.passwd", "recipient_access",
                "acl")
# must-change.passwd: the active accounts still on the password they were issued (Điều 12.1),
# whose right password Dovecot refuses with HYM060 (roles/mailserver/templates/dovecot.conf.j2).
FILES = ("users.passwd", "deny.passwd", "must-change.passwd", "delivery.passwd", *MAPS, "acl",
         "shared-mailboxes.dict", "accounts.json")
MAP_SUFFIXES = {"hash": ".db", "btree": ".db", "lmdb": ".lmdb", "cdb": ".cdb"}
STAGING_NEXT = f"{STAGING}next"


class Layout:
    """The paths of one server, its postmap settings, and its domain's addresses."""

    def __init__(self, state_dir: str, domain: str, postmap: str = "postmap",
                 postfix_config_dir: str | None = None, map_type: str = "hash",
                 dovecot_config: str | None = None):
        self.state_dir = os.path.abspath(state_dir)  # homes in the passwd-file are absolute
        self.domain = domain.lower()
        self.data_dir = os.path.join(self.state_dir, "data")
        self.mail_dir = os.path.join(self.state_dir, "mail", self.domain)
        self.postmap = postmap
        embedded = os.path.join(self.state_dir, "etc", "postfix")
        self.postfix_config_dir = postfix_config_dir or embedded
        # doveadm's configuration: the embedded server's beside its Postfix one; in systemd
        # mode (Postfix in /etc/postfix) "" = Dovecot's default, /etc/dovecot/dovecot.conf.
        if dovecot_config is None:
            dovecot_config = (os.path.join(self.state_dir, "etc", "dovecot", "dovecot.conf")
                              if os.path.abspath(self.postfix_config_dir) == embedded else "")
        self.dovecot_config = dovecot_config
        self.map_type = map_type
        self.generations = Generations(self.data_dir)

    @property
    def db(self) -> str:
        """The suffix postmap gives an indexed map."""
        return MAP_SUFFIXES.get(self.map_type, ".db")

    def suffixes(self, name: str) -> tuple[str, ...]:
        """A served file and, for a map, its index."""
        return ("", self.db) if name in MAPS else ("",)

    def path(self, name: str) -> str:
        """A served file, through the ``live`` symlink (what the servers open); in the flat
        layout of earlier versions until the first apply moves it (migrate.py)."""
        if self.generations.exists():
            return self.generations.path(name)
        return os.path.join(self.data_dir, name)

    def local(self, address: str) -> str | None:
        """The local part of an address of our domain, else None."""
        local, at, domain = address.strip().lower().rpartition("@")
        return local if at and domain == self.domain and local else None

    def full(self, local: str) -> str:
        return f"{local}@{self.domain}"

    def maildir(self, local: str) -> str:
        """The usual home of ``local``: ``mail/<domain>/<local>``."""
        return os.path.join(self.mail_dir, local)

"""A state moved from another state_dir (an embedded server's ``mail/`` and ``data/`` copied
to a host, docs/production.md): the homes pinned into passwd lines (a renamed account keeps
its first home) follow the mail into this state_dir's tree, as a new generation, once."""

from __future__ import annotations

import datetime

from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot import (
    migrate,
    read,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.homes import (
    home_in,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.postfix_dovecot.layout import (
    FILES,
    MAPS,
    Layout,
)

DOMAIN = "hungyen.gov.vn"
HASH = "{ARGON2ID}$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA"
OLD_TREE = f"/var/lib/hymail-local/main-0123456789/mail/{DOMAIN}"


def moved_state(tmp_path) -> Layout:
    """A state in the flat layout of earlier versions, with a renamed account whose home is
    in the old state_dir's tree, one kept outside any mail tree, and one with the usual home."""
    state = tmp_path / "hymail"
    data = state / "data"
    data.mkdir(parents=True)
    (state / "etc" / "postfix").mkdir(parents=True)  # postmap indexes the maps rendered anew
    (state / "etc" / "postfix" / "main.cf").write_text("")
    for name in FILES:
        (data / name).write_text("")
    for name in MAPS:
        (data / f"{name}.db").write_text("index")
    (data / "users.passwd").write_text(
        f"pktcl.ttktt@{DOMAIN}:{HASH}::::{OLD_TREE}/pkt.ttktt::\n"
        f"kept@{DOMAIN}:{HASH}::::/srv/mail/kept::\n"
        f"nvan@{DOMAIN}:{HASH}::::::\n")
    (data / "vmailbox").write_text("".join(f"{local}@{DOMAIN} OK\n"
                                           for local in ("kept", "nvan", "pktcl.ttktt")))
    (data / "accounts.json").write_text("{}\n")
    for local in ("pkt.ttktt", "nvan"):
        (state / "mail" / DOMAIN / local / "Maildir" / "cur").mkdir(parents=True)
    return Layout(str(state), DOMAIN)


NOW = datetime.datetime(2026, 12, 6, 3, 0, tzinfo=datetime.UTC)


def test_homes_in_another_state_dir_follow_the_mail_once(tmp_path, clock_at):
    clock_at(NOW)
    layout = moved_state(tmp_path)
    assert migrate.ensure_layout(layout)  # generation 0, from the flat layout
    assert migrate.ensure_layout(layout)  # the homes of the old state_dir, a new generation
    state = read.load(layout)
    assert home_in(layout, state, "pktcl.ttktt") == layout.maildir("pkt.ttktt")
    assert home_in(layout, state, "kept") == "/srv/mail/kept"
    assert home_in(layout, state, "nvan") == layout.maildir("nvan")
    assert state.hashes["pktcl.ttktt"] == HASH
    assert not migrate.ensure_layout(layout)  # nothing left to do: no new generation
    assert OLD_TREE not in "".join(read.lines(layout, "users.passwd"))


def test_a_home_in_another_tree_without_its_mailbox_here_stays(tmp_path, clock_at):
    clock_at(NOW)
    layout = moved_state(tmp_path)
    (tmp_path / "hymail" / "mail" / DOMAIN / "pkt.ttktt" / "Maildir" / "cur").rmdir()
    (tmp_path / "hymail" / "mail" / DOMAIN / "pkt.ttktt" / "Maildir").rmdir()
    (tmp_path / "hymail" / "mail" / DOMAIN / "pkt.ttktt").rmdir()
    migrate.ensure_layout(layout)
    assert not migrate.ensure_layout(layout)
    assert home_in(layout, read.load(layout), "pktcl.ttktt") == f"{OLD_TREE}/pkt.ttktt"

"""The lifecycle of a mailbox (Điều 6, 7 of Quyết định 08/2017/QĐ-UBND), written once.

A mailbox is created active on an agency's request (Điều 6.2.a), with a generated password
its holder must change at once (Điều 8, 12.1). Sở TTTT locks it for one of three reasons
(Điều 7.1): login is refused, mail still arrives; unlocking gives a new password (Điều 7.2).
When its holder leaves the province, the agency asks for it to be revoked (Điều 6.2.c):
login refused, new mail rejected, stored mail kept until a backed-up purge; a later request
reinstates it, with a new password. Beside the statuses, a mailbox is renamed (6.2.d), moved
with its holder to another agency (6.2.b), delegated (9.1), given a new password (9.2, 12.1)
or has its directory data updated. Every agency is told of every change but a revocation
(Điều 6, last sentence).

Here: the statuses, the transitions between them (``TRANSITIONS``), every action with its
Vietnamese words and articles (``ACTION_TABLE``), and the sets the planner, the change-request
policy, the plan, the notices, the reports and the drift report ask about. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

from .glossary import capitalised, label, with_citation

ACTIVE, LOCKED, REVOKED = "active", "locked", "revoked"
STATUSES = (ACTIVE, LOCKED, REVOKED)
# Đang hoạt động, Đang tạm khóa, Đã thu hồi: the glossary's one label for each status.
STATUS_LABELS = {status: capitalised(label(status)) for status in STATUSES}

# Why Sở TTTT locks a mailbox (Điều 7.1.a-c), as the plan, the notices and the reports say it:
# the glossary's words and the point in the full form (bị chiếm dụng (điểm b khoản 1 Điều 7)).
LOCK_REASON_ARTICLES = {"violation": "7.1.a", "compromised": "7.1.b", "spam_malware": "7.1.c"}
LOCK_REASON_LABELS = {reason: with_citation(label(reason), article)
                      for reason, article in LOCK_REASON_ARTICLES.items()}
LOCK_REASONS = tuple(LOCK_REASON_LABELS)


@dataclass(frozen=True)
class Action:
    """One thing that can happen to a mailbox, and everything the tool says about it.

    ``articles`` are the points of the regulation it implements ("6.2.a": điểm a khoản 2
    Điều 6). ``label`` is the plan's, the notices' and the reports' title: the glossary's
    label of ``term``, capitalised, with ``extra`` words and the articles in the full form
    (``Cấp mới (điểm a khoản 2 Điều 6)``). ``say`` is the change-request policy's words
    inside a sentence. ``status`` is the status it leaves.
    """

    code: str
    articles: tuple[str, ...]
    term: str | None = None  # the glossary concept that names it; None: no label
    say: str | None = None
    status: str | None = None
    planned: bool = False  # the planner makes it (else: only the policy, or a backup's purge)
    new_password: bool = False  # issues a generated password (Điều 8, 12.1)
    warning: str | None = None  # the plan's warning block: what the holder loses (DISRUPTIVE)
    delists: bool = False  # the address leaves the directory (DELISTING)
    silent: bool = False  # the requesting agency is not told (Điều 6, last sentence)
    extra: str = ""  # words after the glossary's label, before the citation

    @property
    def label(self) -> str | None:
        if self.term is None:
            return None
        return with_citation(capitalised(label(self.term)) + self.extra, *self.articles)


ACTION_TABLE = (
    # What the planner makes, in the order a reviewer reads them for one mailbox.
    Action("create", ("6.2.a",), "create", label("create"), ACTIVE, planned=True,
           new_password=True),
    Action("rename", ("6.2.d",), "rename", label("rename"), planned=True,
           warning="thư và tài khoản chuyển sang địa chỉ mới; địa chỉ cũ thành bí danh",
           delists=True),
    # Not named by the regulation: a revoked mailbox issued again on a new request (Điều 6.1).
    Action("reinstate", ("6.1",), "reinstate", label("reinstate"), ACTIVE, planned=True,
           new_password=True),
    Action("unlock", ("7.2",), "unlock", label("unlock"), ACTIVE, planned=True,
           new_password=True, extra=", cấp mật khẩu mới"),
    Action("lock", ("7.1",), "lock", label("lock"), LOCKED, planned=True,
           warning="đăng nhập bị từ chối; thư vẫn được nhận"),
    Action("revoke", ("6.2.c",), "revoke", label("revoke"), REVOKED, planned=True,
           warning="đăng nhập bị từ chối, thư mới bị trả lại; thư cũ được giữ trên máy chủ",
           delists=True, silent=True),
    Action("move", ("6.2.b",), "move", label("move"), planned=True),
    Action("delegate", ("9.1",), "delegate", "đổi " + label("delegate_person"), planned=True),
    Action("reset_password", ("9.2", "12.1"), "reset_password", label("reset_password"),
           planned=True, new_password=True),
    # Directory data (name, title, reason of a lock), kept by Sở TTTT (Điều 10.1.đ).
    Action("update", ("10.1.đ",), "update", planned=True),
    # On the server, declared nowhere: reported, never touched (no request asked for it).
    Action("drift", (), "drift", planned=True),
    # The journal's, after a backup: the mail of a revoked mailbox deleted.
    Action("purge", ("6.2.c", "10.2.đ"), "purge"),
    # The change-request policy's only: an address dropped from the declaration (Sở TTTT
    # only, Điều 10.1.đ), and a locked mailbox's reason changed (the planner's ``update``).
    Action("remove", ("10.1.đ",), say=label("remove"), delists=True),
    Action("lock_reason", ("7.1",), say="đổi " + label("lock_reason")),
)
BY_CODE = {action.code: action for action in ACTION_TABLE}

# The plan's action codes, in reviewing order (the plan's summary lists them so).
ACTIONS = tuple(a.code for a in ACTION_TABLE if a.planned)
# Actions that issue a new generated password, to be changed at first use (Điều 7.2, 8, 12.1).
NEW_PASSWORD = frozenset(a.code for a in ACTION_TABLE if a.new_password)
# Two different sets were both called "destructive"; they answer different questions.
# DISRUPTIVE: what the holder loses at the next apply, their login (lock, revoke) or the
# address they give out (rename); the plan lists each in its loud warning block.
DISRUPTIVE = frozenset(a.code for a in ACTION_TABLE if a.warning)
# DELISTING: an address taken out of the directory: revoked, renamed away or dropped from
# the declaration. Many in one change request need a recorded approval (the policy's destroy
# guard, Điều 10.1). A lock is not one: the mailbox stays listed and keeps receiving mail,
# and only Sở TTTT locks (Điều 7), which the policy checks by a rule of its own.
DELISTING = frozenset(a.code for a in ACTION_TABLE if a.delists)
# No notice to the requesting agency (Điều 6: a revocation is journaled only).
SILENT = frozenset(a.code for a in ACTION_TABLE if a.silent)

LABELS = {a.code: a.label for a in ACTION_TABLE if a.label}
SAY = {a.code: a.say for a in ACTION_TABLE if a.say}
WARNINGS = {a.code: a.warning for a in ACTION_TABLE if a.warning}
STATUS_AFTER = {a.code: a.status for a in ACTION_TABLE if a.status}

# From each status to each status: the actions between them, in the order they apply.
# A revoked mailbox declared locked is reinstated first, then locked (its new password is
# withheld until it is unlocked). A new mailbox is created active, then follows this table.
TRANSITIONS = {
    (ACTIVE, ACTIVE): (),
    (ACTIVE, LOCKED): ("lock",),
    (ACTIVE, REVOKED): ("revoke",),
    (LOCKED, ACTIVE): ("unlock",),
    (LOCKED, LOCKED): (),
    (LOCKED, REVOKED): ("revoke",),
    (REVOKED, ACTIVE): ("reinstate",),
    (REVOKED, LOCKED): ("reinstate", "lock"),
    (REVOKED, REVOKED): (),
}


def transition(before: str, after: str) -> tuple[str, ...]:
    """The actions that take a mailbox from status ``before`` to ``after`` (Điều 6.2.c, 7)."""
    return TRANSITIONS[before, after]

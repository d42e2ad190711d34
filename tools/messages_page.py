"""Every message as users see it, on one page: docs/thong-diep-mau.md (``make messages``).

In-process and pure (no server, no network): every catalogued code rendered (a clerk's code
by running its example of tests/fixtures/codes/, any other with example fields), the plan
of a hand-made change with every action, an emergency measure and the warning block, one
notice per password route plus a lock, a move and the operator's copy (the real templates,
decoded from MIME), and excerpts of the report and the directory of
tests/fixtures/report/province.yml. The clock is fixed (``NOW``), notice ids are fixed and
every password is ``<mật khẩu>``; the operator and the regulation are the inventory's
(inventory/local/group_vars/all.yml), or those given to ``render_all``.

    python tools/messages_page.py           # write docs/thong-diep-mau.md
    python tools/messages_page.py --check   # exit 1 when the page differs

tests/unit/test_messages_page.py fails when the committed page differs, so that every change
to a message shows in review.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email
import email.policy
import functools
import html
import importlib
import inspect
import os
import pathlib
import re
import string
import sys
import types

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import guide  # noqa: E402  (tools/guide.py: the catalogs and the examples of the codes)
import pages  # noqa: E402  (tools/pages.py: write the page or --check it)

ROOT = guide.ROOT
PACKAGE = guide.PACKAGE
PAGE = ROOT / "docs" / "thong-diep-mau.md"
INVENTORY = ROOT / "inventory" / "local" / "group_vars" / "all.yml"
REPORT_FIXTURE = ROOT / "tests" / "fixtures" / "report" / "province.yml"
DOMAIN = "hungyen.gov.vn"
NOW = "2026-11-28T22:14:05+00:00"  # 05:14 on 29/11/2026 in Vietnam
PASSWORD = "<mật khẩu>"
NOTICE_TOKEN = "a1b2c3d4"

# Example values of the catalogs' fields, by name; a field not listed shows as <name>;
# {operator} is the operator's mailbox.
FIELDS = {
    "address": "nvan@hungyen.gov.vn", "action": "lock", "actions": "lock, revoke, release",
    "addresses": "nvan@hungyen.gov.vn, tthoa@hungyen.gov.vn", "allowed": "5",
    "approvers": "@pheduyet-{operator}", "author": "vanthu-anvien", "backup_dir":
    "/var/backups/hymail", "chars": "':'", "command": "postmap", "consequence":
    "không đăng kế hoạch lên yêu cầu hợp nhất", "count": 11, "day": "01/03/2024",
    "detail": "…", "domain": DOMAIN, "env": "HYMAIL_NOW", "error": "Connection refused",
    "expected": "nvan", "failure": "không có tệp", "field": "name", "first": 3,
    "found": "example.gov.vn", "head": "4f2a9c1", "home": "/var/mail/vhosts/nvan",
    "host": "127.0.0.1", "iid": 42, "iso": "2024-03-01", "keep": 0, "keep_days": 30,
    "key": "title", "latest": "20261128T221405Z", "letter": "số 12/UBND-VP ngày 01/03/2024",
    "limit": 100, "mail_dir": "/var/mail/vhosts", "missing": "nvan", "name": "20261128T221405Z",
    "old": "nvan.cu", "other": "mailboxes/tienlu.yml:12 (Nguyễn Văn An)", "others": "vanthu-khac",
    "own": "mailboxes/anvien.yml", "owner": "tienlu", "owners": "@vanthu-tienlu",
    "part": "tên", "path": "mailboxes/tienlu.yml", "paths": "playbooks/apply.yml",
    "port": 25, "recipient": "tienlu@hungyen.gov.vn", "reviewers":
    "@vanthu-{operator}, @pheduyet-{operator}", "setting": "ngày mai", "sha": "4f2a9c1",
    "since": "2026-11-30", "smtp_code": 550, "source": "users.passwd", "state": "đang hoạt động",
    "status": "locked", "stderr": "lỗi cú pháp", "suggestions": "nvan1, nguyenvan",
    "summary": "1 hộp thư chưa khai báo", "target": "{operator}@hungyen.gov.vn", "text":
    "mailbox unavailable", "token": "HYMAIL_GITLAB_NOTE_TOKEN", "tree": "/var/mail/vhosts",
    "until": "2026-11-01", "value": "nv:an", "waited": 120, "what": "tạm khóa",
    "where": "thuộc mailboxes/vangiang.yml", "why": "không có tệp mailboxes/tienlu.yml",
    "word": "hotro", "work": "/var/backups/hymail/.tmp", "case": "hoa", "encoding": "TCVN3",
    "manifest": "/var/lib/hymail/etc/managed/mailserver.json", "role": "mailserver",
    "readers": "postfix, dovecot, systemd, firewall, apt",
    "problem": "tệp /etc/postfix/main.cf không có trên máy",
    "reasons": "tệp /etc/postfix/main.cf bị sửa",
}


# ------------------------------------------------------------------------- the inputs

def inventory_vars() -> tuple[dict, dict]:
    """The inventory's ``operator`` and ``regulation``, its ``{{ var }}`` filled from itself."""
    data = yaml.safe_load(INVENTORY.read_text("utf-8"))

    def filled(value):
        if isinstance(value, dict):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, str):
            return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(data.get(m.group(1), "")), value)
        return value

    return filled(data.get("operator") or {}), filled(data.get("regulation") or {})


def _module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def _glossary():
    return _module("common.glossary")


def _people(operator) -> dict:
    """Who the operator is, for messages that name it."""
    return {"operator": operator.short_name, "operator_name": operator.name}


def _call(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with only the keyword arguments it takes, an operator
    or a regulation as the dictionary of the inventory where the parameter says ``dict``."""
    accepted = inspect.signature(function).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        kwargs = {key: value for key, value in kwargs.items() if key in accepted}
    for key, value in list(kwargs.items()):
        wants = str(accepted[key].annotation) if key in accepted else ""
        if "dict" in wants and dataclasses.is_dataclass(value):
            kwargs[key] = dataclasses.asdict(value)
    return function(*args, **kwargs)


@contextlib.contextmanager
def fixed_clock_and_ids():
    """``HYMAIL_NOW`` at ``NOW`` and notice ids without their random part."""
    notices = _module("notices.notices")
    saved_env, saved_secrets = os.environ.get("HYMAIL_NOW"), notices.secrets
    os.environ["HYMAIL_NOW"] = NOW
    notices.secrets = types.SimpleNamespace(token_hex=lambda _n=None: NOTICE_TOKEN)
    try:
        yield
    finally:
        notices.secrets = saved_secrets
        if saved_env is None:
            os.environ.pop("HYMAIL_NOW", None)
        else:
            os.environ["HYMAIL_NOW"] = saved_env


# ------------------------------------------------------------------------- the codes

def _fields_of(*templates: str) -> set[str]:
    names = set()
    for template in templates:
        for _text, name, _spec, _conversion in string.Formatter().parse(template):
            if name:
                names.add(re.split(r"[.\[]", name)[0])
    return names


def _example(name: str, operator):
    value = FIELDS.get(name, f"<{name}>")
    return value.replace("{operator}", _mailbox(operator)) if isinstance(value, str) else value


def _mailbox(operator) -> str:
    """The operator's mailbox (local part); ``hopthu`` when the inventory names none."""
    return operator.mailbox or "hopthu"


def example_message(code: str, entry: tuple[str, str, str], operator) -> str:
    """``code`` rendered with the example fields."""
    render = _module("common.messages").render
    fields = {name: _example(name, operator) for name in _fields_of(entry[0], entry[2])}
    fields.update({key: value for key, value in _people(operator).items() if key in fields})
    return render(code, {code: entry}, None, **fields)


# The case tables whose rows show each code's variants: (file, runner of one row).
CASE_TABLES = (
    ("tests/unit/validation_cases.yml", "validation"),
    ("tests/unit/policy_cases.yml", "policy"),
)


def variants(operator) -> dict[str, list[str]]:
    """Every distinct message the rows of ``CASE_TABLES`` give, by code, in table order."""
    return _variants(operator.short_name)


@functools.lru_cache(maxsize=4)
def _variants(short_name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for table, kind in CASE_TABLES:
        for row in yaml.safe_load((ROOT / table).read_text("utf-8")):
            if row.get("huge"):  # a 3 MB file: HY004 has its own example
                continue
            shown = (guide.policy_problems(row, operator=short_name)
                     if kind == "policy" else guide.validation_problems(row))
            for message in shown:
                codes = guide.codes_of([message])
                if codes and message not in found.setdefault(codes[0], []):
                    found[codes[0]].append(message)
    return found


def code_messages(operator) -> list[str]:
    entries, titles, more = guide.catalogs(), guide.titles(), variants(operator)
    lines = ["## 1. Thông báo theo mã", "",
             "Mã của văn thư (`HY`, `HP`): kết quả thật của ví dụ trong tests/fixtures/codes/, "
             "rồi mọi biến thể khác nhau mà các bảng ca kiểm thử "
             "(tests/unit/validation_cases.yml, tests/unit/policy_cases.yml) cho ra. Mã khác: "
             "nội dung với các trường mẫu.", ""]
    family = None
    for code in sorted(entries, key=guide.code_key):
        if guide.family(code) != family:
            family = guide.family(code)
            lines += [f"### {family}", ""]
        case = guide.fixture(code) if guide.is_clerk_code(code) else None
        if case is not None:
            shown = guide.example_problems(code, case, operator.short_name)
        else:
            shown = [example_message(code, entries[code], operator)]
        lines += [f"#### {code} {titles.get(code, '')}".rstrip(), ""]
        lines += _fence("\n".join(shown), "text") + [""]
        others = [message for message in more.get(code, []) if message not in shown]
        if others:
            lines += ["Biến thể:", ""] + _fence("\n".join(others), "text") + [""]
    return lines


# ------------------------------------------------------------------------- the plan

def _box(address: str, **fields):
    model = _module("declared.model")
    base = {"kind": "person", "agency": "tienlu", "name": f"Người {address}",
            "request": model.Request("12/UBND-VP", "2026-11-02"),
            "directory": {"agency_name": "Ủy ban nhân dân huyện Tiên Lữ"}}
    base.update(fields)
    return model.Mailbox(address=address, **base)


def _live(mailbox, **fields):
    accounts = _module("plan.accounts")
    account = accounts.account_from_mailbox(mailbox).evolve(
        status=mailbox.status, lock_reason=mailbox.lock_reason, must_change=False)
    return account.evolve(**fields)


def plan_scenario():
    """Desired and live mailboxes that make every action of the plan, and one emergency
    measure (``giu`` held)."""
    model = _module("declared.model")
    other = {"agency_name": "Sở Nội vụ"}
    letter = model.Request("20/UBND-VP", "2026-11-20")
    desired = [
        _box("nvmoi", name="Nguyễn Văn Mới"),
        _box("khoa", name="Lê Văn Khoa", status="locked", lock_reason="compromised",
             request=letter),
        _box("mokhoa", name="Trần Thị Hòa", request=letter),
        _box("thuhoi", name="Phạm Văn Hồi", status="revoked", request=letter),
        _box("caplai", name="Đỗ Thị Lại", request=letter),
        _box("pnv.tienlu", kind="division", name="Phòng Nội vụ", previous=("ptccb.tienlu",),
             request=letter),
        _box("chuyen", name="Vũ Văn Chuyển", request=letter),
        _box("tienlu", kind="agency", name="Ủy ban nhân dân huyện Tiên Lữ",
             delegates=("chuyen",), request=letter),
        _box("datlai", name="Hoàng Văn Đạt", password_reset=letter),
        _box("capnhat", name="Bùi Thị Cập Nhật", request=letter,
             directory={"agency_name": "Ủy ban nhân dân huyện Tiên Lữ",
                        "title": "Phó Chánh Văn phòng"}),
        _box("giu", name="Ngô Văn Giữ", status="locked", lock_reason="spam_malware",
             request=letter),
    ]
    live = [
        _live(_box("khoa", name="Lê Văn Khoa")),
        _live(_box("mokhoa", name="Trần Thị Hòa", status="locked", lock_reason="violation")),
        _live(_box("thuhoi", name="Phạm Văn Hồi")),
        _live(_box("caplai", name="Đỗ Thị Lại", status="revoked")),
        _live(_box("ptccb.tienlu", kind="division", name="Phòng Nội vụ")),
        _live(_box("chuyen", name="Vũ Văn Chuyển", agency="sonv", directory=other)),
        _live(_box("tienlu", kind="agency", name="Ủy ban nhân dân huyện Tiên Lữ")),
        _live(_box("datlai", name="Hoàng Văn Đạt")),
        _live(_box("capnhat", name="Bùi Thị Cập Nhật")),
        _live(_box("giu", name="Ngô Văn Giữ")),
        _live(_box("lala", name="Hộp thư lạ", agency="sonv", directory=other)),
    ]
    return desired, {account.address: account for account in live}


def holds(operator) -> list[dict]:
    return [{"action": "lock", "address": "giu", "at": "2026-11-27T09:30:00+00:00",
             "by": f"pheduyet-{_mailbox(operator)}", "reason": "phát tán thư rác tới các cơ quan",
             "status": "locked", "clears": False}]


# What the merge request changes besides agency data (git diff --raw: status, new mode, path).
TREE = (("M", "100644", "playbooks/templates/notify/body.txt.j2"),
        ("A", "100755", "mailboxes/xuly.yml"), ("D", "100644", "approvals/2025-05-sonv.yml"))


def plan_markdown(operator, regulation) -> str:
    """The plan of ``plan_scenario``, with the block of paths that are not agency data."""
    planner, render = _module("plan.planner"), _module("plan.render")
    gitfiles, cli = _module("change_request.gitfiles"), _module("change_request.pipeline_cli")
    desired, live = plan_scenario()
    changes = planner.plan_changes(desired, live, holds=("giu",))
    markdown = _call(render.render_markdown, changes, DOMAIN, holds(operator),
                     operator=operator, regulation=regulation)
    tree = [gitfiles.TreeChange(status, path, "000000" if status == "A" else "100644", mode)
            for status, mode, path in TREE]
    return cli.with_code_warnings(markdown, gitfiles.non_data(tree))


def gitlab_note(markdown: str) -> str:
    """The plan as the merge request's note shows it (its head, then the plan)."""
    note = _module("change_request.gitlab_note")
    return note.note_body(markdown, {"sha": "4f2a9c1d2e3b5a6f", "at": NOW,
                                     "job_url": "https://gitlab.example/tinh/hop-thu/-/jobs/101"})


def drift_markdown(operator) -> str:
    """The drift report of the plan's scenario: its undeclared mailbox, its emergency
    measure, a file edited by hand, a missing one, the changes not yet applied, and a
    configuration file edited by hand."""
    planner, drift = _module("plan.planner"), _module("apply.drift")
    desired, live = plan_scenario()
    changes = planner.plan_changes(desired, live, holds=("giu",))
    edits = [{"file": "users.passwd", "state": "edited"}, {"file": "aliases", "state": "missing"}]
    config = [{"file": "/etc/postfix/main.cf", "reader": "postfix", "role": "mailserver",
               "state": "edited"}]
    return drift.render_markdown(drift.build(changes, holds(operator), edits, DOMAIN, config))


# ------------------------------------------------------------------------- the notices

def notice_scenario():
    """Changes of one apply, agency tienlu: every password route, a lock and a move; the
    agency's and a division's mailboxes make the operator's copy."""
    model = _module("declared.model")
    letter = model.Request("21/UBND-VP", "2026-11-25")
    desired = [
        _box("nvmoi", name="Nguyễn Văn Mới", request=letter),
        _box("datlai", name="Hoàng Văn Đạt", password_reset=letter),
        _box("mokhoa", name="Trần Thị Hòa", request=letter),
        _box("caplai", name="Đỗ Thị Lại", request=letter),
        _box("khoa", name="Lê Văn Khoa", status="locked", lock_reason="compromised",
             request=model.Request("51/QĐ-CNTT", "2026-11-26")),
        _box("chuyen", name="Vũ Văn Chuyển", request=letter),
        _box("pkt.tienlu", kind="division", name="Phòng Kinh tế", request=letter),
    ]
    live = [
        _live(_box("datlai", name="Hoàng Văn Đạt")),
        _live(_box("mokhoa", name="Trần Thị Hòa", status="locked", lock_reason="violation")),
        _live(_box("caplai", name="Đỗ Thị Lại", status="revoked")),
        _live(_box("khoa", name="Lê Văn Khoa")),
        _live(_box("chuyen", name="Vũ Văn Chuyển", agency="sonv",
                   directory={"agency_name": "Sở Nội vụ"})),
    ]
    return desired, {account.address: account for account in live}


# Each notice of the page: a title, the addresses of notice_scenario() the apply changes
# (none: all of them) and what the apply's meta adds (an emergency measure).
EMERGENCY = {"emergency": "lock", "reason": "hộp thư gửi hàng loạt thư rác tới các cơ quan"}
NOTICE_CASES = (
    ("Cấp mới hộp thư cá nhân (mật khẩu ban đầu)", ("nvmoi",), {}),
    ("Cấp lại mật khẩu", ("datlai",), {}),
    ("Khôi phục hộp thư đang tạm khóa", ("mokhoa",), {}),
    ("Cấp lại hộp thư đã thu hồi", ("caplai",), {}),
    ("Tạm khóa", ("khoa",), {}),
    ("Tạm khóa khẩn cấp (biện pháp khẩn cấp)", ("khoa",), EMERGENCY),
    ("Thuyên chuyển công tác trong tỉnh", ("chuyen",), {}),
    ("Cấp mới hộp thư phòng, ban: thông báo cho cơ quan và bản gửi đơn vị quản lý",
     ("pkt.tienlu",), {}),
    ("Mọi việc trong một lần áp dụng", (), {}),
)


def notice_texts(operator, regulation) -> list[str]:
    notify = _module("notices.notify")
    templates = notify.load_templates(str(ROOT / "playbooks" / "templates" / "notify"))
    sender = _mailbox(operator)
    settings = _call(notify.SmtpSettings, "127.0.0.1", 25, f"{sender}@{DOMAIN}", DOMAIN,
                     operator=operator, regulation=regulation)
    env = notify.environment(templates)
    lines = ["## 3. Thông báo gửi cơ quan", "",
             "Thư gửi Ủy ban nhân dân huyện Tiên Lữ sau từng việc, rồi sau mọi việc trong một "
             "lần áp dụng; mật khẩu hộp thư cơ quan, phòng, ban được gửi cho đơn vị quản lý "
             "(bản của đơn vị quản lý).", ""]
    for title, addresses, extra in NOTICE_CASES:
        lines += [f"### {title}", ""]
        for recipient, notice in sorted(_notices(addresses, sender, extra).items()):
            message = email.message_from_bytes(
                notify.render(notice, env, settings).as_bytes(), policy=email.policy.default)
            head = [f"{name}: {message[name]}" for name in
                    ("From", "To", "Subject", "Content-Language") if message[name] is not None]
            body = message.get_body(("plain",)).get_content()
            lines += [f"Thư gửi {recipient}@{DOMAIN}:", ""]
            lines += _fence("\n".join(head) + "\n\n" + body, "text") + [""]
    return lines + bootstrap_lines(operator)


def bootstrap_lines(operator) -> list[str]:
    """The root-only file that hands the operator mailbox's first password over."""
    planner, notices = _module("plan.planner"), _module("notices.notices")
    mailbox = _mailbox(operator)
    own = _box(mailbox, kind="agency", agency=mailbox, name=operator.name,
               directory={"agency_name": operator.name})
    changes = planner.plan_changes([own], {})
    meta = {"domain": DOMAIN, "operator": mailbox, "now": NOW}
    out = notices.build(changes, {mailbox: PASSWORD}, {}, meta)
    return ["### Tệp mật khẩu ban đầu của hộp thư đơn vị quản lý (trên máy chủ thư)", ""] + \
        _fence("".join(notices.bootstrap_text(item, NOW) for item in out.bootstrap), "text") + [""]


def _notices(addresses: tuple[str, ...], sender: str, extra: dict) -> dict[str, dict]:
    """The notices of one apply that makes the changes of ``addresses`` (all: none given)."""
    planner, notices = _module("plan.planner"), _module("notices.notices")
    desired, live = notice_scenario()
    if addresses:
        desired = [mailbox for mailbox in desired if mailbox.address in addresses]
        live = {address: account for address, account in live.items() if address in addresses}
    changes = planner.plan_changes(desired, live)
    passwords = {change.address: PASSWORD for change in changes if change.needs_password}
    meta = {"domain": DOMAIN, "operator": sender, "now": NOW, "commit": "4f2a9c1",
            "approved_by": f"pheduyet-{sender}", **extra}
    return notices.build(changes, passwords, {}, meta).notices


# ------------------------------------------------------------------------- report, directory

def report_and_directory(operator, regulation) -> list[str]:
    model, accounts = _module("declared.model"), _module("plan.accounts")
    report, render, directory = (_module("publish.report"), _module("publish.report_render"),
                                 _module("publish.directory"))
    data = yaml.safe_load(REPORT_FIXTURE.read_text("utf-8"))
    live = {a["address"]: accounts.Account.from_dict(a) for a in data["accounts"]}
    desired = []
    for agency in data["agencies"]:
        where = {"agency_name": agency["name"], "agency_kind": agency["kind"]}
        if agency.get("parent"):
            where["parent"] = agency["parent"]
        desired.append(model.Mailbox(agency["id"], "agency", agency["id"], agency["name"],
                                     directory=where))
    period = report.Period(data["since"], data["until"], data["stale_days"], data["now"])
    figures = report.build_report(live, data["journal"], desired, period, DOMAIN)
    lines = ["## 4. Báo cáo định kỳ", "", "Báo cáo của tỉnh (tests/fixtures/report/province.yml):",
             ""]
    lines += _fence(_call(render.markdown, figures, operator=operator, regulation=regulation),
                    "markdown") + [""]
    names = {a["id"]: a["name"] for a in data["agencies"]}
    listed = [model.Mailbox(a["address"], a["kind"], a["agency"], a["name"],
                            status=a.get("status", "active"),
                            directory={"agency_name": names[a["agency"]], "publish": True,
                                       "title": "Chuyên viên" if a["kind"] == "person" else ""})
              for a in data["accounts"] if a["agency"] in names]
    built = directory.build_directory(listed, DOMAIN)
    csv_text = directory.render_csv(built.listings).decode("utf-8-sig").replace("\r\n", "\n")
    pages = _call(directory.render_pages, built,
                  str(ROOT / "playbooks" / "templates" / "directory"), operator=operator,
                  regulation=regulation)
    lines += ["## 5. Danh bạ", "", "Tệp CSV:", ""] + _fence(csv_text, "text") + [""]
    lines += ["Chữ trên trang danh bạ của tỉnh (index.html, bỏ thẻ HTML):", ""]
    lines += _fence(visible_text(pages["index.html"].decode("utf-8")), "text") + [""]
    return lines


def visible_text(page: str) -> str:
    """The words of an HTML page, one block a line, without style and script."""
    page = re.sub(r"(?is)<(style|script)\b.*?</\1>", "", page)
    page = re.sub(r"(?i)<br\s*/?>|</(p|h\d|li|tr|div|title|caption|th|td|a)>", "\n", page)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


# ------------------------------------------------------------------------- the page

def _fence(text: str, kind: str = "") -> list[str]:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    shown = "".join(c if c.isprintable() or c in "\n\t" else f"\\u{ord(c):04x}" for c in text)
    return [f"{ticks}{kind}", shown.rstrip("\n"), ticks]


def render_all(operator=None, regulation=None) -> str:
    """The whole page, for ``operator`` and ``regulation`` (glossary ``Operator`` and
    ``Regulation``, or the inventory's dictionaries; default: inventory/local)."""
    glossary = _glossary()
    found_operator, found_regulation = inventory_vars()
    if operator is None or isinstance(operator, dict):
        operator = glossary.Operator.from_vars(operator or found_operator)
    if regulation is None or isinstance(regulation, dict):
        regulation = glossary.Regulation.from_vars(regulation or found_regulation)
    with fixed_clock_and_ids():
        lines = ["# Thông điệp mẫu", "",
                 "<!-- Tạo bằng lệnh make messages (tools/messages_page.py); không sửa thủ "
                 "công. -->", "",
                 "Mọi thông điệp hệ thống gửi tới người dùng, đúng như người dùng đọc: đồng hồ "
                 "cố định (05:14 ngày 29/11/2026, giờ Việt Nam), mã thông báo cố định, mọi mật "
                 f"khẩu thay bằng `{PASSWORD}`. Đơn vị quản lý: {operator.name}; quy chế: "
                 f"{regulation.reference()}.", ""]
        lines += code_messages(operator)
        lines += ["## 2. Kế hoạch thay đổi (ghi chú của yêu cầu hợp nhất)", "",
                  "Ghi chú trên GitLab với kế hoạch có mọi loại thay đổi, một biện pháp khẩn "
                  "cấp và khối cảnh báo:", ""]
        lines += _fence(gitlab_note(plan_markdown(operator, regulation)), "markdown") + [""]
        lines += ["Báo cáo sai lệch giữa máy chủ và kho (make drift) với cùng các hộp thư:", ""]
        lines += _fence(drift_markdown(operator), "markdown") + [""]
        lines += notice_texts(operator, regulation)
        lines += report_and_directory(operator, regulation)
        lines += ["## 6. Trả lời của máy chủ thư", "",
                  "Thư gửi tới hộp thư đã thu hồi bị trả lại với câu trả lời SMTP (chỉ chữ "
                  "không dấu):", ""]
        lines += _fence(_module("backends.postfix_dovecot.render").REVOKED_REPLY, "text")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    return pages.main(argv, __doc__, PAGE, "messages", lambda _current: render_all())


if __name__ == "__main__":
    sys.exit(main())

"""The reviewer's plan: JSON document and Vietnamese Markdown, never a secret."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    generate,
    hash_password,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import (
    LABELS,
    LOCK_REASON_LABELS,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox, Request
from ansible_collections.hungyen.mail.plugins.module_utils.plan import privacy
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import account_from_mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.plan.markdown import code
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import (
    plan_document,
    render_json,
    render_markdown,
    summary_text,
    write_plan,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.review import (
    StalePlanError,
    check_reviewed,
    load_reviewed,
)

DOMAIN = "hungyen.gov.vn"
LETTER = Request("12/ĐN-STTTT", "2026-11-02")


def box(address: str, **fields) -> Mailbox:
    base = {"kind": "person", "agency": "sotttt", "name": f"Người {address}", "request": LETTER}
    return Mailbox(address=address, **(base | fields))


def live(mailbox: Mailbox, **fields):
    account = account_from_mailbox(mailbox).evolve(
        status=mailbox.status, lock_reason=mailbox.lock_reason, must_change=False)
    return account.evolve(**fields)


@pytest.fixture(name="changes")
def fixture_changes():
    desired = [
        box("moi"), box("khoa", status="locked", lock_reason="compromised"),
        box("thuhoi", status="revoked"), box("tennew", kind="division", agency="sonv",
                                            previous=("tenold",)),
        box("chuyen", agency="sonv"),
        box("sotttt", kind="agency", delegates=("moi",), name="Sở TTTT | *bold*"),
    ]
    actual = [live(box("khoa")), live(box("thuhoi")), live(box("tenold", kind="division",
                                                              agency="sonv")),
              live(box("chuyen")), live(box("sotttt", kind="agency", name="Sở TTTT | *bold*")),
              live(box("lala"))]
    return plan_changes(desired, {a.address: a for a in actual})


def test_counts_come_first(changes):
    text = render_markdown(changes, DOMAIN)
    head = text.split("\n## ")[0]
    for action, count in [("create", 1), ("lock", 1), ("revoke", 1), ("rename", 1),
                        ("move", 1), ("delegate", 1), ("drift", 1)]:
        assert f"| `{action}` | {count} |" in head


def test_warning_block_lists_every_revoke_rename_lock(changes):
    text = render_markdown(changes, DOMAIN)
    warning = [line for line in text.splitlines() if line.startswith(">")]
    assert "CẢNH BÁO: 5 thay đổi" in warning[0]  # and the move and the delegation
    joined = "\n".join(warning)
    for expected in ("**THU HỒI** `revoke` `thuhoi@hungyen.gov.vn`",
                     "**TẠM KHÓA** `lock` `khoa@hungyen.gov.vn`",
                     "**ĐỔI TÊN HỘP THƯ** `rename` `tenold@hungyen.gov.vn` → "
                     "`tennew@hungyen.gov.vn`"):
        assert expected in joined
    assert not re.search(r"\*\*[A-Z_]+\*\*", joined)  # no English word in capitals


def test_grouped_by_agency_with_address_name_and_letter(changes):
    text = render_markdown(changes, DOMAIN)
    sections = text.split("\n## ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["Cơ quan `sonv`", "Cơ quan `sotttt`"]
    assert "`moi@hungyen.gov.vn` — `Người moi`" in sections[1]
    assert "Văn bản đề nghị: số `12/ĐN-STTTT` ngày 02/11/2026" in sections[1]
    assert f"Lý do: {LOCK_REASON_LABELS['compromised']}" in sections[1]
    assert "Cơ quan: `sotttt` → `sonv`" in sections[0]


def test_names_cannot_break_the_markdown(changes):
    text = render_markdown(changes, DOMAIN)
    assert "`Sở TTTT | *bold*`" in text and "*bold*" not in outside_code(text)


def test_no_changes_says_so():
    text = render_markdown([], DOMAIN)
    assert "Không có thay đổi nào" in text and "CẢNH BÁO" not in text


def test_json_document(changes):
    data = json.loads(render_json(changes, DOMAIN, {"state_digest": "abc"}))
    assert data["domain"] == DOMAIN and data["state_digest"] == "abc"
    assert data["summary"]["total"] == len(changes)
    assert [d["address"] for d in data["drift"]] == ["lala"]
    assert all({"action", "address", "agency", "request"} <= set(c) for c in data["changes"])
    assert [c["address"] for c in data["changes"] if c["action"] == "drift"] == ["lala"]
    assert len(data["changes"]) == len(changes)


def test_json_is_stable(changes):
    assert render_json(changes, DOMAIN) == render_json(list(changes), DOMAIN)


def test_never_a_password_or_hash_in_any_rendering(changes):
    password = generate()
    hashed = hash_password(password, HashSettings(1, 8192, 1))
    texts = [render_markdown(changes, DOMAIN), render_json(changes, DOMAIN)]
    for text in texts:
        assert password not in text and hashed not in text
        for marker in ("{ARGON2ID}", "$argon2", "\"password\":", "mật khẩu là"):
            assert marker not in text


# ---------------------------------------------------------------- values only in code spans

SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
HOSTILE = ("@all https://x.example/login", "~~x~~", "#1", "!1", "&amp;", "&#64;all", "a`b",
           "`x", "x`", "``", "a ``` b", " spaced ", "$1 :+1:", "<b>x</b>", "[a](http://x)")


def spans(text: str) -> list[str]:
    """The contents of the code spans of ``text`` as CommonMark reads them."""
    found = []
    for match in SPAN.finditer(text):
        content = match.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
            content = content[1:-1]
        found.append(content)
    return found


def outside_code(text: str) -> str:
    return SPAN.sub("", text)


@pytest.mark.parametrize("value", HOSTILE)
def test_code_span_holds_the_value_whole(value):
    assert spans(code(value)) == [value]
    assert outside_code(f"x {code(value)} y") == "x  y"


def hostile_plan(value: str) -> str:
    letter = Request(value, "2026-11-02")
    desired = [box("moi", name=value, request=letter), box("khoa", name=value, status="locked",
                                                          lock_reason="compromised")]
    holds = [{"action": "lock", "address": "khoa", "at": value, "by": value, "reason": value,
              "status": "locked", "clears": False}]
    changes = plan_changes(desired, {"khoa": live(box("khoa", name=value))})
    return render_markdown(changes, DOMAIN, holds)


@pytest.mark.parametrize("value", HOSTILE)
def test_values_from_files_and_operators_are_only_in_code_spans(value):
    text = hostile_plan(value)
    assert value in spans(text) and f"số {code(value)} ngày 02/11/2026" in text
    rest = outside_code(text)
    for marker in ("@all", "https", "~~", "#1", "!1", "&amp;", "&#64;", "$1", "<b>", "]("):
        assert marker not in rest


# ---------------------------------------------------------------- the warning block


def warning_lines(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.startswith(">"))


def test_moves_resets_delegations_and_new_passwords_are_warned():
    desired = [box("chuyen", agency="sonv"), box("datlai", password_reset=LETTER),
               box("sotttt", kind="agency", delegates=("chuyen",)),
               box("molai", status="active")]
    actual = [live(box("chuyen")), live(box("datlai")), live(box("sotttt", kind="agency")),
              live(box("molai"), status="revoked")]
    warning = warning_lines(render_markdown(
        plan_changes(desired, {a.address: a for a in actual}), DOMAIN))
    assert "**THUYÊN CHUYỂN CÔNG TÁC TRONG TỈNH** `move` `chuyen@hungyen.gov.vn`" in warning
    assert "thuyên chuyển công tác trong tỉnh từ cơ quan `sotttt` sang cơ quan `sonv`" \
        in warning
    assert "**CẤP LẠI MẬT KHẨU** `reset_password` `datlai@hungyen.gov.vn`" in warning
    assert "**ỦY QUYỀN SỬ DỤNG** `delegate` `sotttt@hungyen.gov.vn`" in warning
    assert "người được ủy quyền đọc toàn bộ thư của hộp thư này: `chuyen` (trước đó: không " \
        "có)" in warning
    assert "**CẤP LẠI HỘP THƯ ĐÃ THU HỒI** `reinstate` `molai@hungyen.gov.vn`" in warning


def test_past_fifty_the_warning_block_counts_per_agency_and_folds_the_list():
    desired = [box(f"a{i}", agency="tienlu" if i % 3 else "anvien", status="revoked")
               for i in range(60)]
    actual = {f"a{i}": live(box(f"a{i}", agency="tienlu" if i % 3 else "anvien"))
              for i in range(60)}
    text = render_markdown(plan_changes(desired, actual), DOMAIN)
    warning = warning_lines(text)
    assert "CẢNH BÁO: 60 thay đổi" in warning
    assert "> - Cơ quan `anvien`: **THU HỒI** `revoke`: 20" in warning
    assert "> - Cơ quan `tienlu`: **THU HỒI** `revoke`: 40" in warning
    assert "a17@" not in warning
    details = text.split("<details>", 1)[1].split("</details>", 1)[0]
    assert all(f"**THU HỒI** `revoke` `a{i}@hungyen.gov.vn`" in details for i in range(60))


@pytest.mark.parametrize(("owner", "named"), [
    ("tienlu", "nhận lại địa chỉ của cơ quan `tienlu`"),
    ("", "nhận lại địa chỉ của cơ quan (không thuộc cơ quan nào)"),
])
def test_adopting_another_agencys_account_is_an_adoption(owner, named):
    desired = [box("luutru.vangiang", kind="division", agency="vangiang",
                   previous=("lvthu",))]
    [change] = plan_changes(desired, {"lvthu": live(box("lvthu", agency=owner))})
    assert change.action == "rename" and change.adopted and change.to_dict()["adopted"]
    warning = warning_lines(render_markdown([change], DOMAIN))
    assert "**NHẬN LẠI ĐỊA CHỈ** `rename` `lvthu@hungyen.gov.vn` → " \
        "`luutru.vangiang@hungyen.gov.vn`" in warning and named in warning


def test_renaming_an_own_division_is_no_adoption():
    desired = [box("pnv.tienlu", kind="division", agency="tienlu", previous=("pnv2.tienlu",))]
    [change] = plan_changes(desired, {"pnv2.tienlu": live(box("pnv2.tienlu", kind="division",
                                                              agency="tienlu"))})
    assert change.action == "rename" and not change.adopted
    assert "NHẬN LẠI" not in render_markdown([change], DOMAIN)


# ---------------------------------------------------------------- unlisted people's data

PRIVATE = {"title": "Quản trị hệ thống", "phone": "0221 3999 111", "publish": False}
PUBLIC = {"title": "Chánh Văn phòng", "phone": "0221 3871 234", "publish": True}


def private_changes(phone: str = PRIVATE["phone"]):
    desired = [box("an", directory=PRIVATE | {"phone": phone}), box("binh", directory=PUBLIC),
               box("cuong", directory=PRIVATE, name="Người cuong mới")]
    actual = {"cuong": live(box("cuong", directory=PRIVATE))}
    return plan_changes(desired, actual)


def test_unlisted_titles_and_phones_are_keyed_digests_in_plan_files():
    key = b"k" * 32
    changes = private_changes()
    text = render_json(changes, DOMAIN, key=key) + render_markdown(changes, DOMAIN)
    assert PRIVATE["title"] not in text and PRIVATE["phone"] not in text
    assert PUBLIC["title"] in text and PUBLIC["phone"] in text
    document = plan_document(changes, DOMAIN, key=key)
    after = next(c["after"] for c in document["changes"] if c["address"] == "an")
    assert after["directory"]["title"] == privacy.digest(key, "title", PRIVATE["title"])
    assert after["directory"]["title"].startswith("hmac:")
    other = plan_document(changes, DOMAIN, key=b"o" * 32)
    assert other["changes"] != document["changes"]  # keyed: another key, other digests


def test_the_reviewed_plan_check_still_compares_unlisted_data():
    key = b"k" * 32
    reviewed = json.loads(render_json(private_changes(), DOMAIN, {"state_digest": "a"}, key))
    check_reviewed(private_changes(), reviewed, "b", key)
    with pytest.raises(StalePlanError, match="HYR003"):
        check_reviewed(private_changes(phone="0221 3000 000"), reviewed, "b", key)


def test_the_privacy_key_is_made_once_and_private(tmp_path):
    key = privacy.load_key(str(tmp_path / "state"))
    assert privacy.load_key(str(tmp_path / "state")) == key and len(key) == 32
    assert (tmp_path / "state" / privacy.KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_the_privacy_key_may_come_from_the_environment(tmp_path):
    environ = {privacy.KEY_VARIABLE: "ab" * 32}
    assert privacy.load_key(str(tmp_path / "none"), environ) == bytes.fromhex("ab" * 32)
    assert not (tmp_path / "none").exists()


def test_a_plan_written_with_another_key_is_refused_as_such():
    reviewed = json.loads(render_json(private_changes(), DOMAIN, {"state_digest": "a"},
                                      b"k" * 32))
    with pytest.raises(StalePlanError, match="HYR004.*khóa riêng tư khác"):
        check_reviewed(private_changes(), reviewed, "b", b"o" * 32)


def test_plan_files_are_readable_by_their_owner_only(tmp_path):
    changes = private_changes()
    path = tmp_path / "plans" / "plan.json"
    write_plan(str(path), plan_document(changes, DOMAIN, key=b"k" * 32),
               render_markdown(changes, DOMAIN))
    assert json.loads(path.read_text("utf-8"))["domain"] == DOMAIN
    for written in (path, path.with_suffix(".md")):
        assert written.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_plan_written_without_a_key_is_compared_as_written():
    reviewed = json.loads(render_json(private_changes(), DOMAIN, {"state_digest": "a"}))
    check_reviewed(private_changes(), reviewed, "b", b"k" * 32)


def test_away_from_the_mail_host_no_key_is_made(tmp_path):
    assert privacy.find_key(str(tmp_path / "data"), {}) is None
    assert not (tmp_path / "data").exists()
    made = privacy.load_key(str(tmp_path / "data"), {})
    assert privacy.find_key(str(tmp_path / "data"), {}) == made


def test_a_letter_date_that_is_no_date_stays_a_code_span():
    [change] = plan_changes([box("moi", request=Request("1/UBND", "@all 2026"))], {})
    assert "Văn bản đề nghị: số `1/UBND` ngày `@all 2026`" in render_markdown([change], DOMAIN)


def test_a_hold_is_dated_in_vietnam_time():
    holds = [{"action": "lock", "address": "khoa", "at": "2026-11-28T22:14:05+00:00",
              "by": "pheduyet-sotttt", "reason": "x", "status": "locked", "clears": False}]
    text = render_markdown([], DOMAIN, holds)
    assert "lúc 05:14 ngày 29/11/2026," in text and "2026-11-28T22" not in text


# ---------------------------------------------------------------- the words reviewers read


def test_title_names_the_full_term():
    text = render_markdown([], DOMAIN)
    assert text.startswith("# Kế hoạch thay đổi hộp thư điện tử công vụ @hungyen.gov.vn\n")


def test_labels_are_the_lifecycles(changes):
    text = render_markdown(changes, DOMAIN)
    for change in changes:
        assert f"- **{LABELS[change.action]}** `{change.action}` " in text
        assert f"| {LABELS[change.action]} | `{change.action}` |" in text


@pytest.mark.parametrize(("mailbox", "server", "expected"), [
    (box("a", name="Nguyễn Văn B"), box("a"), "Thay đổi: họ tên"),
    (box("a", directory={"title": "Phó Giám đốc", "phone": "1"}),
     box("a", directory={"title": "Chuyên viên", "phone": "1"}), "Thay đổi: chức vụ"),
    (box("a", name="X", directory={"title": "T", "publish": True}),
     box("a", directory={"title": "S", "publish": False}),
     "Thay đổi: họ tên, chức vụ, công khai trong danh bạ"),
    (box("a", kind="agency", name="Sở mới"), box("a", kind="agency"), "Thay đổi: tên cơ quan"),
    (box("a", directory={"phone": "2"}), box("a", directory={"phone": "1"}),
     "Thay đổi: số điện thoại"),
])
def test_an_update_names_its_fields_in_vietnamese(mailbox, server, expected):
    [change] = plan_changes([mailbox], {"a": live(server)})
    assert change.action == "update"
    line = [x for x in render_markdown([change], DOMAIN).splitlines() if "Thay đổi:" in x]
    assert line == [f"  - {expected}"]


@pytest.mark.parametrize(("status", "expected"), [
    ("active", "Trạng thái trên máy chủ: đang hoạt động"),
    ("locked", "Trạng thái trên máy chủ: đang tạm khóa"),
    ("revoked", "Trạng thái trên máy chủ: đã thu hồi"),
])
def test_drift_shows_the_status_in_words(status, expected):
    [change] = plan_changes([], {"lala": live(box("lala", status=status))})
    text = render_markdown([change], DOMAIN)
    assert expected in text and f"`{status}`" not in text.split("## ", 1)[1]


@pytest.mark.parametrize(("hold", "expected"), [
    ({"action": "lock", "status": "locked", "clears": False},
     ["**TẠM KHÓA KHẨN CẤP** `lock` `khoa@hungyen.gov.vn`",
      "cho đến khi kho khai báo status: `locked` (đang tạm khóa) hoặc cho đến khi gỡ bỏ "
      "biện pháp khẩn cấp (`release`)"]),
    ({"action": "revoke", "status": "revoked", "clears": True},
     ["**THU HỒI KHẨN CẤP** `revoke` `khoa@hungyen.gov.vn`",
      "lần áp dụng tới sẽ gỡ bỏ biện pháp khẩn cấp"]),
    ({"action": "lock", "status": "locked", "clears": False, "why": "HYH011 …"},
     ["nhưng biện pháp khẩn cấp vẫn còn: `HYH011 …`"]),
])
def test_the_emergency_block(hold, expected):
    hold = {"address": "khoa", "at": "2026-11-28T22:14:05+00:00", "by": "pheduyet",
            "reason": "x"} | hold
    text = render_markdown([], DOMAIN, [hold])
    assert "> **⛔ BIỆN PHÁP KHẨN CẤP (điểm g khoản 1 Điều 10): 1 hộp thư**" in text
    assert all(part in text for part in expected), text
    assert "tạm giữ" not in text.lower() and "action=" not in text


def test_a_held_change_names_the_emergency_measure():
    desired = [box("khoa", status="locked", lock_reason="compromised")]
    changes = plan_changes(desired, {"khoa": live(box("khoa"))}, holds=("khoa",))
    text = render_markdown(changes, DOMAIN)
    assert "Không áp dụng lần này vì đang có biện pháp khẩn cấp: 1" in text
    assert "**BIỆN PHÁP KHẨN CẤP: không áp dụng lần này**" in text
    assert "đang có biện pháp khẩn cấp, không áp dụng lần này" in warning_lines(text)
    assert "tạm giữ" not in text.lower()


def test_counts_use_the_vietnamese_thousands_separator():
    desired = [box(f"m{i}") for i in range(1200)]
    text = render_markdown(plan_changes(desired, {}), DOMAIN)
    assert f"| {LABELS['create']} | `create` | 1.200 |" in text


def test_no_letter_reads_khong_co():
    [change] = plan_changes([box("moi", request=None)], {})
    assert "Văn bản đề nghị: không có" in render_markdown([change], DOMAIN)


@pytest.mark.parametrize(("summary", "expected"), [
    ({"create": 0, "total": 0, "held": 0}, "Kế hoạch: không có thay đổi nào."),
    ({"create": 1200, "lock": 1, "total": 1201, "held": 0},
     f"Kế hoạch: 1.201 thay đổi. {LABELS['create']}: 1.200; {LABELS['lock']}: 1."),
    ({"lock": 1, "total": 1, "held": 1},
     f"Kế hoạch: 1 thay đổi. {LABELS['lock']}: 1. Không áp dụng lần này vì đang có biện pháp "
     "khẩn cấp: 1."),
])
def test_the_terminal_line_of_the_plan(summary, expected):
    assert summary_text(summary) == expected


def test_a_stale_plan_names_each_unshown_change_in_words():
    desired = [box("cu", name="Tên mới"), box("thuhoi", status="revoked")]
    actual = {"cu": live(box("cu")), "thuhoi": live(box("thuhoi"))}
    reviewed = json.loads(render_json([], DOMAIN, {"state_digest": "old"}))
    with pytest.raises(StalePlanError) as raised:
        check_reviewed(plan_changes(desired, actual), reviewed, "new")
    message = str(raised.value)
    assert "cập nhật thông tin danh bạ (update) cu" in message
    assert "thu hồi (revoke) thuhoi" in message and "2 thay đổi" in message


def test_an_unreadable_reviewed_plan_says_why_in_vietnamese(tmp_path):
    (tmp_path / "plan.json").write_text("{not json", "utf-8")
    for path, why in ((tmp_path / "plan.json", "tệp không phải JSON hợp lệ"),
                      (tmp_path / "none.json", "không đọc được tệp")):
        with pytest.raises(StalePlanError, match="HYR004") as raised:
            load_reviewed(str(path), DOMAIN)
        assert why in str(raised.value) and "Errno" not in str(raised.value)

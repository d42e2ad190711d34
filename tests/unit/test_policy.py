"""The change-request policy: a case table of author × change, CODEOWNERS, and the messages."""

from __future__ import annotations

import re

import case_support
import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitfiles import (
    TreeChange,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy import (
    CODEOWNERS,
    Facts,
    LookAlikes,
    Thresholds,
    codeowners_text,
    codeowners_violation,
    decide,
    osa_distance,
    problem_words,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy_cli import (
    checkout_files,
    main,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy_messages import (
    CATALOG,
    render,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.parallel import fork_map
from case_support import GIVEN_NAMES, edit, good_files, sides
from helpers import ROOT, case_table


def run(case: dict):
    return case_support.decision(case, operator=case.get("operator", "Sở TTTT"))


@pytest.mark.parametrize("case", case_table("policy_cases.yml"))
def test_policy_case(case):
    decision = run(case)
    found = sorted(violation.code for violation in decision.violations)
    assert found == sorted(case["expect"]), decision.summary()
    assert decision.allowed is (not case["expect"])
    for text in case.get("says", ()):
        assert text in decision.summary(), decision.summary()
    for line in decision.summary().splitlines():  # one parenthesis at a time, one fix
        assert ") (" not in line and "((" not in line and "))" not in line, line
        assert line.count("Cách sửa:") <= 1, line


def test_every_code_in_the_catalog_has_a_case():
    tested = {code for row in case_table("policy_cases.yml") for code in row.values[0]["expect"]}
    assert set(CATALOG) == tested | {"HP003"}  # HP003: the CODEOWNERS tests below


def test_refusal_names_the_file_the_rule_the_article_and_the_way_out():
    case = next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "owner_edits_another_agency_file")
    violation = run(case).violations[0]
    assert (violation.code, violation.path) == ("HP010", "mailboxes/vangiang.yml")
    assert violation.message.startswith(
        "HP010 vanthu-anvien không có quyền sửa mailboxes/vangiang.yml: chỉ người quản lý tệp "
        "(owners: @vanthu-vangiang) hoặc người duyệt của Sở TTTT (@vanthu-sotttt, "
        "@pheduyet-sotttt) được sửa tệp này (khoản 1 Điều 6, khoản 1 Điều 10). Cách sửa: ")
    assert str(violation).startswith("mailboxes/vangiang.yml: HP010 ")


def test_counts_say_what_the_change_does():
    case = next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "transfer_with_the_matching_add")
    decision = run(case)
    assert decision.counts == {"move": 1, "destructive": 0, "files": 2}
    assert decision.summary() == ("Được phép: yêu cầu hợp nhất (merge request) sửa 2 tệp "
                                  "(thuyên chuyển công tác trong tỉnh: 1).")
    assert decision.to_dict()["allowed"] is True


def test_violations_are_listed_once_each_in_a_stable_order():
    case = next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "transfer_into_a_third_agency_is_not_the_author_s")
    first, second = run(case), run(case)
    assert first.violations == second.violations == sorted(set(first.violations))
    assert first.summary().startswith(
        "Không được phép: yêu cầu hợp nhất (merge request) có 2 vi phạm:\n"
        "mailboxes/ttvangiang.yml: HP010 ")


def test_an_unchanged_province_is_allowed_for_anyone():
    files = checkout_files(str(ROOT))
    decision = decide(files, files, "ai-cung-duoc")
    assert decision.allowed and decision.counts == {"destructive": 0, "files": 0}


@pytest.mark.parametrize("limits", [{"max_count": -1}, {"max_share": 1.5}, {"max_share": -0.1},
                                    {"max_creates": -1}])
def test_thresholds_refuse_nonsense(limits):
    with pytest.raises(ValueError, match="ngưỡng"):
        Thresholds(**limits)


def many_people(count: int) -> str:
    """``count`` people with distinct derived addresses, for anvien.yml."""
    middles = ("An", "Bảo", "Công", "Ngọc", "Đức", "Gia", "Hữu", "Khắc", "Lam", "Mạnh")
    names = [f"Trần {middle} {given}" for middle in middles for given in GIVEN_NAMES]
    return "".join(f"  - name: {name}\n    title: Công chức\n"
                   '    request: {number: "15/UBND", date: "2025-01-06"}\n'
                   for name in names[:count])


@pytest.mark.parametrize(("count", "approvers", "expect"), [
    (100, (), []), (101, (), ["HP041"]), (101, ("pheduyet-sotttt",), [])])
def test_more_than_100_creates_need_a_sotttt_approval(count, approvers, expect):
    base = good_files()
    head = edit(base, [{"file": "anvien.yml", "append": many_people(count)}])
    decision = decide(base, head, "vanthu-anvien", facts=Facts(approvers=frozenset(approvers)))
    assert [v.code for v in decision.violations] == expect, decision.summary()
    assert decision.counts["create"] == count


@pytest.mark.parametrize(("first", "second", "distance"), [
    ("sotttt", "sotttt", 0), ("sottttt", "sotttt", 1), ("sotttx", "sotttt", 1),
    ("ostttt", "sotttt", 1), ("hotro", "htoro", 1), ("admin", "admins", 1), ("", "abc", 3),
    ("ca", "abc", 3),  # optimal string alignment edits each letter once (true Damerau: 2)
    ("kitten", "sitting", 3)])
def test_osa_distance(first, second, distance):
    assert osa_distance(first, second) == distance == osa_distance(second, first)


@pytest.mark.parametrize(("address", "near"), [
    ("sottttt", ["sotttt"]), ("so.tttt", ["sotttt"]), ("sotttt2", ["sotttt"]),
    ("s.o.tttt", ["sotttt"]), ("ad.min2", ["admin"]), ("sotttt", []), ("pnv.sotttt", []),
    ("hotro.tienlu", []), ("lthoa", []), ("noc1", [])])
def test_look_alikes_compare_the_address_and_its_plain_form(address, near):
    protected = LookAlikes({"sotttt": "hộp thư gửi thông báo của Sở TTTT",
                            "admin": "tên dành riêng của hệ thống"})
    assert [name for name, _what in protected.near(address)] == near


def test_transfers_resets_and_delegations_are_listed_one_by_one():
    case = next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "operator_delegate_taken_with_a_reset")
    base, head = sides(case)
    decision = decide(base, head, "pheduyet-sotttt")
    assert decision.allowed, decision.summary()
    assert decision.to_dict()["events"] == [
        {"kind": "move", "address": "nhphuc", "path": "mailboxes/tienlu.yml",
         "from": "mailboxes/sotttt.yml", "delegate_of": ["sotttt"]},
        {"kind": "reset_password", "address": "nhphuc", "path": "mailboxes/tienlu.yml",
         "from": "mailboxes/sotttt.yml", "letter": "số 99/UBND-VP ngày 01/06/2025"}]
    assert decision.summary() == ("Được phép: yêu cầu hợp nhất (merge request) sửa 2 tệp "
                                  "(thuyên chuyển công tác trong tỉnh: 1, cấp lại mật khẩu: 1).")


def test_a_delegation_change_lists_who_reads_before_and_after():
    base = good_files()
    head = edit(base, [{"file": "tienlu.yml", "replace": "  delegates: [tvan]",
                        "with": "  delegates: [tvan, lthoa]"},
                       {"file": "tienlu.yml", "replace": '  request: {number: "12/UBND-VP"',
                        "with": '  request: {number: "13/UBND-VP"'}])
    events = decide(base, head, "vanthu-tienlu").to_dict()["events"]
    assert events == [{"kind": "delegate", "address": "tienlu", "path": "mailboxes/tienlu.yml",
                       "from": "mailboxes/tienlu.yml", "before": ["tvan"],
                       "after": ["lthoa", "tvan"]}]


def test_non_data_paths_are_warnings_for_sotttt_and_listed_at_most_20():
    tree = tuple(TreeChange("A", f"roles/x/file{n:02}.j2", "000000", "100644")
                 for n in range(25))
    files = good_files()
    clerk = decide(files, files, "vanthu-anvien", facts=Facts(tree=tree))
    assert [v.code for v in clerk.violations] == ["HP040"]
    assert "roles/x/file19.j2" in clerk.summary() and "file20" not in clerk.summary()
    assert "và 5 tệp khác" in clerk.summary()
    sotttt = decide(files, files, "vanthu-sotttt", facts=Facts(tree=tree))
    warnings = sotttt.to_dict()["warnings"]
    assert sotttt.allowed and len(warnings) == 21
    assert warnings[0] == ("tệp ngoài khai báo hộp thư (người duyệt kiểm tra kỹ): "
                           "roles/x/file00.j2 (ngoài mailboxes/, approvals/)")
    assert warnings[-1] == "và 5 tệp khác ngoài khai báo hộp thư"


def test_a_path_is_shown_without_its_control_characters():
    tree = (TreeChange("A", "docs/a\nb.md", "000000", "100644"),)
    files = good_files()
    decision = decide(files, files, "vanthu-anvien", facts=Facts(tree=tree))
    assert "docs/a\\u000ab.md" in decision.summary()


# ------------------------------------------------------------ CODEOWNERS


def test_codeowners_gives_each_file_to_its_owners_and_everything_to_sotttt():
    lines = codeowners_text(good_files()).splitlines()
    assert lines[0].startswith("# Tạo tự động bằng lệnh `make codeowners`")
    assert lines[0].endswith("không sửa thủ công.")
    rules = [line for line in lines if not line.startswith("#")]
    assert rules == [
        "* @vanthu-sotttt @pheduyet-sotttt",
        "/approvals/ @vanthu-sotttt @pheduyet-sotttt",
        "/mailboxes/anvien.yml @vanthu-anvien @vanthu-sotttt @pheduyet-sotttt",
        "/mailboxes/sotttt.yml @vanthu-sotttt @pheduyet-sotttt",
        "/mailboxes/tienlu.yml @vanthu-tienlu @vanthu-sotttt @pheduyet-sotttt",
        "/mailboxes/ttvangiang.yml @vanthu-ttvangiang @vanthu-sotttt @pheduyet-sotttt",
        "/mailboxes/vangiang.yml @vanthu-vangiang @vanthu-sotttt @pheduyet-sotttt",
    ]


def test_codeowners_never_copies_what_is_not_a_user_name():
    files = good_files()
    files["mailboxes/vangiang.yml"] = (
        b"agency:\n  owners: [\"ok-user\", \"x\\n* @ke-gian\", \"hai tu\"]\n")
    files["mailboxes/bad name.yml"] = b"agency:\n  owners: [ai-do]\n"
    text = codeowners_text(files)
    assert "/mailboxes/vangiang.yml @ok-user @vanthu-sotttt" in text
    assert "ke-gian" not in text and "hai tu" not in text and "ai-do" not in text


def test_the_repository_codeowners_is_current():
    stale = codeowners_violation(checkout_files(str(ROOT)))
    assert stale is None, "chạy make codeowners"


def test_stale_or_missing_codeowners_is_refused():
    files = good_files()
    assert codeowners_violation(files).code == "HP003"
    files[CODEOWNERS] = codeowners_text(files).encode()
    assert codeowners_violation(files) is None
    files["mailboxes/vangiang.yml"] = files["mailboxes/vangiang.yml"].replace(
        b"owners: [vanthu-vangiang]", b"owners: [vanthu-vangiang, vanthu-moi]")
    assert "HP003 tệp CODEOWNERS không khớp" in codeowners_violation(files).message


@pytest.mark.parametrize("stale", [False, True])
@pytest.mark.parametrize("head_valid", [True, False])
def test_decide_checks_codeowners_from_the_head_it_read(stale, head_valid):
    base = good_files()
    base[CODEOWNERS] = codeowners_text(base).encode()
    head = dict(base)
    head["mailboxes/vangiang.yml"] = head["mailboxes/vangiang.yml"].replace(
        b"owners: [vanthu-vangiang]", b"owners: [vanthu-vangiang, vanthu-moi]")
    if not stale:
        head[CODEOWNERS] = codeowners_text(head).encode()
    if not head_valid:
        head["mailboxes/anvien.yml"] += b"  - name: 42\n"
    codes = [v.code for v in decide(base, head, "pheduyet-sotttt",
                                    check_codeowners=True).violations]
    assert ("HP003" in codes) is stale, codes
    assert ("HP002" in codes) is not head_valid, codes
    assert (codeowners_violation(head) is not None) is stale
    assert "HP003" not in [v.code for v in decide(base, head, "pheduyet-sotttt").violations]


def test_a_large_side_is_read_by_every_cpu_with_the_same_decision(monkeypatch):
    from ansible_collections.hungyen.mail.plugins.module_utils.change_request import policy

    case = next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "transfer_into_a_third_agency_is_not_the_author_s")
    alone = run(case)
    forks = []
    monkeypatch.setattr(policy, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(policy, "cpus", lambda: 2)
    monkeypatch.setattr(policy, "fork_map", lambda *a: forks.append(a[2]) or fork_map(*a))
    together = run(case)
    assert forks and set(forks) == {2}
    assert (together.violations, together.counts) == (alone.violations, alone.counts)
    assert together.to_dict()["events"] == alone.to_dict()["events"]


def test_codeowners_command_writes_then_checks(tmp_path, capsys):
    (tmp_path / "mailboxes").mkdir()
    for key, raw in good_files().items():
        (tmp_path / key).write_bytes(raw)
    assert main(["codeowners", "--root", str(tmp_path), "--check"]) == 1
    assert main(["codeowners", "--root", str(tmp_path), "--write"]) == 0
    assert main(["codeowners", "--root", str(tmp_path), "--check"]) == 0
    assert "Đã ghi" in capsys.readouterr().out


# ------------------------------------------------------------ the operator's name


def refused_by_everything() -> dict:
    """A case whose refusals name the operator in the message and in the fix."""
    return next(row.values[0] for row in case_table("policy_cases.yml")
                if row.id == "owner_edits_another_agency_file")


@pytest.mark.parametrize(("operator", "named"), [
    (None, "người duyệt của đơn vị quản lý hệ thống thư điện tử công vụ (@vanthu-sotttt"),
    ("Sở KH&CN", "người duyệt của Sở KH&CN (@vanthu-sotttt"),
])
def test_the_operator_is_named_by_the_caller_never_by_the_code(operator, named):
    case = refused_by_everything()
    base, head = sides(case)
    summary = decide(base, head, case["author"], operator=operator).summary()
    assert named in summary and "Sở TTTT" not in summary
    hp001 = decide(base, head, "", operator=operator).summary()
    assert "Sở TTTT" not in hp001 and "()" not in hp001


@pytest.mark.parametrize("code", sorted(CATALOG))
def test_no_catalog_text_names_the_operator_or_nests_a_citation(code):
    what, basis, fix = CATALOG[code]
    for text in (what, basis, fix):
        assert "Sở TTTT" not in text and "Sở Thông tin" not in text
    assert not re.search(r"Điều \d+\.\d", basis), basis
    assert " thay đổi này" not in what  # the merge request is a yêu cầu hợp nhất


@pytest.mark.parametrize(("problem", "fields"), [
    ("dòng 1: thiếu mục bắt buộc reason. Cách sửa: thêm mục 'reason'.",
     {"detail": "dòng 1: thiếu mục bắt buộc reason", "fix": "thêm mục 'reason'"}),
    ("dòng 2: không đọc được", {"detail": "dòng 2: không đọc được",
                               "fix": "sửa biên bản theo approvals/README.md"}),
])
def test_an_approval_problem_keeps_its_own_fix_once(problem, fields):
    assert problem_words(problem) == fields
    message = render("HP031", **fields)
    assert message.count("Cách sửa:") == 1 and "HY0" not in message and "((" not in message

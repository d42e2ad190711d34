"""The records of the configuration files the roles write (apply/managed_files.py) and the
drift report's HYD005: a file edited by hand or gone, named with the service that reads it."""

from __future__ import annotations

import json
import os
import pathlib
import stat

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift, managed_files
from ansible_collections.hungyen.mail.plugins.module_utils.apply.managed_files import (
    ManifestError,
    edits,
    manifest_path,
    record,
)

DOMAIN = "hungyen.gov.vn"


@pytest.fixture(name="host")
def fixture_host(tmp_path):
    """A host's files (embedded layout: the configuration under state_dir/etc) and its
    state_dir."""
    state = tmp_path / "state"
    for name, text in (("etc/postfix/main.cf", "myhostname = mail\n"),
                       ("etc/postfix/master.cf", "smtp inet n - y - - smtpd\n"),
                       ("etc/dovecot/dovecot.conf", "protocols = imap\n")):
        (state / name).parent.mkdir(parents=True, exist_ok=True)
        (state / name).write_text(text)
    return state


def files_of(state, *names_and_readers) -> list[dict]:
    return [{"path": str(state / name), "reader": reader} for name, reader in names_and_readers]


MAIL = (("etc/postfix/main.cf", "postfix"), ("etc/postfix/master.cf", "postfix"),
        ("etc/dovecot/dovecot.conf", "dovecot"))


# --------------------------------------------------------------------------- recording

# (what happens between the first record and the second, whether the second changes)
RECORDS = [
    ("nothing", lambda state: None, False),
    ("a file's content changes", lambda state: (state / "etc/postfix/main.cf")
     .write_text("myhostname = other\n"), True),
    ("only the mode changes", lambda state: os.chmod(state / "etc/postfix/main.cf", 0o600),
     False),
    ("the record is unreadable", lambda state: _spoil_record(state), True),
]


def _spoil_record(state) -> None:
    with open(manifest_path(str(state), "mailserver"), "w", encoding="utf-8") as handle:
        handle.write("{")


@pytest.mark.parametrize(("between", "then_changed"), [case[1:] for case in RECORDS],
                         ids=[case[0] for case in RECORDS])
def test_a_record_changes_only_when_a_file_did(host, between, then_changed):
    first = record(str(host), "mailserver", files_of(host, *MAIL))
    assert first["changed"] and first["path"] == str(host / "etc/managed/mailserver.json")
    assert stat.S_IMODE(os.stat(first["path"]).st_mode) == 0o600
    between(host)
    second = record(str(host), "mailserver", files_of(host, *MAIL))
    assert second["changed"] is then_changed
    assert json.loads(pathlib.Path(second["path"]).read_text("utf-8")) == second["manifest"]
    assert record(str(host), "mailserver", files_of(host, *MAIL))["changed"] is False


def test_a_record_holds_each_file_once_with_its_reader_and_digest(host):
    result = record(str(host), "mailserver", files_of(host, *MAIL))
    manifest = result["manifest"]
    assert manifest["version"] == 1 and manifest["role"] == "mailserver"
    assert {path: entry["reader"] for path, entry in manifest["files"].items()} == {
        str(host / name): reader for name, reader in MAIL}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert result["diff"]["before"] == "" and result["diff"]["after"].startswith("{")


def test_check_mode_writes_nothing_and_names_the_files_not_written_yet(host):
    wanted = files_of(host, *MAIL, ("etc/systemd/hymail.conf", "systemd"))
    result = record(str(host), "mailserver", wanted, check_mode=True)
    assert result["changed"] and result["missing"] == [str(host / "etc/systemd/hymail.conf")]
    assert not os.path.exists(result["path"])
    assert result["diff"]["after"] and result["diff"]["before"] == ""


def test_check_mode_after_a_record_reports_no_change(host):
    record(str(host), "mailserver", files_of(host, *MAIL))
    again = record(str(host), "mailserver", files_of(host, *MAIL), check_mode=True)
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"]


# (role, files, the reason the message gives)
REFUSED = [
    ("mailserver", (("etc/postfix/khong-co.cf", "postfix"),),
     "tệp {state}/etc/postfix/khong-co.cf không có trên máy"),
    ("mailserver", (("etc/postfix/main.cf", "exim"),),
     "dịch vụ đọc tệp 'exim' của {state}/etc/postfix/main.cf không dùng được"),
    ("mailserver", (("etc/postfix/main.cf", "postfix"), ("etc/postfix/main.cf", "postfix")),
     "tệp {state}/etc/postfix/main.cf có hai lần"),
    ("Mail/Server", (("etc/postfix/main.cf", "postfix"),),
     "tên vai trò chỉ gồm chữ thường không dấu, chữ số và dấu _"),
]


@pytest.mark.parametrize(("role", "files", "why"), REFUSED)
def test_a_list_the_record_cannot_hold_is_refused_with_hyd011(host, role, files, why):
    with pytest.raises(ManifestError) as raised:
        record(str(host), role, files_of(host, *files))
    assert str(raised.value).startswith(f"HYD011 danh sách tệp cấu hình của vai trò {role} "
                                        f"không dùng được: {why.format(state=host)}. Cách sửa:")
    assert "postfix, dovecot, systemd, firewall, apt" in str(raised.value)
    assert not os.path.exists(manifest_path(str(host), "mailserver"))


def test_a_relative_path_is_refused(host):
    with pytest.raises(ManifestError, match="HYD011 .*'main.cf' không phải đường dẫn tuyệt đối"):
        record(str(host), "mailserver", [{"path": "main.cf", "reader": "postfix"}])


# ------------------------------------------------------------------------ the drift side

def _edit(state):
    (state / "etc/postfix/main.cf").write_text("myhostname = sua-tay\n")


def _remove(state):
    (state / "etc/dovecot/dovecot.conf").unlink()


# (what is done after the record, the findings as (file, reader, state))
FINDINGS = [
    ("unchanged", lambda state: None, []),
    ("mode changed only", lambda state: os.chmod(state / "etc/postfix/main.cf", 0o600), []),
    ("edited by hand", _edit, [("etc/postfix/main.cf", "postfix", "edited")]),
    ("removed", _remove, [("etc/dovecot/dovecot.conf", "dovecot", "missing")]),
    ("edited and removed", lambda state: (_edit(state), _remove(state)),
     [("etc/postfix/main.cf", "postfix", "edited"),
      ("etc/dovecot/dovecot.conf", "dovecot", "missing")]),
]


@pytest.mark.parametrize(("after", "expected"), [case[1:] for case in FINDINGS],
                         ids=[case[0] for case in FINDINGS])
def test_drift_finds_each_recorded_file_edited_or_gone(host, after, expected):
    record(str(host), "mailserver", files_of(host, *MAIL))
    after(host)
    found = edits(str(host))
    assert sorted((e["file"], e["reader"], e["state"]) for e in found) == sorted(
        (str(host / name), reader, state) for name, reader, state in expected)
    assert all(e["role"] == "mailserver" and len(e["expected"]) == 64 for e in found)


def test_drift_reads_every_roles_record(host):
    (host / "nft").mkdir()
    (host / "nft/hymail.nft").write_text("table inet hymail {}\n")
    record(str(host), "mailserver", files_of(host, *MAIL))
    record(str(host), "hardening", files_of(host, ("nft/hymail.nft", "firewall")))
    (host / "nft/hymail.nft").write_text("table inet hymail { chain input {} }\n")
    _edit(host)
    assert [(e["role"], e["reader"]) for e in edits(str(host))] == [
        ("hardening", "firewall"), ("mailserver", "postfix")]


def test_no_record_yet_is_no_finding(tmp_path):
    assert edits(str(tmp_path)) == []


def _not_json(path):
    path.write_text("{ không phải JSON")


def _not_a_record(path):
    path.write_text(json.dumps({"version": 1, "role": "mailserver",
                                "files": {"/etc/postfix/main.cf": {"reader": "postfix"}}}))


def _other_version(path):
    path.write_text(json.dumps({"version": 2, "role": "mailserver", "files": {}}))


def _a_directory(path):
    path.mkdir()


# (how the record is spoiled, the reason the message gives)
UNREADABLE = [
    (_not_json, "nội dung không phải JSON hợp lệ"),
    (_not_a_record, "nội dung không đúng dạng"),
    (_other_version, "nội dung không đúng dạng"),
    (_a_directory, "đường dẫn là một thư mục"),
]


@pytest.mark.parametrize(("spoil", "why"), UNREADABLE)
def test_an_unreadable_record_is_hyd010_naming_it(host, spoil, why):
    path = host / "etc/managed/mailserver.json"
    path.parent.mkdir(parents=True)
    spoil(path)
    with pytest.raises(ManifestError) as raised:
        edits(str(host))
    assert str(raised.value).startswith(
        f"HYD010 không đọc được danh sách tệp cấu hình {path} ({why}). Cách sửa: chạy lại "
        "make apply")
    with pytest.raises(drift.DriftError, match="^HYD010 "):
        drift._config_edits(str(host))


def test_a_staging_file_beside_the_records_is_not_read(host):
    record(str(host), "mailserver", files_of(host, *MAIL))
    (host / "etc/managed/.mailserver.json.x1y2.tmp").write_text("{")
    assert edits(str(host)) == []


# ----------------------------------------------------------------------- the report

def config_report(host) -> dict:
    record(str(host), "mailserver", files_of(host, *MAIL))
    _edit(host)
    _remove(host)
    return drift.build([], [], [], DOMAIN, edits(str(host)))


def test_hyd005_is_drift_with_its_count(host):
    report = config_report(host)
    assert report["drift"] is True and report["summary"]["config_edits"] == 2
    assert report["codes"]["config_edits"] == "HYD005"
    assert drift.summary_text(report["summary"]) == "2 mục HYD005"


@pytest.mark.parametrize(("fragment", "expected"), [
    ("| HYD005 |", "| HYD005 | Tệp cấu hình do công cụ ghi bị sửa thủ công hoặc bị xóa (mã băm "
                   "SHA-256 khác với lần áp dụng cuối) | 2 |"),
    ("## HYD005", "## HYD005 Tệp cấu hình do công cụ ghi bị sửa thủ công hoặc bị xóa"),
    ("main.cf`:", "main.cf`: nội dung đã bị sửa; dịch vụ đọc tệp: Postfix (vai trò "
                  "`mailserver`)"),
    ("dovecot.conf`:", "dovecot.conf`: tệp đã bị xóa; dịch vụ đọc tệp: Dovecot (vai trò "
                       "`mailserver`)"),
])
def test_hyd005_names_the_file_and_what_reads_it(host, fragment, expected):
    text = drift.render_markdown(config_report(host))
    [line] = [line for line in text.splitlines() if fragment in line]
    assert expected in line
    assert f"`{host}/etc/postfix/main.cf`" in text


def test_an_unknown_reader_in_a_record_is_shown_as_written_in_code():
    entry = {"file": "/etc/x.conf", "reader": "exim [x](y)", "role": "r", "state": "edited"}
    text = drift.render_markdown(drift.build([], [], [], DOMAIN, [entry]))
    assert "dịch vụ đọc tệp: `exim [x](y)`" in text


def test_a_report_without_config_edits_reads_as_before():
    report = drift.build([], [], [], DOMAIN)
    assert report["config_edits"] == [] and report["drift"] is False
    older = {key: value for key, value in report.items() if key != "config_edits"}
    assert "Không có sai lệch" in drift.render_markdown(older)


def test_every_reader_the_module_accepts_has_words_in_the_report():
    assert set(managed_files.READERS) == {"postfix", "dovecot", "systemd", "firewall", "apt",
                                          "rspamd", "nginx", "web"}
    assert all(words and "`" not in words for words in managed_files.READERS.values())


# ------------------------------------------------ the role's check at its start

@pytest.mark.parametrize(("case", "expect"), [
    ("same", (True, [])),
    ("other inputs", (False, ["mã nguồn hoặc biến của vai trò đã đổi"])),
    ("edited", (False, ["tệp {file} bị sửa"])),
    ("removed", (False, ["tệp {file} không còn"])),
    ("no record", (False, ["chưa có bản ghi của lần chạy trước"])),
    ("record without inputs", (False, ["mã nguồn hoặc biến của vai trò đã đổi"])),
    ("forced", (False, ["có -e mailserver_force=true"])),
    ("services stopped", (False, [
        "các dịch vụ không ở trạng thái vai trò để lại (có dịch vụ đã dừng)"])),
])
def test_the_last_run_holds_only_when_nothing_changed(tmp_path, case, expect):
    config = tmp_path / "main.cf"
    config.write_text("a = 1\n")
    inputs, other = "a" * 64, "b" * 64
    files = [{"path": str(config), "reader": "postfix"}]
    if case != "no record":
        managed_files.record(str(tmp_path), "mailserver", files,
                             inputs=None if case == "record without inputs" else inputs)
    if case == "edited":
        config.write_text("a = 2\n")
    if case == "removed":
        config.unlink()
    answer = managed_files.current(
        str(tmp_path), "mailserver", other if case == "other inputs" else inputs,
        force=case == "forced", services_ready=case != "services stopped")
    assert (answer["current"], answer["why"]) == (
        expect[0], [why.format(file=config) for why in expect[1]])
    assert answer["msg"].startswith("HYD012 " if expect[0] else "HYD013 ")


def test_a_record_keeps_only_a_digest_as_its_inputs(tmp_path):
    with pytest.raises(managed_files.ManifestError, match="HYD011"):
        managed_files.record(str(tmp_path), "mailserver", [], inputs="mat-khau")
    with pytest.raises(managed_files.ManifestError, match="HYD011"):
        managed_files.current(str(tmp_path), "mailserver", "A" * 64)

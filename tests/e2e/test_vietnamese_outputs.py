"""Everything people read, after a real run exercising every action, in the glossary's words,
and under a second operator with no trace of the first (issue 20).

One province, run by the real playbooks against the session's Postfix + Dovecot, with the
operator the inventory would name after a reorganisation (Sở Khoa học và Công nghệ): a first
apply creates everyone; a second renames, moves, tạm khóa, thu hồi, ủy quyền, cấp lại mật
khẩu, cập nhật danh bạ and cấp mới; an emergency measure holds one mailbox; a third apply
khôi phục and cấp lại the revoked one and leaves an undeclared mailbox on the server. Then the
plan, the GitLab note, every notice (decoded from MIME), the drift report, the periodic report
and the directory are read as people read them: no avoided term, no English word in capitals,
no ISO date or time in prose (tests/glossary_check.py), and no name of the first operator.
"""

from __future__ import annotations

import csv
import email
import email.policy
import html.parser
import io
import json
import pathlib
import re
from collections.abc import Iterator

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.change_request import gitlab_note
from e2e_support import run_playbook, wipe
from glossary_check import findings

pytestmark = [pytest.mark.server, pytest.mark.playbook]

MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json\n"
SECOND_OPERATOR = {
    "operator_mailbox": "sokhcn",
    "operator": {"mailbox": "sokhcn", "name": "Sở Khoa học và Công nghệ tỉnh Hưng Yên",
                 "short_name": "Sở KH&CN", "technical_unit": "Trung tâm Chuyển đổi số"},
}
# What the first operator's name looks like in any output (its mailbox, names and unit).
FIRST_OPERATOR = re.compile(r"sotttt|TTTT|Thông tin và Truyền thông|Truyền thông",
                            re.IGNORECASE)
# A generated password is no text: it may hold any capitals (the message page shows it so).
PASSWORD_LINE = re.compile(r"^(\s*Mật khẩu: )(\S+)$", re.MULTILINE)
LETTER = {"number": "15/UBND-VP", "date": "2026-11-20"}
LETTER_2 = {"number": "16/UBND-VP", "date": "2026-11-27"}
LETTER_3 = {"number": "17/UBND-VP", "date": "2026-12-01"}


def person(name: str, title: str, request: dict = LETTER, **fields) -> dict:
    return {"name": name, "title": title, "publish": True, "request": request, **fields}


def province_v1() -> dict[str, dict]:
    """The operator, a district with a division, and a commune."""
    return {
        "sokhcn": {
            "agency": {"name": "Sở Khoa học và Công nghệ", "kind": "department",
                       "address": "sokhcn", "owners": ["vanthu-sokhcn", "pheduyet-sokhcn"],
                       "request": LETTER},
            "people": [person("Nguyễn Hoàng Phúc", "Chuyên viên")],
        },
        "tienlu": {
            "agency": {"name": "Ủy ban nhân dân huyện Tiên Lữ", "kind": "district",
                       "code": "332", "owners": ["vanthu-tienlu"], "request": LETTER},
            "divisions": [{"name": "Phòng Nội vụ", "abbreviation": "pnv", "request": LETTER}],
            "people": [
                person("Trần Văn An", "Chánh Văn phòng"),
                person("Lê Thị Hoa", "Trưởng phòng", division="pnv"),
                person("Phạm Minh Đức", "Chuyên viên"),
                person("Võ Thị Lan", "Chuyên viên"),
                person("Đặng Văn Bình", "Chuyên viên"),
                person("Hoàng Thị Mai", "Văn thư"),
            ],
        },
        "anvien": {
            "agency": {"name": "Ủy ban nhân dân xã An Viên", "kind": "commune",
                       "parent": "tienlu", "owners": ["vanthu-anvien"], "request": LETTER},
            "people": [person("Đỗ Đức Đạt", "Chủ tịch UBND xã")],
        },
    }


def province_v2() -> dict[str, dict]:
    """Every action of a merge request but khôi phục and cấp lại hộp thư đã thu hồi."""
    files = province_v1()
    tienlu = files["tienlu"]
    tienlu["agency"]["delegates"] = ["tvan"]  # ủy quyền sử dụng
    people = {p["name"]: p for p in tienlu["people"]}
    people["Phạm Minh Đức"].update(status="locked", lock_reason="compromised",
                                   request=LETTER_2)  # tạm khóa
    people["Võ Thị Lan"].update(status="revoked", request=LETTER_2)  # thu hồi
    people["Lê Thị Hoa"]["password_reset"] = LETTER_2  # cấp lại mật khẩu
    people["Trần Văn An"]["title"] = "Chánh Văn phòng HĐND và UBND"  # cập nhật danh bạ
    tienlu["divisions"][0].update(name="Phòng Nội vụ và Lao động", abbreviation="pnvld",
                                  previous_addresses=["pnv.tienlu"])  # đổi tên
    people["Lê Thị Hoa"]["division"] = "pnvld"
    tienlu["people"].append(person("Ngô Thị Thu", "Chuyên viên", LETTER_2))  # cấp mới
    # Thuyên chuyển công tác trong tỉnh: Hoàng Thị Mai goes to An Viên.
    tienlu["people"].remove(people["Hoàng Thị Mai"])
    files["anvien"]["people"].append(person("Hoàng Thị Mai", "Công chức", LETTER_2))
    return files


def province_v3() -> dict[str, dict]:
    """Khôi phục, cấp lại hộp thư đã thu hồi; Đặng Văn Bình left undeclared (drift)."""
    files = province_v2()
    people = {p["name"]: p for p in files["tienlu"]["people"]}
    for name in ("Phạm Minh Đức", "Võ Thị Lan"):
        people[name].pop("lock_reason", None)
        people[name].update(status="active", request=LETTER_3)
    files["tienlu"]["people"].remove(people["Đặng Văn Bình"])
    return files


class _Dumper(yaml.SafeDumper):
    """Every value written out (a clerk's file has no anchors, HY003)."""

    def ignore_aliases(self, data):
        return True


def write_province(directory: pathlib.Path, files: dict[str, dict]) -> None:
    directory.mkdir(exist_ok=True)
    for old in directory.glob("*.yml"):
        old.unlink()
    for address, data in files.items():
        text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=200)
        (directory / f"{address}.yml").write_text(MODELINE + text, "utf-8")


def playbook(server, name: str, *extra: str) -> str:
    """One playbook under the second operator; its output (it must succeed)."""
    result = run_playbook(name, str(server.state_dir), "-e", json.dumps(SECOND_OPERATOR),
                          *extra)
    assert result.returncode == 0, f"{name}:\n{result.stdout[-5000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def notices(server) -> dict[str, str]:
    """Every notice delivered to a mailbox, decoded as a mail client shows it."""
    found = {}
    for path in sorted(pathlib.Path(server.state_dir, "mail").rglob("*")):
        if path.is_file() and path.parent.name in ("new", "cur"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["X-Hymail-Notice"]:
                body = PASSWORD_LINE.sub(r"\1<mật khẩu>",
                                         message.get_body(("plain",)).get_content())
                found[f"notice {path.parents[2].name}/{path.name[:12]}"] = (
                    f"{message['Subject']}\n{body}")
    return found


class _Text(html.parser.HTMLParser):
    """The text of a page as a browser shows it (no markup, scripts or styles)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        self._hidden += tag in ("script", "style")
        self.parts.extend(value for name, value in attrs
                          if name in ("title", "alt", "aria-label", "placeholder") and value)

    def handle_endtag(self, tag):
        self._hidden -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


ISO_CELL = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:\d{2}|Z)?)?$")


def as_read(path: pathlib.Path) -> str:
    """A file's text as people read it: a page's text, a vCard's values, a spreadsheet's
    cells but its ISO columns (kept for machines beside their dd/mm/yyyy column)."""
    text = path.read_text("utf-8-sig")
    if path.suffix == ".html":
        parser = _Text()
        parser.feed(text)
        return "\n".join(parser.parts)
    if path.suffix == ".vcf":
        return "\n".join(line.split(":", 1)[1] for line in text.splitlines() if ":" in line
                         and not line.startswith(("BEGIN", "END", "VERSION", "KIND", "UID")))
    if path.suffix == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
        return "\n".join(" | ".join(cell for cell in row if not ISO_CELL.match(cell.strip()))
                         for row in rows)
    return text


@pytest.fixture(scope="module")
def outputs(server, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Run the whole story once on the emptied session server (other tests' notices, sent
    under the first operator, must not be read as this story's); every text people read,
    by where it was read."""
    wipe(str(server.state_dir))
    work = tmp_path_factory.mktemp("vietnamese")
    tree, build = work / "mailboxes", work / "build"
    build.mkdir()
    read: dict[str, str] = {}
    common = ("-e", f"mailboxes_dir={tree}", "-e", f"desired_file={build / 'desired.json'}")

    write_province(tree, province_v1())
    playbook(server, "apply.yml", *common)

    write_province(tree, province_v2())
    plan = build / "plan.json"
    playbook(server, "plan.yml", *common, "-e", f"plan_file={plan}")
    read["plan.md"] = (build / "plan.md").read_text("utf-8")
    read["gitlab note"] = gitlab_note.note_body(read["plan.md"], {
        "sha": "a1b2c3d4e5f6a7b8c9d0", "at": "2026-11-28T22:14:05+00:00",
        "job_url": "https://gitlab.example/hy/mail/-/jobs/7"})
    playbook(server, "apply.yml", *common, "-e", "change_author=vanthu-tienlu")

    playbook(server, "emergency.yml", "-e", "address=dddat", "-e", "action=lock",
             "-e", json.dumps({"reason": "tài khoản gửi thư lừa đảo hàng loạt"}),
             "-e", "by=pheduyet-sokhcn", "-e", f"snapshot_file={build / 'snapshot.json'}")

    write_province(tree, province_v3())
    playbook(server, "plan.yml", *common, "-e", f"plan_file={build / 'plan3.json'}")
    read["plan 3.md"] = (build / "plan3.md").read_text("utf-8")
    playbook(server, "apply.yml", *common, "-e", "change_author=vanthu-tienlu")

    drift = build / "drift.json"
    result = run_playbook("drift.yml", str(server.state_dir), "-e", json.dumps(SECOND_OPERATOR),
                          *common, "-e", f"drift_file={drift}",
                          "-e", f"snapshot_file={build / 'snapshot.json'}")
    assert drift.with_suffix(".md").exists(), result.stdout[-3000:]
    read["drift.md"] = drift.with_suffix(".md").read_text("utf-8")

    playbook(server, "report.yml", "-e", f"report_dir={build / 'report'}")
    for path in sorted((build / "report").rglob("*")):
        if path.suffix in (".md", ".csv", ".html"):
            read[f"report {path.relative_to(build)}"] = as_read(path)

    playbook(server, "directory.yml", *common, "-e", f"directory_dir={build / 'directory'}")
    for path in sorted((build / "directory").rglob("*")):
        if path.suffix in (".html", ".csv", ".vcf"):
            read[f"directory {path.relative_to(build)}"] = as_read(path)

    read.update(notices(server))
    yield read
    wipe(str(server.state_dir))


def test_the_story_reaches_every_output(outputs):
    kinds = ("plan.md", "plan 3.md", "gitlab note", "drift.md", "report ", "directory ",
             "notice ")
    for kind in kinds:
        assert any(where.startswith(kind) and text.strip() for where, text in outputs.items()), \
            (kind, sorted(outputs))
    plan = outputs["plan.md"]
    for action in ("create", "rename", "move", "lock", "revoke", "delegate", "reset_password",
                   "update"):
        assert f"`{action}`" in plan or action in json.dumps(plan), action
    assert "khẩn cấp" in outputs["plan 3.md"]


def test_no_avoided_term_english_or_iso_date_in_what_people_read(outputs):
    found = [finding for where, text in outputs.items() for finding in findings(text, where)]
    assert not found, "\n".join(found[:60])


def test_the_second_operator_leaves_no_trace_of_the_first(outputs):
    traces = [f"{where}: …{text[max(0, m.start() - 40):m.end() + 40]}…"
              for where, text in outputs.items() for m in FIRST_OPERATOR.finditer(text)]
    assert not traces, "\n".join(traces[:40])
    assert any("Sở Khoa học và Công nghệ" in text for where, text in outputs.items()
               if where.startswith("notice "))


def test_dates_and_times_are_day_first_in_vietnam_time(outputs):
    shown = "\n".join(text for where, text in outputs.items() if not where.endswith(".csv"))
    assert re.search(r"\b\d{2}/\d{2}/20\d{2}\b", shown)
    assert not re.search(r"\b20\d{2}-\d{2}-\d{2}T\d{2}:\d{2}", shown)

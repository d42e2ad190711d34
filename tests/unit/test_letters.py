"""The letter a record cites: a request letter (request) or the decision it rests on (basis).

One model (declared/model.Request) for every reader; a request letter's stored form does not
change; the imported province cites the inventory's regulation as its basis, and the plan
sees no change for it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.declared import desired as desired_mod
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import (
    Mailbox,
    Request,
    document_kind,
    letter_dict,
    letter_line,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.schema_errors import (
    schema_problems,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validate import validate_tree
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
    schema_validator,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.yamlsafe import load_text
from ansible_collections.hungyen.mail.plugins.module_utils.plan.accounts import (
    account_from_mailbox,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.planner import plan_changes

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = str(ROOT / "schemas" / "agency.schema.json")
GOOD = ROOT / "tests" / "fixtures" / "good"
_SPEC = importlib.util.spec_from_file_location("import_province",
                                               ROOT / "tools" / "import_province.py")
import_province = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(import_province)

DECISION = {"number": "08/2017/QĐ-UBND", "date": "2017-06-02",
            "issuer": "Ủy ban nhân dân tỉnh Hưng Yên"}


@pytest.mark.parametrize(("data", "line"), [
    ({"number": "15/UBND", "date": "2026-11-20"},
     "Văn bản đề nghị: số 15/UBND ngày 20/11/2026"),
    (DECISION, "Căn cứ: Quyết định số 08/2017/QĐ-UBND ngày 02/06/2017 của Ủy ban nhân dân "
               "tỉnh Hưng Yên"),
    ({"number": "1661/NQ-UBTVQH15", "date": "2025-06-16", "issuer": "Ủy ban Thường vụ Quốc hội"},
     "Căn cứ: Nghị quyết số 1661/NQ-UBTVQH15 ngày 16/06/2025 của Ủy ban Thường vụ Quốc hội"),
    ({"number": "12/UBND-VP", "date": "2024-03-01", "issuer": "Ủy ban nhân dân huyện Tiên Lữ"},
     "Căn cứ: Văn bản số 12/UBND-VP ngày 01/03/2024 của Ủy ban nhân dân huyện Tiên Lữ"),
])
def test_a_letter_is_named_by_its_kind_with_a_vietnamese_date(data, line):
    letter = Request.from_dict(data)
    assert letter.line() == line
    assert letter_line(data) == line
    assert letter.to_dict() == data  # a request letter's stored form stays {number, date}
    assert letter.is_basis is ("issuer" in data)


def test_no_letter():
    assert letter_line(None) == "Văn bản đề nghị: (không có)"
    assert letter_dict(None) is None


@pytest.mark.parametrize(("number", "kind"), [
    ("08/2017/QĐ-UBND", "Quyết định"), ("1661/NQ-UBTVQH15", "Nghị quyết"),
    ("05/CT-UBND", "Chỉ thị"), ("12/UBND-VP", "Văn bản"), ("7", "Văn bản"),
    ("3/qđ-ubnd", "Quyết định"),
])
def test_document_kind_from_its_number(number, kind):
    assert document_kind(number) == kind


def test_a_mailbox_keeps_its_basis_through_the_desired_state():
    mailbox = Mailbox("nhphuc", "person", "sotttt", "Nguyễn Hoàng Phúc",
                      request=Request.from_dict(DECISION))
    data = json.loads(json.dumps(mailbox.to_dict()))
    assert data["request"] == DECISION
    assert Mailbox.from_dict(data) == mailbox
    plain = Mailbox("nhphuc", "person", "sotttt", "Nguyễn Hoàng Phúc",
                    request=Request("15/UBND", "2026-11-20"))
    assert plain.to_dict()["request"] == {"number": "15/UBND", "date": "2026-11-20"}


def tree(tmp_path, **files) -> str:
    """The good fixtures with ``files`` laid over them."""
    directory = tmp_path / "mailboxes"
    shutil.copytree(GOOD, directory)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return str(directory)


VANGIANG = """# yaml-language-server: $schema=../schemas/agency.schema.json
agency:
  name: Ủy ban nhân dân huyện Văn Giang
  kind: district
  owners: [a]
  basis: {number: 08/2017/QĐ-UBND, date: "2017-06-02", issuer: Ủy ban nhân dân tỉnh Hưng Yên}
people:
  - name: NAME
    title: Chuyên viên
    request: {number: "1", date: "2024-01-01"}
"""


def test_a_file_citing_a_basis_gives_mailboxes_that_carry_it(tmp_path):
    directory = tree(tmp_path, **{"vangiang.yml": VANGIANG.replace("NAME", "Bùi Văn Nam")})
    result = validate_tree(directory, schema_validator(SCHEMA))
    assert result.problems == []
    agency = next(a for a in result.agencies if a.id == "vangiang")
    boxes = {m.address: m for m in desired_mod.agency_mailboxes(agency)}
    assert boxes["vangiang"].request == Request.from_dict(DECISION)
    assert boxes["vangiang"].request.is_basis
    assert boxes["bvnam"].request == Request("1", "2024-01-01")


@pytest.mark.parametrize("name", ["NguyÔn V¨n Nam", "Nguyeãn Vaên Nam", "Bïi V¨n Nam"])
def test_a_legacy_encoded_name_derives_no_address(tmp_path, name):
    """Before HY050 'NguyÔn V¨n Nam' passed and derived 'nvnnam'; now it is refused once
    and no address is made of it."""
    directory = tree(tmp_path, **{"vangiang.yml": VANGIANG.replace("NAME", name)})
    result = validate_tree(directory, schema_validator(SCHEMA))
    assert [p.code for p in result.problems] == ["HY050"]
    assert result.problems[0].line == 8
    agency = next(a for a in result.agencies if a.id == "vangiang")
    assert [e.role for e in agency.entries] == ["agency"]


def test_nfd_names_derive_the_same_addresses(tmp_path):
    nfc = VANGIANG.replace("NAME", "Đặng Thị Huyền")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    answers = []
    for text in (nfc, nfd):
        target = tmp_path / str(len(answers))
        target.mkdir()
        out = target / "desired.json"
        result = run_validation({"mailboxes_dir": tree(target, **{"vangiang.yml": text}),
                                 "schema_file": SCHEMA, "desired_file": str(out)}, workers=1)
        assert result["problems"] == []
        answers.append(json.loads(out.read_text(encoding="utf-8")))
    assert answers[0] == answers[1]
    people = [m for m in answers[1]["mailboxes"] if m["kind"] == "person"
              and m["agency"] == "vangiang"]
    assert [(m["address"], m["name"]) for m in people] == [("dthuyen", "Đặng Thị Huyền")]


def test_the_import_cites_the_inventory_s_regulation():
    number, date, issuer = import_province.inventory_basis(
        str(ROOT / "inventory" / "local" / "group_vars" / "all.yml"))
    assert (number, date, issuer) == tuple(DECISION.values())
    assert yaml.safe_load(import_province.basis_of(number, date, issuer)) == DECISION
    with pytest.raises(SystemExit):
        import_province.basis_of(number, "", issuer)


def test_every_imported_record_cites_the_decision_as_its_basis():
    """D2: the decision that created the system is no agency's request letter, and it was
    signed on 02/06/2017."""
    count = 0
    for path in sorted((ROOT / "mailboxes").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for record in [data["agency"], *(data.get("divisions") or ()), *(data.get("people") or ())]:
            if record.get("basis") == DECISION:
                count += 1
            assert record.get("request", {}).get("number") != DECISION["number"], path
    assert count >= 191


def test_changing_the_import_s_request_to_its_basis_plans_nothing():
    """The import's records once cited the decision as a request (dated 15/06/2017); the
    server's accounts made from them see no change when the files cite the basis."""
    old = Request("08/2017/QĐ-UBND", "2017-06-15")
    new = Request.from_dict(DECISION)
    directory = {"agency_name": "Ủy ban nhân dân huyện Tiên Lữ"}
    declared = [Mailbox("tienlu", "agency", "tienlu", "Ủy ban nhân dân huyện Tiên Lữ",
                        request=new, directory=directory),
                Mailbox("ptckh.tienlu", "division", "tienlu", "Phòng Tài chính - Kế hoạch",
                        request=new, directory=directory)]
    actual = {m.address: account_from_mailbox(Mailbox(**{**_fields(m), "request": old}))
              for m in declared}
    assert plan_changes(declared, actual) == []


def _fields(mailbox: Mailbox) -> dict:
    return {name: getattr(mailbox, name) for name in (
        "address", "kind", "agency", "name", "status", "lock_reason", "previous", "delegates",
        "request", "password_reset", "directory")}


def test_the_tool_writes_the_files_as_they_are(tmp_path):
    """Re-running the import gives mailboxes/ byte for byte (the rewrite changed one line
    per record and nothing else)."""
    data = Path(os.environ.get("HYMAIL_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not (data / "hungyen-administrative-units-2024.csv").exists():
        pytest.skip("the province's source data is not beside the repository")
    basis = import_province.basis_of(*DECISION.values())
    files = {**import_province.units(str(data), basis), **import_province.bodies(str(data), basis)}
    for address, text in files.items():
        assert (ROOT / "mailboxes" / f"{address}.yml").read_text(encoding="utf-8") == text


def test_a_basis_survives_the_plan_and_the_server_s_account():
    """The plan's, the journal's and the server's copies of a letter keep a basis's issuer,
    so the notices and reports can say Căn cứ instead of Văn bản đề nghị."""
    mailbox = Mailbox("tienlu", "agency", "tienlu", "Ủy ban nhân dân huyện Tiên Lữ",
                      request=Request.from_dict(DECISION))
    [change] = plan_changes([mailbox], {})
    assert change.action == "create"
    assert change.to_dict()["request"] == DECISION
    account = account_from_mailbox(mailbox)
    assert account.to_dict()["request"] == DECISION
    assert account.view()["request"] == DECISION
    assert type(account).from_dict(account.to_dict()).request.line().startswith("Căn cứ: ")


@pytest.mark.parametrize(("letters", "codes"), [
    ("", []),
    ('request: {number: "1/UBND", date: "2025-01-01"}\n', []),
    ('basis: {number: "1/NQ-X", date: "2025-01-01", issuer: Ủy ban nhân dân tỉnh}\n', []),
    ('request: {number: "1/UBND", date: "2025-01-01"}\n'
     'basis: {number: "1/NQ-X", date: "2025-01-01", issuer: Ủy ban nhân dân tỉnh}\n', ["HY052"]),
])
def test_an_approval_cites_at_most_one_letter(letters, codes):
    text = "approved_by: a\nreason: sáp nhập xã theo nghị quyết\nmax_destructive: 5\n" + letters
    data, problems = load_text(text.encode("utf-8"))
    assert problems == []
    check = schema_validator(str(ROOT / "schemas" / "approval.schema.json"))
    found = [message.split()[0] for _line, message in schema_problems(check, data)]
    assert found == codes

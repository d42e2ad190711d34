"""``make bench BENCH_PARTS=...``: the parts of bench/parts/ are found, checked and refused by
name (bench/parts/__init__.py); the measuring itself is the benchmark's, not the suite's."""

from __future__ import annotations

import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import parts  # noqa: E402  (bench/ is not a package: bench/run.py runs with it on sys.path)


def test_every_part_module_keeps_the_contract():
    names = parts.available()
    on_disk = sorted(p.stem for p in (BENCH / "parts").glob("[a-z]*.py"))
    assert names == on_disk
    for name in names:
        module = parts.load(name)
        assert module.TITLE and callable(module.run) and callable(module.render), name


@pytest.mark.parametrize(("name", "message"), [
    ("pipeline", "no benchmark part named 'pipeline'"),  # run.py's own steps, not a module
    ("nosuchpart", "no benchmark part named 'nosuchpart' (known: pipeline"),
    ("../run", "no benchmark part named '../run'"),
    ("os.path", "no benchmark part named 'os.path'"),
])
def test_an_unknown_part_is_refused_by_name(name, message):
    with pytest.raises(ValueError) as error:
        parts.load(name)
    assert str(error.value).startswith(message)


def test_a_module_without_the_contract_is_refused(tmp_path, monkeypatch):
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "__init__.py").write_text(
        (BENCH / "parts" / "__init__.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "parts" / "halfdone.py").write_text("TITLE = 'x'\n\ndef run(ctx):\n"
                                                    "    return {}\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [m for m in sys.modules if m == "parts" or m.startswith("parts.")]:
        monkeypatch.delitem(sys.modules, module)
    import parts as fresh  # the copy under tmp_path

    with pytest.raises(ValueError, match=r"bench/parts/halfdone.py has no render"):
        fresh.load("halfdone")


@pytest.mark.playbook
@pytest.mark.parametrize(("ssl", "expected"), [
    (True, {"imap": 11143, "imaps": 11993, "submission": 11587}),
    (False, {"imap": 11143, "imaps": 0, "submission": 0}),
])
def test_the_parts_find_the_ports_the_role_wrote(tmp_path, ssl, expected):
    """``parts.ports`` reads the listeners back from dovecot.conf and master.cf as the role
    renders them (no submission and no IMAPS without TLS)."""
    from helpers import render_role_templates

    state_dir = tmp_path / "state"
    for server in ("dovecot", "postfix"):
        (state_dir / "etc" / server).mkdir(parents=True)
    render_role_templates(
        {"dovecot.conf.j2": state_dir / "etc" / "dovecot" / "dovecot.conf",
         "master.cf.j2": state_dir / "etc" / "postfix" / "master.cf"},
        {"state_dir": str(state_dir), "listen_address": "127.0.0.1", "imap_port": 11143,
         "smtp_port": 11025, "mailserver_ssl": ssl, "mailserver_imaps_port": 11993,
         "mailserver_submission_port": 11587, "operator_mailbox": "sotttt",
         "operator": {"short_name": "Sở TTTT"}, "mail_domain": "hungyen.gov.vn"})
    assert parts.ports(str(state_dir)) == {**expected, "hostname": "127.0.0.1"}


def test_the_merge_request_checks_are_shown_one_by_one_and_as_the_pipeline_runs_them():
    import tables

    steps = [{"label": f"MR check: {name}", "wall": wall}
             for name, wall in (("validate.yml", 8.0), ("policy.yml", 7.0), ("plan.yml", 11.0))]
    check = {"wall": 26.0, "pipeline": 19.0, "steps": steps}
    assert tables._mr_steps(check) == [
        "The merge-request checks one after the other: validate.yml 8.00 s, policy.yml 7.00 s, "
        "plan.yml 11.00 s. As .gitlab-ci.yml runs them (policy beside validate, plan after "
        "validate): 19.00 s.", ""]
    assert tables._mr_steps({"wall": 26.0, "steps": steps}) == []  # a run from before

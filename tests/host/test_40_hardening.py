"""The hardening role on the deployed test host (issue 19, items 2, 5 and 6; docs/hardening.md).

The firewall table inet hymail is loaded at boot before the mail services, the mail ports
answer from the controller, a port the inventory does not name is closed to it but open
inside, SSH from the controller keeps working, other tables survive an apply, a hand edit of
the table (live and file) is undone by the next apply and left alone with
hardening_enabled=false (which drops the role's record of its files, so that `make drift` no
longer reports them), and unattended-upgrades is set up for the security updates.
Two playbook runs and a drift run in all, each playbook of the hardening part of
playbooks/mailserver.yml only (the play with its condition, without the mailserver role,
which the deploy has just applied):
a task costs 1-3 s over SSH here.
"""

from __future__ import annotations

import imaplib
import json
import pathlib
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import time

import pytest
import yaml
from mail_support import playbook as host_playbook

pytestmark = pytest.mark.testhost

CHECKOUT = pathlib.Path(__file__).resolve().parents[2]
TABLE = "inet hymail"
UNIT = "hymail-firewall.service"
MAIL_UNITS = ("postfix@-.service", "dovecot.service")
CLOSED_PORT = 8080  # opened by no variable of the inventory
NFT_FILE = "/etc/hymail/nftables.nft"
RECORD = "/var/lib/hymail/etc/managed/hardening.json"  # the example inventory's state_dir
HAND_EDIT = "# sua tay (hand edit)"
OTHER_TABLE = "inet hymail_test_other_team"  # stands for a table the project does not own


def inventory(host) -> dict:
    return yaml.safe_load((host.inventory_dir / "group_vars" / "all.yml").read_text("utf-8"))


def hardening_play(directory: pathlib.Path) -> pathlib.Path:
    """playbooks/mailserver.yml with only its hardening role entry, condition included."""
    plays = yaml.safe_load((CHECKOUT / "playbooks" / "mailserver.yml").read_text("utf-8"))
    for play in plays:
        play["roles"] = [entry for entry in play["roles"]
                         if entry["role"] == "hungyen.mail.hardening"]
    assert [play["roles"][0]["when"] for play in plays], "no hardening role in mailserver.yml"
    path = directory / "hardening.yml"
    path.write_text(yaml.safe_dump(plays, allow_unicode=True), "utf-8")
    return path


def playbook(host, path: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    """A playbook against the host, from the controller."""
    env = host.ansible_env()
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["ANSIBLE_NOCOLOR"] = "1"
    done = subprocess.run(
        ["ansible-playbook", str(path), *args], cwd=CHECKOUT, env=env,
        text=True, capture_output=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    return done


def reachable(address: str, port: int, timeout: float = 3) -> bool:
    """A TCP connection from the controller opens (a dropped SYN times out)."""
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def reachable_inside(host, address: str, port: int) -> bool:
    code = (f"import socket; socket.create_connection(({address!r}, {port}), timeout=3)")
    return host.run(f"python3 -c {json.dumps(code)}", check=False).returncode == 0


def ruleset(host) -> str:
    return host.run("nft -s list ruleset").stdout


def changed_tasks(stdout: str) -> list[str]:
    """The names of the tasks and handlers that reported a change, from ansible-playbook's
    output."""
    parts = re.split(r"^(?:TASK|RUNNING HANDLER) \[(.+?)\] \**$", stdout, flags=re.M)
    return sorted(name for name, body in zip(parts[1::2], parts[2::2], strict=True)
                  if re.search(r"^changed:", body, re.M))


@pytest.fixture(scope="module")
def host(deployed):
    """The deployed host (tests/host/conftest.py)."""
    return getattr(deployed, "host", deployed)


@pytest.fixture(scope="module")
def rebooted(host):
    """What systemd says of the firewall and the mail units on a boot after the deploy."""
    host.reboot()
    props = "ActiveState,ActiveEnterTimestampMonotonic,InactiveExitTimestampMonotonic,Before"
    shown = {}
    for unit in (UNIT, *MAIL_UNITS):
        lines = host.run(f"systemctl show -p {props} {unit}").stdout.splitlines()
        shown[unit] = dict(line.split("=", 1) for line in lines if "=" in line)
    return {"units": shown, "table": host.run(f"nft -s list table {TABLE}").stdout}


@pytest.fixture(scope="module")
def applies(host, tmp_path_factory):
    """Before: a table of someone else, a hand edit of the project's live table opening
    CLOSED_PORT (a web server on it inside) and one of its file. Then the hardening play
    with hardening_enabled=false, then as the inventory says."""
    play = hardening_play(tmp_path_factory.mktemp("hardening"))
    seen = {"recorded": recorded_and_actual(host)}
    host.run(f"echo '{HAND_EDIT}' >> {NFT_FILE}")
    seen["edited"] = recorded_and_actual(host)
    host.run(f"nft add table {OTHER_TABLE}; "
             f"nft add chain {OTHER_TABLE} input '{{ type filter hook input priority 10; }}'; "
             f"nft add rule {OTHER_TABLE} input tcp dport 9 accept")
    host.run(f"nft add rule {TABLE} input tcp dport {CLOSED_PORT} accept")
    host.run(f"systemd-run --unit=hymail-test-http -p RuntimeMaxSec=900 "
             f"python3 -m http.server {CLOSED_PORT}")
    seen["edited_open"] = wait_reachable(host.address, CLOSED_PORT)
    seen["before_off"] = ruleset(host)
    seen["off"] = playbook(host, play, "-e", "hardening_enabled=false")
    seen["after_off"] = ruleset(host)
    seen["record_after_off"] = host.run(f"test -e {RECORD}", check=False).returncode
    seen["drift_after_off"] = drift_edits(host, tmp_path_factory.mktemp("drift"))
    seen["on"] = playbook(host, play)
    seen["after_on"] = ruleset(host)
    seen["restored"] = recorded_and_actual(host)
    yield seen
    host.run("systemctl stop hymail-test-http", check=False)
    host.run(f"nft delete table {OTHER_TABLE}", check=False)


def drift_edits(host, workdir: pathlib.Path) -> list[dict]:
    """The configuration edits (HYD005) of drift.yml as `make drift` runs it."""
    result = host_playbook(host, "drift.yml", workdir)
    assert result.returncode in (0, 2), result.stdout[-4000:] + result.stderr[-2000:]
    return json.loads((workdir / "drift.json").read_text("utf-8"))["config_edits"]


def recorded_and_actual(host) -> tuple[str, str]:
    """The table file's digest in the role's record (what `make drift` compares, HYD005)
    and the file's own."""
    record = json.loads(host.run(f"cat {RECORD}").stdout)
    assert record["files"][NFT_FILE]["reader"] == "firewall"
    return record["files"][NFT_FILE]["sha256"], host.run(f"sha256sum {NFT_FILE}").stdout.split()[0]


def wait_reachable(address: str, port: int, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if reachable(address, port, timeout=1):
            return True
        time.sleep(0.2)
    return False


def test_table_is_loaded_at_boot_before_the_mail_services(rebooted, host):
    units = rebooted["units"]
    firewall = units[UNIT]
    assert firewall["ActiveState"] == "active"
    loaded = int(firewall["ActiveEnterTimestampMonotonic"])
    for unit in MAIL_UNITS:
        assert unit in firewall["Before"].split()
        assert units[unit]["ActiveState"] == "active", unit
        assert 0 < loaded <= int(units[unit]["InactiveExitTimestampMonotonic"]), unit
    assert "policy drop" in rebooted["table"]
    # The controller's address is in the SSH set though the inventory does not name it.
    assert host.controller_address not in str(inventory(host).get("hardening_ssh_allow", []))
    assert re.search(rf"set ssh_v4 {{[^}}]*\b{re.escape(host.controller_address)}\b",
                     rebooted["table"]), rebooted["table"]
    assert "ip6 saddr @ssh_v6" in rebooted["table"]


def test_debian_nftables_service_does_not_remove_the_table(host):
    """Debian's nftables.service flushes the whole ruleset; the table is loaded after it."""
    try:
        host.run("systemctl restart nftables.service")
        assert wait_for_table(host), host.run("nft list tables").stdout
    finally:
        # Stopping it flushes every table again (Debian's ExecStop): load the project's.
        host.run("systemctl stop nftables.service; systemctl start hymail-firewall.service")
    assert wait_for_table(host)


def wait_for_table(host, seconds: float = 10) -> bool:
    """systemctl returns before the jobs it propagated to the firewall unit are done."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if f"table {TABLE}" in host.run("nft list tables").stdout:
            return True
        time.sleep(0.5)
    return False


def test_mail_ports_answer_from_the_controller(host):
    settings = inventory(host)
    with smtplib.SMTP(host.address, settings["smtp_port"], timeout=30) as smtp:
        assert smtp.noop()[0] == 250
    imap = imaplib.IMAP4(host.address, settings["imap_port"], timeout=30)
    imap.logout()
    # TLS checked against the test CA and the host's name (never CERT_NONE).
    context = ssl.create_default_context(cafile=str(host.ca_file))
    with socket.create_connection((host.address, settings["mailserver_imaps_port"]),
                                  timeout=30) as raw, \
            context.wrap_socket(raw, server_hostname=host.hostname) as tls:
        assert tls.recv(64).startswith(b"* OK")


def test_unattended_upgrades_installs_security_updates_and_never_reboots(host):
    config = host.run("apt-config dump Unattended-Upgrade APT::Periodic").stdout
    patterns = re.findall(r'^Unattended-Upgrade::Origins-Pattern:: "(.*)";$', config, re.M)
    assert patterns and all("label=Debian-Security" in p for p in patterns), config
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in config
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    sources = host.run("grep -rhE '^[^#]*-security' /etc/apt/sources.list "
                       "/etc/apt/sources.list.d/", check=False).stdout
    assert "bookworm-security" in sources
    timers = host.run("systemctl list-timers --all --no-legend").stdout
    assert "apt-daily-upgrade.timer" in timers and "apt-daily.timer" in timers
    # One step instead of one per package: the same configuration read, half the time.
    dry = host.run("unattended-upgrade --dry-run --verbose --no-minimal-upgrade-steps",
                   check=False, timeout=600)
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]
    allowed = re.search(r"^Allowed origins are: (.*)$", dry.stdout + dry.stderr, re.M)
    assert allowed, dry.stdout[-2000:]
    assert all("label=Debian-Security" in origin for origin in allowed[1].split(", "))


@pytest.mark.playbook
def test_hardening_disabled_leaves_nft_untouched(applies):
    assert applies["edited_open"], "the hand-opened port never answered: the probe is blind"
    assert applies["after_off"] == applies["before_off"]
    assert f"tcp dport {CLOSED_PORT} accept" in applies["after_off"]
    assert changed_tasks(applies["off"].stdout) == [
        "hungyen.mail.hardening : Ensure no record of the role's files is kept when the role "
        "is switched off."]


@pytest.mark.playbook
def test_hardening_disabled_keeps_no_record_and_drift_does_not_report_its_files(applies):
    """The table file was edited by hand before the switch-off run (and is still): with the
    record gone, `make drift` says nothing of the role's files."""
    assert applies["edited"][0] != applies["edited"][1], "the table file was not edited"
    assert applies["record_after_off"] != 0, f"{RECORD} still there after hardening_enabled=false"
    stale = [edit for edit in applies["drift_after_off"]
             if edit["role"] == "hardening" or edit["file"] == NFT_FILE]
    assert stale == [], stale


@pytest.mark.playbook
def test_hand_edit_of_the_table_file_is_seen_and_undone_by_a_firewall_reload(applies):
    recorded, actual = applies["recorded"]
    assert recorded == actual
    assert applies["edited"][0] == recorded != applies["edited"][1], "drift would not see it"
    assert set(applies["restored"]) == {recorded}
    assert changed_tasks(applies["on"].stdout) == [
        "hungyen.mail.hardening : Ensure the nftables table of the project is written.",
        "hungyen.mail.hardening : Ensure the record of the files the role wrote is up to date.",
        "hungyen.mail.hardening : Reload the firewall."]


@pytest.mark.playbook
def test_apply_replaces_only_its_own_table(applies):
    other = applies["before_off"].split(f"table {OTHER_TABLE}")[1].split("\n}")[0]
    assert "tcp dport 9 accept" in other
    assert f"table {OTHER_TABLE}" in applies["after_on"]
    assert other in applies["after_on"]
    # The hand edit of the live table was undone by the reload of the firewall unit.
    assert f"tcp dport {CLOSED_PORT} accept" not in applies["after_on"]


@pytest.mark.playbook
def test_port_not_opened_is_closed_from_the_controller_but_open_inside(applies, host):
    assert not reachable(host.address, CLOSED_PORT)
    assert reachable_inside(host, "127.0.0.1", CLOSED_PORT)
    assert reachable_inside(host, host.address, CLOSED_PORT)


@pytest.mark.playbook
def test_ssh_from_the_controller_works_after_apply(applies, host):
    # A new connection (no ControlMaster), as the deploy account, after both applies.
    done = subprocess.run([*host.ssh_command(), "echo $SSH_CONNECTION"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == host.controller_address

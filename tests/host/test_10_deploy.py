"""The first deploy to a bare Debian 12 host in systemd mode, as an operator makes it (issue 19,
items 1, 3, 5 and 6; docs/mailserver.md): the units, their listeners, the configuration, what
the operator's commands show, a second apply that changes and restarts nothing, every systemd
unit and timer the roles install checked for real, and `make plan` from the same controller
after a reboot, showing no change.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import smtplib
import socket
import subprocess
import sys
import time

import pytest
from deploy_support import (
    ANSIBLE_PLAYBOOK,
    CHECKOUT,
    DOMAIN,
    OPERATOR,
    PORTS,
    STATE_DIR,
    UNITS,
    listeners,
    maildir,
    playbook,
    recap,
    token,
    units_state,
    wait_active,
    wait_delivered,
    wait_ports,
)

pytestmark = [pytest.mark.testhost, pytest.mark.playbook]

TEMPLATES = CHECKOUT / "roles" / "mailserver" / "templates"


def template_keys(name: str) -> set[str]:
    """Every setting a template of the role can write (``key =`` at the start of a line)."""
    text = (TEMPLATES / name).read_text("utf-8")
    return set(re.findall(r"^([a-z_0-9]+) =", text, re.MULTILINE))


def test_plan_and_check_on_the_bare_host_succeed_change_nothing_and_write_under_build(deployed):
    for name in ("plan", "check"):
        result = getattr(deployed, name)
        assert result.returncode == 0, f"{name} failed:\n{result.stdout[-4000:]}\n{result.stderr}"
    assert deployed.bare_after == deployed.bare_before, "plan or --check changed the bare host"
    for output, before in deployed.outputs_before.items():
        after = deployed.outputs_after[output]
        assert after is not None and after != before, \
            f"build/{output} not written by this session's plan or --check"


def test_the_first_apply_never_showed_debian_s_greeting(deployed):
    probe = deployed.probe
    assert probe.polls >= deployed.seconds["apply"] / 2, "the probe did not poll every 100 ms"
    assert probe.foreign() == [], f"something else answered on the mail ports: {probe.foreign()}"
    assert probe.role_ports() == set(PORTS), "the probe never saw the role's servers answer"


def test_both_units_enabled_and_active(testhost, deployed):
    for command, expected in (("is-enabled", "enabled"), ("is-active", "active")):
        shown = testhost.run(f"systemctl {command} {' '.join(UNITS)}", check=False).stdout
        assert shown.split() == [expected, expected], f"systemctl {command}: {shown}"
    assert testhost.run("systemctl is-enabled dovecot.socket", check=False).stdout.strip() \
        == "masked"


def test_listeners_are_in_the_units_cgroups_none_in_an_ssh_session(testhost, deployed):
    found = listeners(testhost)
    assert set(found) == set(PORTS), f"listening mail ports: {found}"
    for port, unit in PORTS.items():
        for cgroup in found[port]:
            unified = cgroup.split()[0]
            assert unified.startswith("/system.slice/") and unified.endswith(f"/{unit}"), \
                f"port {port}: {cgroup}"
            assert "session-" not in cgroup and "user.slice" not in cgroup


def test_the_configuration_is_the_role_s_own_and_self_contained(testhost, deployed):
    doveconf = testhost.run("doveconf -n").stdout
    assert "/etc/dovecot/dovecot.conf" in doveconf.splitlines()[0]
    assert "!include" not in testhost.run("cat /etc/dovecot/dovecot.conf").stdout
    dovecot_keys = set(re.findall(r"^([a-z_0-9]+) =", doveconf, re.MULTILINE))
    assert dovecot_keys <= template_keys("dovecot.conf.j2"), \
        f"settings not the role's: {dovecot_keys - template_keys('dovecot.conf.j2')}"
    assert "driver = pam" not in doveconf and "driver = passwd\n" not in doveconf
    postconf = testhost.run("postconf -n").stdout
    postfix_keys = {line.split(" =", 1)[0] for line in postconf.splitlines()}
    assert postfix_keys <= template_keys("main.cf.j2"), \
        f"settings not the role's: {postfix_keys - template_keys('main.cf.j2')}"
    assert "queue_directory = /var/lib/hymail/spool" in postconf
    assert "maillog_file" not in postconf  # systemd mode logs to the journal
    assert testhost.run("test ! -e /var/lib/hymail/bin/mailserverctl", check=False).returncode == 0


def test_the_operator_s_commands_work(testhost, deployed):
    for unit in UNITS:
        status = testhost.run(f"systemctl status --no-pager {unit}", check=False)
        assert status.returncode == 0 and "active (running)" in status.stdout, status.stdout
    assert testhost.run("postqueue -p").returncode == 0
    assert testhost.run("doveadm who").returncode == 0
    assert testhost.run("journalctl -u dovecot -b --no-pager -q").stdout.strip()
    assert "postfix" in testhost.run("journalctl -u postfix@- -b --no-pager -q").stdout


def test_mail_to_root_on_the_host_reaches_the_operator_mailbox(testhost, deployed):
    subject = token()
    testhost.run(f"printf 'Subject: {subject}\\n\\ncron\\n' | /usr/sbin/sendmail root")
    wait_delivered(testhost, subject, timeout=30)
    assert maildir(OPERATOR).startswith("/var/lib/hymail/mail/")


@pytest.mark.parametrize("local_part", ["root@mail1.hungyen.gov.vn", f"root@{DOMAIN}",
                                        "postmaster@mail1.hungyen.gov.vn"])
def test_root_never_accepts_mail_from_outside(testhost, deployed, local_part):
    with smtplib.SMTP(testhost.address, 25, timeout=10) as smtp:
        smtp.ehlo("tester.example.org")
        smtp.mail("tester@example.org")
        code, _text = smtp.rcpt(local_part)
    assert code >= 550, f"{local_part} accepted from outside ({code})"


def test_root_at_the_address_literal_is_refused_from_outside(testhost, deployed):
    with smtplib.SMTP(testhost.address, 25, timeout=10) as smtp:
        smtp.ehlo("tester.example.org")
        smtp.mail("tester@example.org")
        code, _text = smtp.rcpt(f"root@[{testhost.address}]")
    assert code >= 550


def test_a_second_apply_changes_nothing_and_restarts_nothing(testhost, deployed):
    before = units_state(testhost)
    # As the operator runs it: the outputs go to build/ again (the first apply's, unchanged).
    result = playbook(testhost, "apply.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    counts = recap(result)
    changed = [f"{block.splitlines()[0]} {line}" for block in result.stdout.split("\nTASK [")
               for line in block.splitlines() if line.startswith("changed:")]
    assert counts and all(host["changed"] == 0 for host in counts.values()), (counts, changed)
    time.sleep(1)
    assert units_state(testhost) == before


def test_the_inventory_is_the_example_with_only_the_host_values_changed(testhost, deployed):
    written = (pathlib.Path(testhost.inventory_dir) / "group_vars" / "all.yml").read_text("utf-8")
    assert "mailserver_service_manager: systemd" in written


def test_hashes_made_on_the_host_have_every_parameter_explicit(testhost, deployed):
    """Debian 12's argon2-cffi 21.1 on the host would make 16-byte hashes by default."""
    shown = testhost.run("cut -d: -f2 /var/lib/hymail/data/live/users.passwd").stdout.split()
    assert shown, "no account on the host"
    shapes = {(entry.split("$")[3], len(entry.split("$")[-2]), len(entry.split("$")[-1]))
              for entry in shown}  # never printed: only the parameters and the lengths
    assert shapes == {("m=65536,t=3,p=1", 22, 43)}, "not 16-byte salts and 32-byte hashes"


def test_systemd_mode_is_refused_where_process_1_is_not_systemd(tmp_path):
    """This machine's process 1 is not systemd: the first task stops the play (in check mode,
    so that a regression could not change this machine)."""
    if pathlib.Path("/proc/1/comm").read_text().strip() == "systemd":
        pytest.skip("process 1 of this machine is systemd")
    result = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "inventory/local", "playbooks/mailserver.yml", "--check",
         "-e", "mailserver_service_manager=systemd", "-e", f"state_dir={tmp_path}/state"],
        cwd=CHECKOUT, text=True, capture_output=True, timeout=600, check=False)
    assert result.returncode != 0
    assert "cần systemd là process 1" in result.stdout, result.stdout[-2000:]
    assert "changed=0" in result.stdout and "failed=1" in result.stdout
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize(("setting", "code"), [
    ("mailserver_ssl_cert=/etc/letsencrypt/live/missing/fullchain.pem", "HYS001"),
    ("mailserver_ssl_key=/root/other-key.pem", "HYS004"),
], ids=["missing-certificate", "key-of-another-certificate"])
def test_a_bad_certificate_stops_the_apply_before_the_servers_are_touched(
        testhost, deployed, setting, code):
    testhost.run("test -e /root/other-key.pem || openssl genpkey -algorithm EC "
                 "-pkeyopt ec_paramgen_curve:P-256 -out /root/other-key.pem")
    before = units_state(testhost)
    result = playbook(testhost, "mailserver.yml", "-e", setting)
    assert result.returncode != 0
    assert code in result.stdout, result.stdout[-3000:]
    assert all(host["changed"] == 0 for host in recap(result).values()), recap(result)
    assert units_state(testhost) == before


# --- every unit the roles install (issue 19 item 6) ----------------------------------------

SYSTEM_DIR = "/etc/systemd/system/"


def records(host) -> dict[str, dict]:
    """The roles' records of the files they wrote (hungyen.mail.managed_files):
    ``<state_dir>/etc/managed/<role>.json``, by role."""
    code = ("import glob, json, os; print(json.dumps({os.path.basename(p)[:-5]: json.load(open(p))"
            f" for p in glob.glob({STATE_DIR + '/etc/managed/*.json'!r})}}))")
    return json.loads(host.run(f"python3 -c {json.dumps(code)}").stdout)


def role_units(host) -> dict[str, set[str]]:
    """Every systemd unit a role installed or changed (a unit file in /etc/systemd/system, or
    a drop-in in its ``<unit>.d/``), from the roles' records: unit -> the files."""
    units: dict[str, set[str]] = {}
    for record in records(host).values():
        for path in record["files"]:
            if path.startswith(SYSTEM_DIR):
                first = path[len(SYSTEM_DIR):].split("/")[0]
                units.setdefault(first.removesuffix(".d"), set()).add(path)
    return units


def test_every_unit_and_timer_the_roles_install_runs(testhost, deployed):
    """Each service active, each timer listed by `systemctl list-timers` with its service
    started once by hand and succeeding. Later issues' units are found the same way."""
    found = role_units(testhost)
    assert set(records(testhost)) >= {"mailserver", "hardening"}, records(testhost)
    assert set(UNITS) | {"hymail-firewall.service"} <= set(found), found
    # Nothing under /etc/systemd/system that no role answers for (links: enabled, masked).
    recorded = set().union(*found.values())
    files = set(testhost.run(f"find {SYSTEM_DIR} -type f").stdout.split())
    assert files <= recorded, f"unit files no role records: {sorted(files - recorded)}"
    timers = [unit for unit in found if unit.endswith(".timer")]
    listed = testhost.run("systemctl list-timers --all --no-legend --plain").stdout
    # A timer's oneshot service is inactive between runs: checked by starting it below.
    triggered = {testhost.run(f"systemctl show -p Unit --value {timer}").stdout.strip()
                 for timer in timers}
    for unit in sorted(found):
        shown = testhost.run(f"systemctl show -p ActiveState,LoadState,Unit {unit}").stdout
        props = dict(line.split("=", 1) for line in shown.splitlines() if "=" in line)
        assert props["LoadState"] == "loaded", (unit, props)
        if unit in triggered:
            continue
        assert props["ActiveState"] == "active", (unit, props)
        if unit in timers:
            assert unit in listed, f"{unit} not in systemctl list-timers:\n{listed}"
            service = props["Unit"]
            started = testhost.run(f"systemctl start {service}", check=False, timeout=900)
            result = testhost.run(f"systemctl show -p Result,ExecMainStatus {service}").stdout
            assert started.returncode == 0 and "Result=success" in result \
                and "ExecMainStatus=0" in result, (service, started.stderr, result)
    assert not testhost.run("systemctl --failed --no-legend --plain").stdout.strip(), \
        testhost.run("systemctl --failed --no-legend --plain").stdout


@pytest.fixture(scope="module")
def rebooted(testhost, deployed):
    """The deployed host after a clean reboot, both units back; the units that failed by then."""
    testhost.reboot()
    wait_ports(testhost, 60)
    wait_active(testhost, 30)
    time.sleep(3)  # the boot's last oneshot units
    return testhost.run("systemctl --failed --no-legend --plain").stdout.strip()


def test_postfix_resolvconf_does_not_fail_after_a_boot_or_a_resolv_conf_change(
        testhost, rebooted):
    """Debian's postfix-resolvconf.service (at boot, and from its .path unit on a change of
    /etc/resolv.conf) copies it into <queue_directory>/etc, which the role's Postfix (no
    chroot) does not have: it failed at every boot until the role masked it."""
    unit = "postfix-resolvconf.service"
    assert rebooted == "", f"units failed after the boot: {rebooted}"
    original = testhost.run("cat /etc/resolv.conf").stdout
    try:
        testhost.run("echo '# hytest' >> /etc/resolv.conf")
        deadline = time.monotonic() + 10
        while True:  # the path unit's trigger, if any, and the service's run
            shown = testhost.run(f"systemctl show -p Result,ActiveState,LoadState {unit}").stdout
            if "ActiveState=activ" not in shown and time.monotonic() > deadline - 7:
                break
            assert time.monotonic() < deadline, shown
            time.sleep(0.5)
    finally:
        testhost.run("cat > /etc/resolv.conf", input=original)
    assert "Result=success" in shown and "ActiveState=failed" not in shown, \
        shown + testhost.run(f"journalctl -u {unit} -b -n 20 --no-pager", check=False).stdout
    failed = testhost.run("systemctl --failed --no-legend --plain").stdout.strip()
    assert failed == "", failed


def test_plan_after_a_reboot_succeeds_and_shows_no_change(testhost, rebooted, tmp_path):
    """First apply, second apply (above), then a reboot and `make plan` from the same
    controller, as the operator runs it (its outputs in tmp_path, not the shared build/)."""
    extra = tmp_path / "vars.json"
    plan_file = tmp_path / "plan.json"
    extra.write_text(json.dumps({"plan_file": str(plan_file),
                                 "desired_file": str(tmp_path / "desired.json")}))
    env = testhost.ansible_env()
    env["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", f"INVENTORY={testhost.inventory_dir}",
         f"ARGS=-e @{extra}"],
        cwd=CHECKOUT, env=env, text=True, capture_output=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    plan = json.loads(plan_file.read_text("utf-8"))
    assert plan["changes"] == [] and plan["drift"] == [], plan["summary"]


# --- the web side (issue 14): the password service behind nginx, TLS on 443 -------------------

WEB_UNITS = ("hymail-password.service", "hymail-web.service", "nginx.service")


def main_user(host, unit: str) -> str:
    pid = host.run(f"systemctl show -p MainPID --value {unit}").stdout.strip()
    assert pid not in ("", "0"), f"{unit} has no main process"
    return host.run(f"ps -o user= -p {pid}").stdout.strip()


def test_the_web_side_runs_as_units_the_application_unprivileged(testhost, deployed):
    for command, expected in (("is-enabled", "enabled"), ("is-active", "active")):
        shown = testhost.run(f"systemctl {command} {' '.join(WEB_UNITS)}", check=False).stdout
        assert shown.split() == [expected] * len(WEB_UNITS), f"systemctl {command}: {shown}"
    assert main_user(testhost, "hymail-web.service") == "hymail-web"
    assert main_user(testhost, "hymail-password.service") == "root"
    workers = testhost.run("ps -o user= -C nginx").stdout.split()
    assert set(workers) == {"root", "www-data"}, workers
    # Debian's default site is gone; the role's answers on 443 (TLS) and 80 (a redirect).
    assert testhost.run("test ! -e /etc/nginx/sites-enabled/default", check=False).returncode == 0
    listening = testhost.run("ss -ltnpH").stdout
    for port in (443, 80):
        assert re.search(rf":{port}\s.*nginx", listening), listening


def test_the_password_page_answers_over_verified_tls_and_port_80_redirects(testhost, deployed):
    from mail_support import HTTPS  # the host's name verified against the test CA

    connection = HTTPS(testhost)
    try:
        connection.request("GET", "/doimatkhau")
        response = connection.getresponse()
        body = response.read().decode("utf-8")
    finally:
        connection.close()
    assert response.status == 200 and 'lang="vi"' in body, (response.status, body[:300])
    assert "max-age=" in (response.getheader("Strict-Transport-Security") or "")
    with socket.create_connection((testhost.address, 80), timeout=30) as plain:
        plain.sendall(b"GET /doimatkhau HTTP/1.0\r\nHost: mail.hungyen.gov.vn\r\n\r\n")
        head = plain.recv(4096).decode("latin-1")
    assert head.startswith("HTTP/1.1 301"), head
    assert "\r\nLocation: https://mail.hungyen.gov.vn/doimatkhau\r\n" in head, head

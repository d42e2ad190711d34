"""The webmail plugin's texts (roles/mailserver/files/roundcube/plugins/hymail_doimatkhau) are
the catalog's (plugins/module_utils/server/webmail_messages.py), and the plugin's
configuration detects the server's must-change answer by the password page it names."""

from __future__ import annotations

import re

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.server import webmail_messages
from helpers import ROOT

PLUGIN = ROOT / "roles" / "mailserver" / "files" / "roundcube" / "plugins" / "hymail_doimatkhau"
ENTRY = re.compile(r"^\$(labels|messages)\['(\w+)'\] = '((?:[^'\\]|\\.)*)';$", re.M)


def php_texts(path) -> dict[str, str]:
    """``$labels['x'] = '...';`` and ``$messages['x'] = '...';`` of a localization file."""
    text = path.read_text("utf-8")
    return {name: re.sub(r"\\(.)", r"\1", value) for _kind, name, value in ENTRY.findall(text)}


def test_the_vietnamese_texts_are_the_catalogs():
    assert php_texts(PLUGIN / "localization" / "vi_VN.inc") == webmail_messages.localized()


def test_the_english_texts_have_the_same_names_and_code():
    english = php_texts(PLUGIN / "localization" / "en_US.inc")
    assert english.keys() == webmail_messages.localized().keys()
    assert english["mustchange"].startswith(webmail_messages.MUST_CHANGE)
    assert "$url" in english["mustchange"]


@pytest.mark.parametrize("name", ["mustchange", "mustchange_box"])
def test_each_text_names_its_code_the_article_and_the_page(name):
    text = webmail_messages.localized()[name]
    assert text.startswith("HYM070 ") and "(khoản 1 Điều 12)" in text
    assert "Cách sửa: đổi mật khẩu tại " in text


def test_the_plugin_reads_the_page_and_marker_the_role_configures():
    source = (PLUGIN / "hymail_doimatkhau.php").read_text("utf-8")
    config = (ROOT / "roles" / "mailserver" / "templates" / "roundcube" /
              "config.inc.php.j2").read_text("utf-8")
    for key in ("hymail_password_page", "hymail_must_change_marker"):
        assert f"'{key}'" in source and f"$config['{key}']" in config
    assert "$config['hymail_must_change_marker'] = 'doimatkhau';" in config
    assert "'password_driver'] = 'hymail';" in config


def test_the_password_driver_reads_the_url_the_role_configures_and_is_linked_in():
    driver = (ROOT / "roles" / "mailserver" / "files" / "roundcube" / "password-drivers" /
              "hymail.php").read_text("utf-8")
    config = (ROOT / "roles" / "mailserver" / "templates" / "roundcube" /
              "config.inc.php.j2").read_text("utf-8")
    tasks = (ROOT / "roles" / "mailserver" / "tasks" / "webmail.yml").read_text("utf-8")
    assert "class rcube_hymail_password" in driver  # the class the password plugin loads
    assert "'password_hymail_url'" in driver and "$config['password_hymail_url']" in config
    assert "password-drivers/hymail.php" in tasks and "plugins/password/drivers" in tasks

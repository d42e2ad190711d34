"""The committed production inventory is the example with only the host's own values changed
(the address, the SSH user and key, the certificate paths, listen_address), and holds no
secret: so what the example and the tests deploy is what production deploys."""

from __future__ import annotations

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "inventory" / "production"
EXAMPLE = ROOT / "inventory" / "production.example"
# The keys whose values may differ (issue 19: "only the address, the SSH user and key, the
# certificate paths and listen_address"; with the SSH side, the addresses the host's firewall
# lets in over SSH, which are the site's own: docs/hardening.md).
HOST_VALUES = {"ansible_host", "ansible_user", "ansible_ssh_private_key_file",
               "ansible_ssh_common_args", "listen_address", "mailserver_ssl_cert",
               "mailserver_ssl_key", "hardening_ssh_allow"}
SECRET_KEYS = {"ansible_password", "ansible_ssh_pass", "ansible_become_password",
               "ansible_become_pass", "ansible_ssh_private_key"}


def files(inventory: pathlib.Path) -> dict[str, object]:
    """Every YAML file of an inventory directory, by its path inside it, parsed."""
    return {str(path.relative_to(inventory)): yaml.safe_load(path.read_text("utf-8"))
            for path in sorted(inventory.rglob("*.yml"))}


def leaves(tree: object, path: tuple = ()) -> dict[tuple, object]:
    """The values of a parsed YAML tree by their key path (lists are values)."""
    if isinstance(tree, dict):
        found = {}
        for key, value in tree.items():
            found.update(leaves(value, (*path, key)))
        return found
    return {path: tree}


def differences(production: object, example: object) -> set[tuple]:
    """Key paths whose value differs, or that only one of the two has."""
    mine, theirs = leaves(production), leaves(example)
    return {path for path in mine.keys() | theirs.keys() if mine.get(path) != theirs.get(path)}


def test_production_inventory_has_the_files_of_the_example():
    assert PRODUCTION.is_dir(), "inventory/production/ is missing (docs/production.md, section 7)"
    assert sorted(files(PRODUCTION)) == sorted(files(EXAMPLE))


@pytest.mark.parametrize("name", sorted(files(EXAMPLE)))
def test_production_inventory_differs_from_the_example_only_in_the_host_values(name):
    changed = differences(files(PRODUCTION)[name], files(EXAMPLE)[name])
    others = sorted(".".join(map(str, path)) for path in changed if path[-1] not in HOST_VALUES)
    assert not others, f"inventory/production/{name} differs from the example in {others}"


def test_differences_catch_a_changed_setting():
    """The comparison itself: a changed hash cost or a new key is a difference."""
    example = {"all": {"vars": {"password_hash_time_cost": 3, "listen_address": "192.0.2.1"}}}
    changed = {"all": {"vars": {"password_hash_time_cost": 2, "listen_address": "192.0.2.9",
                                "mailserver_mynetworks": ["0.0.0.0/0"]}}}
    assert {path[-1] for path in differences(changed, example)} == {
        "password_hash_time_cost", "listen_address", "mailserver_mynetworks"}


def test_production_inventory_holds_no_secret():
    for name, tree in files(PRODUCTION).items():
        keys = {path[-1] for path in leaves(tree)}
        assert not keys & SECRET_KEYS, f"inventory/production/{name}: {sorted(keys & SECRET_KEYS)}"
        text = (PRODUCTION / name).read_text("utf-8")
        assert "PRIVATE KEY" not in text and "$argon2" not in text, name
        # A key file named in it would be someone's key on the controller: the pipeline
        # passes HYMAIL_SSH_KEY, an operator uses their own ~/.ssh.
        assert "ansible_ssh_private_key_file" not in keys, name

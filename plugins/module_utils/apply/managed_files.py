"""The configuration files the roles write, recorded so that the drift report sees hand edits.

Each role ends by recording the files it wrote, with their SHA-256 and the service that reads
each, in ``<state_dir>/etc/managed/<role>.json`` (the ``hungyen.mail.managed_files`` module).
The drift report reads every record and lists each file whose content differs, or that is
gone, as HYD005, naming the file and its reader: the next apply writes the file again and
reloads only that reader. No secret is in a record: paths, readers and digests only.

A record also keeps the digest of the role's inputs (its own files and the variables it
reads, computed on the controller). At its next run the role asks ``current``: the same
inputs, and every file as it wrote it, mean nothing it would do has changed, and it ends
there (a no-op apply no longer pays its hundred tasks).
"""

from __future__ import annotations

import json
import os
import re

from ..backends.digests import file_digest
from ..common.files import replace_atomically
from ..common.glossary import number
from ..common.operation_messages import reason
from .messages import render

MANAGED_DIR = os.path.join("etc", "managed")
# Root only, like the backend's own digests.json (the drift report reads it as root).
MANIFEST_MODE = 0o600
VERSION = 1
# Who reads a file, as the drift report names it: the service an apply reloads for it.
READERS = {"postfix": "Postfix", "dovecot": "Dovecot", "systemd": "systemd",
           "firewall": "tường lửa (nftables)", "apt": "APT (cập nhật tự động)",
           "rspamd": "rspamd (lọc thư rác, ký DKIM)", "nginx": "nginx (máy chủ web)",
           "web": "dịch vụ đổi mật khẩu"}
_ROLE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(ValueError):
    """A record cannot be read or written; the message starts with its code."""


def manifest_path(state_dir: str, role: str) -> str:
    return os.path.join(state_dir, MANAGED_DIR, f"{role}.json")


# ---------------------------------------------------------------------------- recording

def build(role: str, files: list[dict], allow_missing: bool = False,
          inputs: str | None = None) -> tuple[dict, list[str]]:
    """The record of ``files`` (``[{path, reader}]``) as they are on disk now, and the paths
    that do not exist (an error unless ``allow_missing``: in check mode the role's earlier
    tasks wrote nothing). ``inputs``: the digest of the role's inputs, kept with them."""
    _check_role(role)
    _check_inputs(role, inputs)
    entries, missing = {}, []
    for item in files:
        path, reader = _checked_entry(role, item, entries)
        digest = file_digest(path)
        if digest is None:
            if not allow_missing:
                raise _list_error(role, f"tệp {path} không có trên máy")
            missing.append(path)
        entries[path] = {"reader": reader, "sha256": digest}
    manifest = {"version": VERSION, "role": role, "files": dict(sorted(entries.items()))}
    return manifest | ({"inputs": inputs} if inputs else {}), missing


def _check_inputs(role: str, inputs: str | None) -> None:
    if inputs is not None and not _DIGEST.match(inputs):
        raise _list_error(role, "mã băm đầu vào (inputs) phải là SHA-256 dạng 64 chữ số hex")


def _check_role(role: str) -> None:
    if not _ROLE.match(role):
        raise _list_error(role, "tên vai trò chỉ gồm chữ thường không dấu, chữ số và dấu _")


def _checked_entry(role: str, item: dict, seen: dict) -> tuple[str, str]:
    path, reader = str(item.get("path") or ""), str(item.get("reader") or "")
    if not os.path.isabs(path):
        raise _list_error(role, f"đường dẫn '{path}' không phải đường dẫn tuyệt đối")
    if reader not in READERS:
        raise _list_error(role, f"dịch vụ đọc tệp '{reader}' của {path} không dùng được")
    if path in seen:
        raise _list_error(role, f"tệp {path} có hai lần")
    return path, reader


def _list_error(role: str, why: str) -> ManifestError:
    return ManifestError(render("HYD011", role=role, problem=why, readers=", ".join(READERS)))


def text(manifest: dict) -> str:
    """A record as it is written: stable JSON, so the same files give the same bytes."""
    return json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def record(state_dir: str, role: str, files: list[dict], check_mode: bool = False,
           inputs: str | None = None) -> dict:
    """Write ``role``'s record when it differs from the one on disk (never in check mode);
    the module's result: changed, path, the record, the missing files, and the diff."""
    path = manifest_path(state_dir, role)
    manifest, missing = build(role, files, allow_missing=check_mode, inputs=inputs)
    before, after = _current_text(path), text(manifest)
    changed = before != after
    if changed and not check_mode:
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        replace_atomically(path, after, MANIFEST_MODE)
    return {"changed": changed, "path": path, "manifest": manifest, "missing": missing,
            "diff": {"before": before, "after": after, "before_header": path,
                     "after_header": path}}


def current(state_dir: str, role: str, inputs: str, force: bool = False,
            services_ready: bool = True) -> dict:
    """Whether ``role``'s last run still holds: its record names the same ``inputs``, every
    file it recorded is on disk as it wrote it, its services are as it leaves them
    (``services_ready``, the caller's answer) and no run is forced. The answer:
    ``current``, the reasons it is not (``why``, none when it is), a message (HYD012 or
    HYD013)."""
    _check_role(role)
    _check_inputs(role, inputs)
    path, why = manifest_path(state_dir, role), []
    if force:
        why.append(f"có -e {role}_force=true")
    if not services_ready:
        why.append("các dịch vụ không ở trạng thái vai trò để lại (có dịch vụ đã dừng)")
    manifest = None
    if not os.path.exists(path):
        why.append("chưa có bản ghi của lần chạy trước")
    else:
        try:
            manifest = load(path)
        except ManifestError as error:
            why.append(str(error))
    if manifest is not None:
        if manifest.get("inputs") != inputs:
            why.append("mã nguồn hoặc biến của vai trò đã đổi")
        why += [f"tệp {edit['file']} " + ("không còn" if edit["state"] == "missing" else "bị sửa")
                for edit in _record_edits(manifest)]
    message = (render("HYD013", role=role, reasons="; ".join(why)) if why else
               render("HYD012", role=role, count=number(len(manifest["files"]))))
    return {"current": not why, "why": why, "path": path, "msg": message}


def _current_text(path: str) -> str:
    """The record on disk as text; ``""`` when there is none or it cannot be read (it is
    then written again whole)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""


# ------------------------------------------------------------------------- the drift side

def load(path: str) -> dict:
    """One record, checked; HYD010 when it cannot be read or is not a record."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise ManifestError(render("HYD010", manifest=path, failure=reason(error))) from None
    if not _is_record(data):
        raise ManifestError(render("HYD010", manifest=path, failure="nội dung không đúng dạng"))
    return data


def _is_record(data: object) -> bool:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return False
    files = data.get("files")
    return (isinstance(data.get("role"), str) and isinstance(files, dict)
            and all(isinstance(entry, dict) and isinstance(entry.get("reader"), str)
                    and isinstance(entry.get("sha256"), str) and _DIGEST.match(entry["sha256"])
                    for entry in files.values()))


def manifests(state_dir: str) -> list[dict]:
    """Every role's record under ``state_dir`` (none before a role first recorded one)."""
    directory = os.path.join(state_dir, MANAGED_DIR)
    if not os.path.isdir(directory):
        return []
    names = sorted(n for n in os.listdir(directory) if n.endswith(".json")
                   and not n.startswith("."))
    return [load(os.path.join(directory, name)) for name in names]


def edits(state_dir: str) -> list[dict]:
    """The recorded files whose content differs (``edited``) or that are gone
    (``missing``): HYD005's findings, in the records' order."""
    return [edit for manifest in manifests(state_dir) for edit in _record_edits(manifest)]


def _record_edits(manifest: dict) -> list[dict]:
    """One record's files whose content differs from it, or that are gone."""
    found = []
    for path, entry in manifest["files"].items():
        actual = file_digest(path)
        if actual != entry["sha256"]:
            found.append({"file": path, "reader": entry["reader"], "role": manifest["role"],
                          "expected": entry["sha256"], "actual": actual,
                          "state": "missing" if actual is None else "edited"})
    return found

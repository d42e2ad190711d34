#!/usr/bin/env python3
"""Write mailboxes/ for the real province from ../shared/data (run once; kept to re-run).

Every district- and commune-level People's Committee of the 2024 list and every provincial
body of 2017 gets its agency file; collisions are resolved the Điều 5.3 way with the reason
written down. The regulation's own examples (sotttt, tienlu, anvien, ptckh.tienlu, nhphuc)
are declared; no other real person's data is.

Every record cites the decision that created the system as its basis (``basis: {number,
date, issuer}``: it is no agency's request letter). The decision is the inventory's
``regulation`` (``--inventory``) unless ``--basis-number``, ``--basis-date`` and
``--basis-issuer`` name it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os

import yaml
from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming

MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json"
INVENTORY = os.path.join("inventory", "local", "group_vars", "all.yml")
# Where the basis goes in the example records below.
BASIS = "{basis}"
LEVELS = {"Huyện": "huyện", "Thành phố": "thành phố", "Thị xã": "thị xã", "Xã": "xã",
          "Phường": "phường", "Thị trấn": "thị trấn"}
DISTRICT_TYPES = ("Huyện", "Thành phố", "Thị xã")
BODY_ADDRESSES = {"Thanh tra tỉnh": "thanhtra"}
EXAMPLE_DIVISIONS = {"tienlu": ["  - name: Phòng Tài chính - Kế hoạch", "    abbreviation: ptckh",
                                f"    basis: {BASIS}"]}
EXAMPLE_PEOPLE = {"sotttt": ["  - name: Nguyễn Hoàng Phúc", "    title: Công chức",
                             "    publish: true", f"    basis: {BASIS}"]}
EXAMPLE_DELEGATES = {"sotttt": ["nhphuc"]}
# Sở TTTT's owners are the province's reviewers: two, so that none approves their own change.
OWNERS = {"sotttt": ["vanthu-sotttt", "pheduyet-sotttt"]}


def read_csv(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def basis_of(number: str, date: str, issuer: str) -> str:
    """The flow mapping every imported record cites: ``{number: "…", date: "…", issuer:
    "…"}`` (quoted as JSON strings, which YAML reads alike)."""
    if not (number and date and issuer):
        raise SystemExit("import_province: the basis needs a number, a date and an issuer "
                         "(--basis-number, --basis-date, --basis-issuer or the inventory's "
                         "regulation)")
    number, date, issuer = (json.dumps(value, ensure_ascii=False)
                            for value in (number, date, issuer))
    return f"{{number: {number}, date: {date}, issuer: {issuer}}}"


def inventory_basis(path: str) -> tuple[str, str, str]:
    """The inventory's ``regulation``: decision number, date (ISO) and issuer."""
    with open(path, encoding="utf-8") as handle:
        regulation = (yaml.safe_load(handle) or {}).get("regulation") or {}
    return (str(regulation.get("decision_number") or ""), str(regulation.get("date") or ""),
            str(regulation.get("issuer") or ""))


def council_name(unit_type: str, name: str) -> str:
    """'Huyện Tiên Lữ' → 'Ủy ban nhân dân huyện Tiên Lữ'."""
    return f"Ủy ban nhân dân {LEVELS[unit_type]} {name[len(unit_type) + 1:]}"


def agency_file(name, kind, address, basis, *, code=None, parent=None, reason=None) -> str:
    lines = [MODELINE, "agency:", f"  name: {name}", f"  kind: {kind}"]
    if code:
        lines.append(f'  code: "{code}"')
    if parent:
        lines.append(f"  parent: {parent}")
    if kind in ("department", "unit") or reason:
        lines.append(f"  address: {address}")
    if reason:
        lines.append(f"  address_reason: {reason}")
    if address in EXAMPLE_DELEGATES:
        lines.append(f"  delegates: [{', '.join(EXAMPLE_DELEGATES[address])}]")
    owners = OWNERS.get(address, [f"vanthu-{address}"])
    lines += [f"  owners: [{', '.join(owners)}]", f"  basis: {basis}"]
    for key, table in (("divisions", EXAMPLE_DIVISIONS), ("people", EXAMPLE_PEOPLE)):
        if address in table:
            lines += [f"{key}:", *(line.replace(BASIS, basis) for line in table[address])]
    return "\n".join(lines) + "\n"


def units(data_dir: str, basis: str) -> dict[str, str]:
    """Agency files of the districts and communes, keyed by address."""
    path = os.path.join(data_dir, "hungyen-administrative-units-2024.csv")
    rows = [r for r in read_csv(path) if r["type"] != "Tỉnh"]
    districts = {r["code"]: naming.place_local_part(r["name"]) for r in rows
                 if r["type"] in DISTRICT_TYPES}
    files = {}
    for row in rows:
        name = council_name(row["type"], row["name"])
        if row["type"] in DISTRICT_TYPES:
            files[districts[row["code"]]] = agency_file(name, "district", districts[row["code"]],
                                                        basis, code=row["code"])
            continue
        files.update(commune(row, name, districts, basis))
    return files


def commune(row: dict, name: str, districts: dict, basis: str) -> dict[str, str]:
    parent = districts[row["parent_code"]]
    address, reason = naming.place_local_part(name), None
    if address in districts.values():
        address = naming.place_suggestions(name, parent)[0]
        level, place = row["parent_name"].split(" ", 1)
        reason = (f"Trùng với hộp thư đã cấp của UBND {level.lower()} {place} ({parent});"
                  f" thêm tiền tố {address[:-len(parent)]} (Điều 5.3)")
    return {address: agency_file(name, "commune", address, basis, code=row["code"],
                                 parent=parent, reason=reason)}


def bodies(data_dir: str, basis: str) -> dict[str, str]:
    path = os.path.join(data_dir, "hungyen-provincial-bodies-2017.csv")
    files = {}
    for row in read_csv(path):
        kind = "unit" if row["kind"] == "office" else "department"
        address = BODY_ADDRESSES.get(row["name"]) or naming.agency_abbreviation(row["name"])
        files[address] = agency_file(row["name"], kind, address, basis)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join("..", "shared", "data"))
    parser.add_argument("--out", default="mailboxes")
    parser.add_argument("--inventory", default=INVENTORY,
                        help="group_vars file whose regulation is the basis (default: %(default)s)")
    parser.add_argument("--basis-number", help="the decision's number, e.g. 08/2017/QĐ-UBND")
    parser.add_argument("--basis-date", help="the day it was signed, yyyy-mm-dd")
    parser.add_argument("--basis-issuer", help="who issued it, in full")
    args = parser.parse_args()
    given = (args.basis_number, args.basis_date, args.basis_issuer)
    number, date, issuer = given if all(given) else inventory_basis(args.inventory)
    basis = basis_of(number, date, issuer)
    files = {**units(args.data, basis), **bodies(args.data, basis)}
    os.makedirs(args.out, exist_ok=True)
    for address, text in sorted(files.items()):
        with open(os.path.join(args.out, f"{address}.yml"), "w", encoding="utf-8") as handle:
            handle.write(text)
    print(f"{len(files)} agency files written to {args.out}/")


if __name__ == "__main__":
    main()

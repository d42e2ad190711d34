#!/usr/bin/env python3
"""Write a synthetic province: agency files with realistic Vietnamese names (deterministic).

    python bench/generate.py --out /tmp/province --agencies 1000 --people 100000 --seed 1
    python bench/generate.py --out /tmp/a --changed-out /tmp/b --change 0.01 ...

Family names follow their share in the population, so address collisions happen about as
often as in life (with initials + given name, most people of a large province share their
derived address with someone); each is resolved the Điều 5.3 way (the first free
suggestion that keeps the name, with the reason written down), so the result validates.
Agencies differ in size as in life (a department or a district's people's committee is
several times a commune's). ``--changed-out`` also writes the province after a
reorganisation touching ``--change`` of the people (see ``reorganise``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random

from ansible_collections.hungyen.mail.plugins.module_utils.declared import naming

# Share of the population (%), after the usual surveys of Vietnamese family names.
FAMILY = {
    "Nguyễn": 38.4, "Trần": 11.0, "Lê": 9.5, "Phạm": 7.1, "Hoàng": 4.1, "Huỳnh": 1.0,
    "Phan": 4.5, "Vũ": 3.9, "Võ": 1.0, "Đặng": 2.1, "Bùi": 2.0, "Đỗ": 1.4, "Hồ": 1.3,
    "Ngô": 1.3, "Dương": 1.0, "Lý": 0.5, "Đào": 0.9, "Đinh": 0.8, "Trịnh": 0.7, "Lương": 0.6,
    "Mai": 0.5, "Cao": 0.5, "Tạ": 0.4, "Lưu": 0.4, "Chu": 0.3, "Tô": 0.3, "Vương": 0.3,
    "Tôn Thất": 0.05, "Âu Dương": 0.02,
}
MIDDLE_MEN = {"Văn": 40, "Đức": 10, "Minh": 9, "Quang": 7, "Hữu": 7, "Xuân": 5, "Thanh": 5,
              "Công": 4, "Ngọc": 3, "Mạnh": 3, "Tuấn": 2, "Hoàng": 2, "": 3}
MIDDLE_WOMEN = {"Thị": 55, "Thu": 7, "Ngọc": 7, "Thanh": 6, "Minh": 5, "Kim": 4, "Hồng": 4,
                "Phương": 3, "Thùy": 3, "Mai": 2, "Thị Thu": 2, "": 2}
GIVEN_MEN = """Anh Hùng Dũng Tuấn Nam Hải Long Sơn Minh Đức Thắng Cường Trung Hiếu Huy Phúc
Quân Thành Tùng Khánh Bình Hoàng Lâm Việt Toàn Vinh Tâm Đạt Kiên Phong Quang Hưng Thịnh
Khoa Lực Nghĩa Tài Thái Tiến Trí Tú Vũ Bảo Chiến Công Duy Định Giang Hào Hậu Hiệp Hòa
Hoan Khải Khang Kiệt Lộc Luân Mạnh Nhân Ninh Phát Quý Sang Tân Thanh Thuận Thông Trọng
Trường Tuệ Văn Xuân Ân Bách Cảnh Chung Đông Đăng Hảo Hiển Hợp Khôi Lợi Nguyên Phước""".split()  # noqa: SIM905
GIVEN_WOMEN = """Hương Lan Hà Linh Trang Thảo Phương Hoa Hằng Huyền Thủy Ngọc Mai Nhung Yến
Vân Dung Hạnh Loan Nga Oanh Quỳnh Thu Trâm Uyên Vy Hiền Liên Thơ Anh Châu Diệp Duyên
Giang Hải Hậu Hồng Hợp Huệ Khánh Lê Lệ Ly Lý Mến Minh My Nguyệt Nhàn Nhi Nhung Phượng
Quế Sen Tâm Thắm Thanh Thoa Thúy Tiên Trinh Tú Tuyết Vui Xuân Yên Ánh Bích Chi Đào Hiên
Hoài Hường Kiều Lài Lụa Mận Ngân Nhạn Nương Phấn Quyên Sương Thi Thư Trà Tươi Vân Anh""".split()  # noqa: SIM905
TITLES = ["Chuyên viên", "Chuyên viên chính", "Phó Trưởng phòng", "Trưởng phòng",
          "Cán sự", "Văn thư", "Kế toán", "Thanh tra viên"]
DIVISIONS = ["Văn phòng", "Phòng Tổ chức - Hành chính", "Phòng Kế hoạch - Tài chính",
             "Phòng Nghiệp vụ", "Phòng Thanh tra", "Phòng Pháp chế"]
KINDS = ("department", "district", "commune", "unit")
# Relative head count by kind: a department or district committee is several communes.
SIZE_WEIGHT = {"department": 3.0, "district": 4.0, "commune": 0.5, "unit": 1.5}
SYLLABLES = ["An", "Bình", "Cẩm", "Đông", "Hòa", "Hưng", "Lạc", "Minh", "Ngọc", "Phú",
             "Quang", "Tân", "Thái", "Thành", "Vĩnh", "Xuân", "Yên", "Long", "Nghĩa"]
LOCK_REASONS = ("violation", "compromised", "spam_malware")
OPERATOR = "Sở Thông tin và Truyền thông"
MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json"
REQUEST = '{number: "1/BENCH", date: "2025-01-02"}'
CHANGE_REQUEST = '{number: "2/BENCH-TCBM", date: "2025-07-01"}'
# Share of a reorganisation's budget per kind of change (the agency rename comes first).
CHANGE_MIX = {"create": 0.4, "move": 0.3, "lock": 0.15, "revoke": 0.15}


@dataclasses.dataclass
class Person:
    name: str
    title: str
    division: str
    phone: str
    publish: bool
    address: str | None = None  # an override (Điều 5.3), with its reason
    reason: str | None = None
    status: str = "active"
    lock_reason: str | None = None
    request: str = REQUEST


@dataclasses.dataclass
class Agency:
    kind: str
    name: str
    address: str
    parent: str | None
    divisions: list[tuple[str, str]]  # (name, abbreviation)
    people: list[Person]
    previous: list[str] = dataclasses.field(default_factory=list)
    request: str = REQUEST


def weighted(rng: random.Random, table: dict) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


def person_name(rng: random.Random) -> str:
    family = weighted(rng, FAMILY)
    if rng.random() < 0.5:
        middle, given = weighted(rng, MIDDLE_MEN), rng.choice(GIVEN_MEN)
    else:
        middle, given = weighted(rng, MIDDLE_WOMEN), rng.choice(GIVEN_WOMEN)
    return " ".join(part for part in (family, middle, given) if part)


class Province:
    """Hands out agency and person addresses, resolving collisions like Điều 5.3."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.taken: set[str] = set()
        self.collisions = 0

    def claim(self, derived: str, suggestions: list[str]) -> tuple[str, str | None]:
        if derived not in self.taken:
            self.taken.add(derived)
            return derived, None
        if not suggestions:
            raise RuntimeError(f"no free address keeps the name of {derived!r}")
        self.collisions += 1
        address = suggestions[0]
        self.taken.add(address)
        return address, f"'{derived}' đã cấp; thống nhất theo Điều 5.3"

    def place(self, index: int, kind: str, parent: str | None, label: int | None = None):
        """(name, address) of a district or commune; ``label`` renames it."""
        level = "huyện" if kind == "district" else "xã"
        name = f"Ủy ban nhân dân {level} {_place(index if label is None else label)}"
        derived = naming.place_local_part(name)
        address, _ = self.claim(derived, naming.place_suggestions(name, parent, self.taken))
        return name, address

    def body(self, index: int, kind: str) -> tuple[str, str]:
        if index == 0:  # the operator (Sở TTTT), who receives the agencies' passwords
            return OPERATOR, self.claim(naming.agency_abbreviation(OPERATOR), [])[0]
        stem = f"Đơn vị Thử nghiệm Số {index}"
        name = f"Sở {stem}" if kind == "department" else f"Trung tâm {stem}"
        address, _ = self.claim(naming.agency_abbreviation(name) + str(index), [])
        return name, address

    def person(self, agency: Agency, request: str = REQUEST) -> Person:
        rng = self.rng
        name = person_name(rng)
        address, reason = self.claim(naming.person_local_part(name),
                                     naming.person_suggestions(name, agency.address, self.taken))
        return Person(name, rng.choice(TITLES), rng.choice(agency.divisions)[1],
                      f"0221 {rng.randrange(1000000, 9999999)}", rng.random() < 0.8,
                      address if reason else None, reason, request=request)


def _place(index: int) -> str:
    first, second = divmod(index, len(SYLLABLES))
    return f"{SYLLABLES[first % len(SYLLABLES)]} {SYLLABLES[second]} {index}"


def _divisions(index: int) -> list[tuple[str, str]]:
    names = DIVISIONS[: 2 + index % 4]
    return [(name, f"p{number}{naming.abbreviate(name)}") for number, name in enumerate(names)]


def head_counts(kinds: list[str], people: int, rng: random.Random) -> list[int]:
    """People per agency: by kind (SIZE_WEIGHT), ±50 % each, adding up to ``people``."""
    weights = [SIZE_WEIGHT[kind] * rng.uniform(0.5, 1.5) for kind in kinds]
    total = sum(weights)
    counts = [int(people * weight / total) for weight in weights]
    for index in range(people - sum(counts)):
        counts[index % len(counts)] += 1
    return counts


def build(agencies: int, people: int, seed: int) -> tuple[Province, list[Agency]]:
    """The province in memory: ``agencies`` agencies holding ``people`` people in all."""
    province = Province(seed)
    kinds = [KINDS[index % len(KINDS)] for index in range(agencies)]
    counts = head_counts(kinds, people, province.rng)
    result, district = [], None
    for index, (kind, count) in enumerate(zip(kinds, counts, strict=True)):
        if kind == "commune" and district is None:
            kind = "district"
        if kind in ("district", "commune"):
            name, address = province.place(index, kind, district if kind == "commune" else None)
        else:
            name, address = province.body(index, kind)
        agency = Agency(kind, name, address, district if kind == "commune" else None,
                        _divisions(index), [])
        agency.people = [province.person(agency) for _ in range(count)]
        if kind == "district":
            district = address
        result.append(agency)
    return province, result


def reorganise(province: Province, agencies: list[Agency], fraction: float) -> dict:
    """Change ``fraction`` of the people in place, as a reorganisation does; returns counts.

    One commune is renamed (merged communes get a new name): its address and its
    divisions' change, the old ones are kept as ``previous_addresses``, and its people
    move with it. The rest of the budget: new people, people moved to another agency,
    mailboxes locked (Điều 7.1) and revoked (Điều 6.2.c), each with a new request letter.
    """
    rng = random.Random(province.rng.random())
    budget = max(10, round(fraction * sum(len(a.people) for a in agencies)))
    renamed = min((a for a in agencies if a.kind == "commune"), key=lambda a: len(a.people))
    _rename(province, renamed, len(agencies))
    counts = {"renamed_agency": 1, "renamed_divisions": len(renamed.divisions),
              "moved_with_agency": len(renamed.people)}
    left = max(0, budget - 1 - len(renamed.divisions) - len(renamed.people))
    others = [a for a in agencies if a is not renamed]
    for action, share in CHANGE_MIX.items():
        counts[action] = round(left * share)
    _create(province, others, counts["create"], rng)
    _move(others, counts["move"], rng)
    _set_status(others, counts["lock"], "locked", rng)
    _set_status(others, counts["revoke"], "revoked", rng)
    return counts


def _rename(province: Province, agency: Agency, label: int) -> None:
    old = agency.address
    agency.name, agency.address = province.place(label, agency.kind, agency.parent, label)
    agency.previous = [old]
    agency.request = CHANGE_REQUEST  # the old address stays taken: it is an alias now


def _create(province: Province, agencies: list[Agency], count: int, rng) -> None:
    for _ in range(count):
        agency = rng.choice(agencies)
        agency.people.append(province.person(agency, CHANGE_REQUEST))


def _active_people(agencies: list[Agency], rng, count: int):
    """``count`` distinct (agency, index) of active, unchanged people, drawn at random."""
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < count:
        agency_index = rng.randrange(len(agencies))
        people = agencies[agency_index].people
        if not people:
            continue
        index = rng.randrange(len(people))
        person = people[index]
        if person.status == "active" and person.request == REQUEST:
            chosen.add((agency_index, index))
    return sorted(chosen, reverse=True)  # highest index first: safe to pop


def _move(agencies: list[Agency], count: int, rng) -> None:
    """Điều 6.2.b: the person leaves one file and enters another, keeping the address."""
    for agency_index, index in _active_people(agencies, rng, count):
        person = agencies[agency_index].people.pop(index)
        target = rng.choice([a for a in agencies if a is not agencies[agency_index]])
        person.division = rng.choice(target.divisions)[1]
        person.request = CHANGE_REQUEST
        target.people.append(person)


def _set_status(agencies: list[Agency], count: int, status: str, rng) -> None:
    for agency_index, index in _active_people(agencies, rng, count):
        person = agencies[agency_index].people[index]
        person.status, person.request = status, CHANGE_REQUEST
        person.lock_reason = rng.choice(LOCK_REASONS) if status == "locked" else None


def agency_text(agency: Agency) -> str:
    lines = [MODELINE, "agency:", f"  name: {agency.name}", f"  kind: {agency.kind}"]
    if agency.parent:
        lines.append(f"  parent: {agency.parent}")
    if agency.kind in ("department", "unit"):
        lines.append(f"  address: {agency.address}")
    if agency.previous:
        lines.append(f"  previous_addresses: [{', '.join(agency.previous)}]")
    lines += [f"  owners: [vanthu-{agency.address}]", f"  request: {agency.request}",
              "divisions:"]
    for name, abbreviation in agency.divisions:
        lines += [f"  - name: {name}", f"    abbreviation: {abbreviation}"]
        if agency.previous:
            lines.append(f"    previous_addresses: [{abbreviation}.{agency.previous[0]}]")
        lines.append(f"    request: {agency.request}")
    lines.append("people:")
    for person in agency.people:
        lines += person_lines(person)
    return "\n".join(lines) + "\n"


def person_lines(person: Person) -> list[str]:
    lines = [f"  - name: {person.name}", f"    title: {person.title}",
             f"    division: {person.division}", f'    phone: "{person.phone}"',
             f"    publish: {'true' if person.publish else 'false'}"]
    if person.reason:
        lines += [f"    address: {person.address}", f'    address_reason: "{person.reason}"']
    if person.status != "active":
        lines.append(f"    status: {person.status}")
    if person.lock_reason:
        lines.append(f"    lock_reason: {person.lock_reason}")
    return [*lines, f"    request: {person.request}"]


def write(out: str, agencies: list[Agency]) -> None:
    os.makedirs(out, exist_ok=True)
    for agency in agencies:
        with open(os.path.join(out, f"{agency.address}.yml"), "w", encoding="utf-8") as handle:
            handle.write(agency_text(agency))


def generate(out: str, agencies: int, people: int, seed: int) -> Province:
    """Write ``agencies`` files holding ``people`` people in all (agency mailboxes aside)."""
    province, built = build(agencies, people, seed)
    write(out, built)
    return province


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed-out", help="also write the province after a reorganisation")
    parser.add_argument("--change", type=float, default=0.01, help="share of people changed")
    args = parser.parse_args()
    province, agencies = build(args.agencies, args.people, args.seed)
    write(args.out, agencies)
    overrides = sum(1 for a in agencies for p in a.people if p.reason)
    print(f"{args.agencies} agency files, {args.people} people, {province.collisions} "
          f"collisions resolved (Điều 5.3; {overrides / max(1, args.people):.0%} of people "
          f"carry an address override) in {args.out}/")
    if args.changed_out:
        counts = reorganise(province, agencies, args.change)
        write(args.changed_out, agencies)
        print(f"reorganised into {args.changed_out}/: {counts}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a synthetic province: agency files with realistic Vietnamese names (deterministic).

    python bench/generate.py --out /tmp/province --agencies 1000 --people 100000 --seed 1

Family names follow their share in the population, so address collisions happen about as
often as in life; each is resolved the Điều 5.3 way (the first free suggestion that keeps
the name, with the reason written down), so the result validates.
"""

from __future__ import annotations

import argparse
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugins", "module_utils"))
from hymail import naming  # noqa: E402

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
MODELINE = "# yaml-language-server: $schema=../schemas/agency.schema.json"
REQUEST = '{number: "1/BENCH", date: "2025-01-02"}'


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
        self.collisions += 1
        address = suggestions[0]
        self.taken.add(address)
        return address, f"'{derived}' đã cấp; thống nhất theo Điều 5.3"

    def agency(self, index: int, kind: str) -> tuple[str, str]:
        stem = f"Đơn vị Thử nghiệm Số {index}"
        if kind in ("district", "commune"):
            level = "Huyện" if kind == "district" else "Xã"
            name = f"Ủy ban nhân dân {level.lower()} {self._place(index)}"
            derived = naming.place_local_part(name)
            address, _ = self.claim(derived, naming.place_suggestions(name, None, self.taken))
            return name, address
        name = f"Sở {stem}" if kind == "department" else f"Trung tâm {stem}"
        address, _ = self.claim(naming.agency_abbreviation(name) + str(index), [])
        return name, address

    def _place(self, index: int) -> str:
        syllables = ["An", "Bình", "Cẩm", "Đông", "Hòa", "Hưng", "Lạc", "Minh", "Ngọc", "Phú",
                     "Quang", "Tân", "Thái", "Thành", "Vĩnh", "Xuân", "Yên", "Long", "Nghĩa"]
        first, second = divmod(index, len(syllables))
        return f"{syllables[first % len(syllables)]} {syllables[second]} {index}"


def agency_text(province: Province, index: int, kind: str, people: int, parent: str) -> tuple:
    name, address = province.agency(index, kind)
    lines = [MODELINE, "agency:", f"  name: {name}", f"  kind: {kind}"]
    if kind == "commune":
        lines.append(f"  parent: {parent}")
    if kind in ("department", "unit"):
        lines.append(f"  address: {address}")
    lines += [f"  owners: [vanthu-{address}]", f"  request: {REQUEST}", "divisions:"]
    divisions = DIVISIONS[: 2 + index % 4]
    for number, division in enumerate(divisions):
        abbreviation = f"p{number}{naming.abbreviate(division)}"
        lines += [f"  - name: {division}", f"    abbreviation: {abbreviation}",
                  f"    request: {REQUEST}"]
    lines.append("people:")
    for _ in range(people):
        lines += person_lines(province, address, divisions)
    return address, "\n".join(lines) + "\n"


def person_lines(province: Province, agency: str, divisions: list[str]) -> list[str]:
    rng = province.rng
    name = person_name(rng)
    address, reason = province.claim(naming.person_local_part(name),
                                     naming.person_suggestions(name, agency, province.taken))
    number = rng.randrange(len(divisions))
    lines = [f"  - name: {name}", f"    title: {rng.choice(TITLES)}",
             f"    division: p{number}{naming.abbreviate(divisions[number])}",
             f'    phone: "0221 {rng.randrange(1000000, 9999999)}"',
             f"    publish: {'true' if rng.random() < 0.8 else 'false'}"]
    if reason:
        lines += [f"    address: {address}", f"    address_reason: \"{reason}\""]
    return [*lines, f"    request: {REQUEST}"]


def generate(out: str, agencies: int, people: int, seed: int) -> Province:
    """Write ``agencies`` files holding ``people`` people in all (agency mailboxes aside)."""
    province = Province(seed)
    os.makedirs(out, exist_ok=True)
    per_agency, extra = divmod(people, agencies)
    district = None
    for index in range(agencies):
        kind = KINDS[index % len(KINDS)]
        count = per_agency + (1 if index < extra else 0)
        if kind == "commune" and district is None:
            kind = "district"
        address, text = agency_text(province, index, kind, count, district)
        if kind == "district":
            district = address
        with open(os.path.join(out, f"{address}.yml"), "w", encoding="utf-8") as handle:
            handle.write(text)
    return province


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    province = generate(args.out, args.agencies, args.people, args.seed)
    print(f"{args.agencies} agency files, {args.people} people, "
          f"{province.collisions} collisions resolved (Điều 5.3) in {args.out}/")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates diseases/catalog.tsv from the shared disease lists.

usage: scripts/make_catalog.py ../shared/domain > diseases/catalog.tsv

Columns: programme, number (指定難病 告示番号, or the shouman.jp code for 小慢),
official Japanese name, English name, group. The status of each disease in
Kijun (rule file, tests, version) is not stored here: `kijun catalog`
computes it from the rule files.
"""
import csv
import sys
from pathlib import Path


def rows(path):
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    return csv.DictReader(lines, delimiter="\t")


def main():
    domain = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/domain")
    print("# Disease catalog: 指定難病 Nos. 1–348 in force from 2025-04-01 (MHLW 指定難病病名一覧表 "
          "via github.com/136s/intractable-disease, CC BY 4.0; English names from NANDO 2025-08-26, "
          "CC BY 4.0) and 845 小慢 codes from NANDO (shouman.jp codes; includes sub-entries, not the "
          "official count). Regenerate with scripts/make_catalog.py.")
    out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    out.writerow(["programme", "number", "name_ja", "name_en", "group"])
    for r in rows(domain / "nanbyo_diseases.tsv"):
        out.writerow(["指定難病", r["number"], r["name_ja_official"], r["name_en"], r["group_mhlw"]])
    for r in rows(domain / "shoman_diseases.tsv"):
        out.writerow(["小慢", r["shouman_code"], r["name_ja"], r["name_en"], r["group_ja"]])


if __name__ == "__main__":
    main()

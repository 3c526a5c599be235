#!/usr/bin/env python3
"""Prints Japan's national holidays from the independent `holidays` package (PyPI) as TSV:
DATE<TAB>NAME_JA, one line per holiday, for the years given (default 1973-2099).

Used by crates/policy/tests/holidays_reference.rs to check mimamori's own implementation of the
Act on National Holidays against a dataset it did not write. Installed by scripts/test-deps.sh.
"""
import sys

import holidays

first, last = (int(a) for a in sys.argv[1:3]) if len(sys.argv) >= 3 else (1973, 2099)
print(f"# holidays {holidays.__version__}")
for day, name in sorted(holidays.Japan(years=range(first, last + 1), language="ja").items()):
    print(f"{day.isoformat()}\t{name}")

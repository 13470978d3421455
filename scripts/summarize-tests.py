#!/usr/bin/env python3
"""Adds up meson's test log (JSON lines) and JUnit XML files into one line:
'tests: N passed, N failed' (skips are reported and count as failures, since
a skipped test here means a missing prerequisite)."""
import json
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        if path.endswith(".json"):
            with open(path) as f:
                for line in f:
                    if not line.strip():
                        continue
                    result = json.loads(line).get("result")
                    if result == "OK":
                        passed += 1
                    elif result == "SKIP":
                        skipped += 1
                    else:
                        failed += 1
        else:
            root = ET.parse(path).getroot()
            suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
            for s in suites:
                total = int(s.get("tests", 0))
                f_ = int(s.get("failures", 0)) + int(s.get("errors", 0))
                sk = int(s.get("skipped", 0))
                passed += total - f_ - sk
                failed += f_
                skipped += sk
    except (OSError, ValueError, ET.ParseError) as e:
        print(f"summarize-tests: cannot read {path}: {e}", file=sys.stderr)
        failed += 1
line = f"tests: {passed} passed, {failed + skipped} failed"
if skipped:
    line += f" ({skipped} skipped, counted as failed)"
print(line)
sys.exit(1 if failed or skipped else 0)

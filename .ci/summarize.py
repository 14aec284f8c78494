"""Sums test results from TRX (dotnet test), JUnit XML (ctest) and *.result files; prints 'N passed, N failed, N skipped'."""
import glob
import os
import sys
import xml.etree.ElementTree as ET

root = sys.argv[1]
passed = failed = skipped = 0
for path in glob.glob(os.path.join(root, "**", "*.trx"), recursive=True):
    tree = ET.parse(path)
    for el in tree.iter():
        if el.tag.endswith("Counters"):
            p = int(el.get("passed", 0))
            f = int(el.get("failed", 0)) + int(el.get("error", 0)) + int(el.get("timeout", 0)) + int(el.get("aborted", 0))
            total = int(el.get("total", 0))
            s = total - p - f
            passed, failed, skipped = passed + p, failed + f, skipped + max(s, 0)
            print(f"{os.path.relpath(path, root)}: {p} passed, {f} failed, {max(s, 0)} skipped")
for path in glob.glob(os.path.join(root, "ctest-*.xml")):
    tree = ET.parse(path)
    r = tree.getroot()
    suites = [r] if r.tag == "testsuite" else r.findall("testsuite")
    p = f = s = 0
    for suite in suites:
        for case in suite.findall("testcase"):
            status = case.get("status", "run")
            if case.find("failure") is not None or case.find("error") is not None or status == "fail":
                f += 1
            elif case.find("skipped") is not None or status in ("notrun", "disabled"):
                s += 1
            else:
                p += 1
    print(f"{os.path.basename(path)}: {p} passed, {f} failed, {s} skipped")
    passed, failed, skipped = passed + p, failed + f, skipped + s
for path in glob.glob(os.path.join(root, "*.result")):
    text = open(path).read()
    if "passed" in text:
        passed += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)

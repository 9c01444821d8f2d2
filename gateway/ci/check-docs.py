#!/usr/bin/env python3
"""Checks the edge's published API docs from the outside.

1. /openapi.json validates with openapi-spec-validator (an independent implementation
   of the OpenAPI 3 schema and rules).
2. /docs/ rendered by headless Chromium lists every operation of the document.

Usage: check-docs.py http://127.0.0.1:8080 [path/to/chromium]
"""

import json
import re
import subprocess
import sys
import urllib.request

from openapi_spec_validator import validate


def main() -> int:
    base = sys.argv[1].rstrip("/")
    chromium = sys.argv[2] if len(sys.argv) > 2 else "chromium"
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as answer:
        document = json.load(answer)
    validate(document)
    operations = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
    }
    print(f"openapi.json is valid: {len(document['paths'])} paths, {len(operations)} operations")

    dom = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--virtual-time-budget=20000", "--dump-dom", f"{base}/docs/"],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    shown = set()
    for block in re.finditer(r'class="opblock opblock-(\w+)[^"]*".*?data-path="([^"]*)"', dom, re.S):
        shown.add((block.group(1).upper(), block.group(2).replace("&amp;", "&")))
    missing = sorted(operations - shown)
    if missing:
        print(f"/docs does not list {len(missing)} operations, e.g. {missing[:5]}", file=sys.stderr)
        print(f"it lists {len(shown)}", file=sys.stderr)
        return 1
    print(f"/docs in headless Chromium lists all {len(operations)} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())

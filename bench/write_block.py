#!/usr/bin/env python3
"""Replaces the part of a document between its markers with a script's output, so a document's figures are always
what that script last printed:

    <!-- begin NAME: ... -->
    ... (replaced) ...
    <!-- end NAME -->

Usage: write_block.py DOCUMENT NAME FILE   (FILE holds the new text; the markers themselves are kept)
"""
import sys

document_path, name, text_path = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(document_path).read().split("\n")
begin = next((i for i, line in enumerate(lines) if line.startswith(f"<!-- begin {name}")), None)
end = next((i for i, line in enumerate(lines) if line == f"<!-- end {name} -->"), None)
if begin is None or end is None or end < begin:
    sys.exit(f"write_block.py: {document_path} has no '<!-- begin {name}' ... '<!-- end {name} -->' markers")
new = open(text_path).read().rstrip("\n").split("\n")
open(document_path, "w").write("\n".join(lines[: begin + 1] + new + lines[end:]))
print(f"write_block.py: wrote {len(new)} lines between the {name} markers of {document_path}")

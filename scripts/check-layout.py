#!/usr/bin/python3
"""The shape of the code, checked (scripts/lint.sh runs it after a build):

- the areas of src/ (its folders) include each other's headers without a
  cycle, and no source file of the built module calls into a file that
  calls back into it (from the symbols of _build's objects);
- no source file is longer than MAX_FILE lines, no function longer than
  MAX_FUNCTION lines.

Exit status 1 with one line per fault."""

import os
import re
import subprocess
import sys

MAX_FILE = 600
MAX_FUNCTION = 65         # "about 60": room for a few steps that read best together

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
BUILD = os.path.join(ROOT, sys.argv[1] if len(sys.argv) > 1 else "_build")


def sources():
    for d, _, files in os.walk(SRC):
        for f in sorted(files):
            if f.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(d, f), ROOT)


def area(path):
    """src/strategy/dbd/dbd.c -> strategy/dbd; src/auth_backend.h -> ''."""
    return os.path.dirname(os.path.relpath(path, "src"))


def cycles(graph):
    """Every cycle of GRAPH (node -> set of nodes), each once."""
    found, seen = [], set()

    def walk(node, stack):
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cyc = stack[stack.index(nxt):]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append(cyc + [nxt])
            elif nxt not in done:
                walk(nxt, stack + [nxt])
        done.add(node)

    done = set()
    for n in sorted(graph):
        if n not in done:
            walk(n, [n])
    return found


def include_graph():
    graph = {}
    for path in sources():
        here = area(path)
        with open(os.path.join(ROOT, path)) as f:
            for m in re.finditer(r'^#include "([^"]+)"', f.read(), re.M):
                there = os.path.dirname(m.group(1))
                if (here and there and there != here
                        and os.path.exists(os.path.join(SRC, m.group(1)))):
                    graph.setdefault(here, set()).add(there)
    return graph


def call_graph():
    """source file -> the source files whose functions it calls."""
    objs = {}
    for path in sources():
        if path.endswith(".c"):
            rel = os.path.relpath(path[:-2], "src")
            for cand in (os.path.join(BUILD, "src", rel + ".o"),
                         os.path.join(BUILD, "src", os.path.dirname(rel),
                                      ".libs", os.path.basename(rel) + ".o")):
                if os.path.exists(cand):
                    objs[path] = cand
                    break
    if not objs:
        sys.exit("check-layout: no objects under %s: build first" % BUILD)
    defined, wanted = {}, {}
    for path, obj in objs.items():
        out = subprocess.run(["nm", obj], check=True, capture_output=True,
                             text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                wanted.setdefault(path, set()).add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBR":
                defined[parts[2]] = path
    graph = {}
    for path, syms in wanted.items():
        for s in syms:
            if s in defined and defined[s] != path:
                graph.setdefault(path, set()).add(defined[s])
    return graph


def long_functions(path):
    """(name, first line, length) of each function over MAX_FUNCTION."""
    with open(os.path.join(ROOT, path)) as f:
        lines = f.read().split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if line == "{" and i > 0:
            j = i - 1
            while j > 0 and "(" not in lines[j]:
                j -= 1
            m = re.search(r"(\w+)\s*\(", lines[j])
            start, name = i, m.group(1) if m else "?"
        elif line == "}" and start is not None:
            if i - start - 1 > MAX_FUNCTION:
                out.append((name, start, i - start - 1))
            start = None
    return out


def main():
    faults = []
    for cyc in cycles(include_graph()):
        faults.append("include cycle between areas: " + " -> ".join(cyc))
    for cyc in cycles(call_graph()):
        faults.append("call cycle between files: " + " -> ".join(cyc))
    for path in sources():
        with open(os.path.join(ROOT, path)) as f:
            n = f.read().count("\n")
        if n > MAX_FILE:
            faults.append("%s: %d lines (at most %d: split it by concern)"
                          % (path, n, MAX_FILE))
        for name, line, length in long_functions(path):
            faults.append("%s:%d: %s() has %d lines (at most %d)"
                          % (path, line, name, length, MAX_FUNCTION))
    for f in faults:
        print(f)
    if faults:
        sys.exit(1)
    print("layout: no cycles, no file over %d lines, no function over %d"
          % (MAX_FILE, MAX_FUNCTION))


main()

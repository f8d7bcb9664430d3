#!/usr/bin/python3
"""Checks that the documentation follows the code (python3 standard library only).

Fails (exit 1, one "file:line: what" per problem) when:

a) a directive registered with AP_INIT_* in mod_auth_backend.c or src/**/*.c has no row in
   the "## Directives" table of docs/directives.md, or a row names a directive that nothing
   registers; every directive must also appear in conf/auth_backend.conf;
b) a relative link in README.md, docs/*.md or the comments of conf/ points to a missing file
   or to a missing #anchor (anchors computed from headings as GitHub does). In conf/ comments
   both markdown links (relative to the file) and bare docs/PAGE.md#anchor references
   (relative to the repository) are checked;
c) an option name that a transport or strategy takes (a string literal passed with `opts`,
   as in auth_backend_option_take(opts, "lifetime"), or the names of a table whose entries
   are passed that way) is missing from its page: docs/transports.md for src/**/transport*,
   docs/strategy-NAME.md for src/**/strategy[_/]NAME*; and from conf/auth_backend.conf;
   and the lists NAME_options[] of src/config/builtin.c (the "did you mean" of an unknown
   option) hold exactly what src/transport/NAME.c or src/strategy/NAME/ takes;
d) a fenced block in the docs whose first line is "# /etc/fail2ban/..." differs from the
   file shipped under conf/fail2ban/.
"""

import glob
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRECTIVES_MD = "docs/directives.md"
SAMPLE_CONF = "conf/auth_backend.conf"

errors = []
counts = {"directives": 0, "links": 0, "options": 0}


def error(path, line, msg):
    errors.append("%s:%d: %s" % (path, line, msg))


def read(rel):
    with open(os.path.join(REPO, rel), encoding="utf-8") as f:
        return f.read()


def lineno(text, pos):
    return text.count("\n", 0, pos) + 1


def c_sources():
    out = []
    if os.path.exists(os.path.join(REPO, "mod_auth_backend.c")):
        out.append("mod_auth_backend.c")
    for path in sorted(glob.glob(os.path.join(REPO, "src", "**", "*.c"),
                                 recursive=True)):
        out.append(os.path.relpath(path, REPO))
    return out


def strip_c_comments(text):
    """Blanks C comments, keeping newlines (and so line numbers)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"/\*.*?\*/|//[^\n]*", blank, text, flags=re.S)


# ---- markdown ---------------------------------------------------------------

FENCE = re.compile(r"^(```|~~~)")


def md_lines(text):
    """(line number, line, in_fence) for each line."""
    fence = None
    for n, ln in enumerate(text.split("\n"), 1):
        m = FENCE.match(ln.lstrip())
        if m:
            if fence is None:
                fence = m.group(1)
                yield n, ln, True
                continue
            if ln.lstrip().startswith(fence):
                fence = None
                yield n, ln, True
                continue
        yield n, ln, fence is not None


def slug(heading):
    """GitHub's anchor for a heading's text."""
    parts = re.split(r"(`[^`]*`)", heading)
    text = ""
    for i, part in enumerate(parts):
        if i % 2:
            text += part[1:-1]          # code: its text, tags and all
        else:
            part = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", part)
            part = re.sub(r"<[^>]+>", "", part)
            text += part.replace("*", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


_anchor_cache = {}


def anchors(rel):
    if rel not in _anchor_cache:
        seen = {}
        out = set()
        for _n, ln, fenced in md_lines(read(rel)):
            m = re.match(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", ln)
            if fenced or not m:
                continue
            base = slug(m.group(2))
            k = seen.get(base, 0)
            out.add(base if k == 0 else "%s-%d" % (base, k))
            seen[base] = k + 1
        _anchor_cache[rel] = out
    return _anchor_cache[rel]


def mask_code_spans(ln):
    """Replaces the inside of `code` spans with x, so that a link-like text in code
    is not a link, while [`name`](target) stays one."""
    return re.sub(r"`[^`]*`", lambda m: "`" + "x" * (len(m.group(0)) - 2) + "`", ln)


LINK = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def check_target(src, line, target, base_dir):
    counts["links"] += 1
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
        return                          # http:, https:, mailto: ...
    path, _, frag = target.partition("#")
    if path:
        rel = os.path.normpath(os.path.join(base_dir, path))
        if rel.startswith(".."):
            error(src, line, "link %s leaves the repository" % target)
            return
        if not os.path.exists(os.path.join(REPO, rel)):
            error(src, line, "link %s: no file %s" % (target, rel))
            return
    else:
        rel = src
    if frag:
        if not rel.endswith(".md") or os.path.isdir(os.path.join(REPO, rel)):
            return
        if frag not in anchors(rel):
            error(src, line, "link %s: %s has no heading with the anchor #%s"
                  % (target, rel, frag))


def check_md_links(rel):
    base = os.path.dirname(rel)
    for n, ln, fenced in md_lines(read(rel)):
        if fenced:
            continue
        for m in LINK.finditer(mask_code_spans(ln)):
            target = ln[m.start(1):m.end(1)]
            check_target(rel, n, target, base)


def check_conf_links(rel):
    base = os.path.dirname(rel)
    for n, ln in enumerate(read(rel).split("\n"), 1):
        if not ln.lstrip().startswith("#"):
            continue
        for m in LINK.finditer(ln):
            check_target(rel, n, m.group(1), base)
        for m in re.finditer(r"(?<![\w/.\-(])(docs/[\w.\-]+\.md(?:#[\w\-]+)?|README\.md(?:#[\w\-]+)?)", ln):
            check_target(rel, n, m.group(1), "")


# ---- a) directives --------------------------------------------------------------

def registered_directives():
    found = {}
    for rel in c_sources():
        text = strip_c_comments(read(rel))
        for m in re.finditer(r"\bAP_INIT_[A-Z0-9_]+\s*\(\s*\"([^\"]+)\"", text):
            name = m.group(1)
            if name.startswith("<") and not name.endswith(">"):
                name += ">"
            found.setdefault(name, (rel, lineno(text, m.start())))
    return found


def documented_directives():
    rows = {}
    in_section = False
    for n, ln, fenced in md_lines(read(DIRECTIVES_MD)):
        if fenced:
            continue
        h = re.match(r"^(#{1,6})\s+(.*)$", ln)
        if h:
            in_section = len(h.group(1)) == 2 and h.group(2).strip() == "Directives"
            continue
        if not in_section or not ln.startswith("|"):
            continue
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if not cells or re.fullmatch(r":?-{3,}:?", cells[0]) or cells[0].lower() == "directive":
            continue
        m = re.search(r"`([^`]+)`", cells[0])
        if not m:
            error(DIRECTIVES_MD, n, "a row of the Directives table without a `name`")
            continue
        name = m.group(1).strip()
        if name in rows:
            error(DIRECTIVES_MD, n, "directive %s is listed twice" % name)
        rows[name] = n
    return rows


def check_directives():
    code = registered_directives()
    docs = documented_directives()
    counts["directives"] = len(code)
    if not code:
        error("mod_auth_backend.c", 1, "no AP_INIT_* directive found in the sources")
    for name, (rel, line) in sorted(code.items()):
        if name not in docs:
            error(rel, line, "directive %s is registered but has no row in the "
                  "'## Directives' table of %s" % (name, DIRECTIVES_MD))
    for name, line in sorted(docs.items(), key=lambda kv: kv[1]):
        if name not in code:
            error(DIRECTIVES_MD, line, "directive %s is listed, but no AP_INIT_* in "
                  "mod_auth_backend.c or src/ registers it" % name)
    if os.path.exists(os.path.join(REPO, SAMPLE_CONF)):
        conf = read(SAMPLE_CONF)
        for name, (rel, line) in sorted(code.items()):
            word = name.rstrip(">")
            if not re.search(r"(?<![\w<])" + re.escape(word) + r"(?![\w])", conf):
                error(rel, line, "directive %s does not appear in %s" % (name, SAMPLE_CONF))
    else:
        error(SAMPLE_CONF, 1, "the sample configuration is missing")


# ---- c) options -----------------------------------------------------------------

def option_names(rel, text, sources):
    """(name, file, line) of the option names a transport/strategy source takes:
    string literals passed with opts, and the names of a table (defined in this file or
    in another source under src/) whose entries are passed with opts."""
    out = []
    for m in re.finditer(r"\bopts\s*,\s*\"([a-z][a-z0-9-]*)\"", text):
        out.append((m.group(1), rel, lineno(text, m.start(1))))
    for m in re.finditer(r"\bopts\s*,\s*([A-Za-z_]\w*)\s*\[[^\]]*\]\s*\.\s*\w+", text):
        pattern = re.compile(r"\b" + re.escape(m.group(1))
                             + r"\s*\[[^\]]*\]\s*=\s*\{(.*?)\}\s*;", re.S)
        where = [(rel, text)] + [(r, t) for r, t in sources if r != rel]
        for trel, ttext in where:
            table = pattern.search(ttext)
            if table:
                break
        if not table:
            out.append((None, rel, lineno(text, m.start())))
            continue
        for e in re.finditer(r"\{\s*\"([a-z][a-z0-9-]*)\"", table.group(1)):
            out.append((e.group(1), trel, lineno(ttext, table.start(1) + e.start(1))))
    return out


BUILTIN_C = "src/config/builtin.c"


def check_builtin_options(sources):
    if not os.path.exists(os.path.join(REPO, BUILTIN_C)):
        return
    text = strip_c_comments(read(BUILTIN_C))
    tables = list(re.finditer(r"\b([a-z0-9]+)_options\s*\[\s*\]\s*=\s*\{(.*?)\}\s*;",
                              text, re.S))
    if not tables:
        error(BUILTIN_C, 1, "no NAME_options[] lists found")
    listed_names = {m.group(1) for m in tables}
    for rel, stext in sources:
        sub = rel[len("src" + os.sep):].replace(os.sep, "/")
        p = re.match(r"(?:transport/([a-z0-9]+)\.c|strategy/([a-z0-9]+)/)", sub)
        if p and (p.group(1) or p.group(2)) not in listed_names \
                and any(n for n, _, _ in option_names(rel, stext, sources)):
            error(BUILTIN_C, 1, "no %s_options[] list, though %s takes options"
                  % (p.group(1) or p.group(2), rel))
            listed_names.add(p.group(1) or p.group(2))
    for m in tables:
        name, line = m.group(1), lineno(text, m.start())
        listed = set(re.findall(r"\"([a-z][a-z0-9-]*)\"", m.group(2)))
        taken = set()
        for rel, stext in sources:
            sub = rel[len("src" + os.sep):].replace(os.sep, "/")
            if sub == "transport/%s.c" % name or sub.startswith("strategy/%s/" % name):
                taken |= {n for n, _, _ in option_names(rel, stext, sources) if n}
        if not taken:
            error(BUILTIN_C, line, "%s_options: no transport or strategy %s takes options"
                  % (name, name))
        for n in sorted(taken - listed):
            error(BUILTIN_C, line, "%s_options lacks '%s', which %s takes" % (name, n, name))
        for n in sorted(listed - taken):
            error(BUILTIN_C, line, "%s_options lists '%s', which %s does not take"
                  % (name, n, name))


def check_options():
    groups = {}     # page -> [(name, file, line)]
    sources = [(rel, strip_c_comments(read(rel))) for rel in c_sources()
               if rel.startswith("src" + os.sep)]
    for rel, text in sources:
        sub = rel[len("src" + os.sep):].replace(os.sep, "/")
        s = re.search(r"(?:^|/)strategy[_/]([a-z0-9]+)", sub)
        t = re.search(r"(?:^|/)transport[_/]", sub)
        if s:
            page = "docs/strategy-%s.md" % s.group(1)
        elif t:
            page = "docs/transports.md"
        else:
            continue
        found = groups.setdefault(page, [])
        for name, orel, line in option_names(rel, text, sources):
            if name is None:
                error(orel, line, "option names taken from a table that "
                      "check-docs.py cannot find: teach it how this file parses options")
                continue
            found.append((name, orel, line))
    check_builtin_options(sources)
    conf = read(SAMPLE_CONF) if os.path.exists(os.path.join(REPO, SAMPLE_CONF)) else ""
    if not groups:
        error("src", 1, "no transport or strategy source found under src/")
    for page, found in sorted(groups.items()):
        if not found:
            error(page, 1, "no option names found in the sources of this page's "
                  "provider: check-docs.py must learn how its options are parsed")
            continue
        if not os.path.exists(os.path.join(REPO, page)):
            rel, line = found[0][1], found[0][2]
            error(rel, line, "no documentation page %s for this provider" % page)
            continue
        doc = read(page)
        for name, rel, line in found:
            counts["options"] += 1
            if not re.search(r"`" + re.escape(name) + r"=?`", doc):
                error(rel, line, "option %s= is not documented in %s (as `%s`)"
                      % (name, page, name))
            if conf and not re.search(r"(?<![\w-])" + re.escape(name) + r"=", conf):
                error(rel, line, "option %s= does not appear in %s" % (name, SAMPLE_CONF))


# ---- d) fail2ban copies -----------------------------------------------------------

def check_fail2ban_copies(rel):
    block, start, first = None, 0, None
    for n, ln, fenced in md_lines(read(rel)):
        if fenced and FENCE.match(ln.lstrip()):
            if block is None:
                block, start = [], n
            else:
                if block and block[0].startswith("# /etc/fail2ban/"):
                    shipped = os.path.join("conf", block[0][len("# /etc/"):].strip())
                    text = "\n".join(block) + "\n"
                    if not os.path.exists(os.path.join(REPO, shipped)):
                        error(rel, start, "no shipped file %s for this block" % shipped)
                    elif read(shipped) != text:
                        error(rel, start, "this block differs from %s" % shipped)
                block = None
        elif block is not None:
            block.append(ln)


def main():
    md = ["README.md"] + sorted(os.path.relpath(p, REPO) for p in
                                glob.glob(os.path.join(REPO, "docs", "*.md")))
    if not os.path.exists(os.path.join(REPO, DIRECTIVES_MD)):
        error(DIRECTIVES_MD, 1, "the directive index is missing")
    else:
        check_directives()
    for rel in md:
        check_md_links(rel)
        check_fail2ban_copies(rel)
    for path in sorted(glob.glob(os.path.join(REPO, "conf", "**", "*"), recursive=True)):
        if os.path.isfile(path):
            check_conf_links(os.path.relpath(path, REPO))
    check_options()
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        print("check-docs: %d problem(s)" % len(errors), file=sys.stderr)
        return 1
    print("check-docs: ok (%d directives, %d links, %d options)"
          % (counts["directives"], counts["links"], counts["options"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())

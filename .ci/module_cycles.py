#!/usr/bin/env python3
"""Fails if the modules of any crate import each other in a circle.

Each .rs file under a crate's src/ is a module (lib.rs/main.rs the root, a/mod.rs and a.rs the module a).
An edge A -> B is any path A names that resolves to module B: `crate::x::y`, `super::...`, `self::...`,
in `use` declarations (braces expanded) and inline. A path resolves to the longest module it names, so
`crate::estimator::network::Estimator` is an edge to estimator::network, and `crate::estimator::Estimator`
(a re-export) one to estimator. A module naming one of its own ancestors is a cycle too (the ancestor
declares it), so children import from their siblings, never through their parent.

usage: .ci/module_cycles.py [crate_dir ...]   (default: every crates/*/ and xtask/)
"""
import pathlib
import re
import sys


def module_of(src: pathlib.Path, f: pathlib.Path):
    rel = f.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def expand_use(text):
    """Expands `a::{b, c::{d, e}}` into full paths."""
    text = re.sub(r"\s+", "", text)
    depth, start = 0, None
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                prefix, inner, suffix = text[:start], text[start + 1 : i], text[i + 1 :]
                items, d, cur = [], 0, ""
                for c in inner:
                    if c == "," and d == 0:
                        items.append(cur)
                        cur = ""
                        continue
                    d += c == "{"
                    d -= c == "}"
                    cur += c
                items.append(cur)
                out = []
                for it in items:
                    if it:
                        out += expand_use(prefix + it + suffix)
                return out
    return [text]


def strip_comments(code):
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    return "\n".join(l.split("//")[0] for l in code.split("\n"))


def resolve(mod, path, modules):
    segs = path.split("::")
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = mod
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    elif mod + (segs[0],) in modules:
        # A path from a child module (`use card::X` in the module that declares `card`).
        base = mod
    else:
        return None
    best = base
    for k in range(1, len(segs) + 1):
        cand = base + tuple(segs[:k])
        if cand in modules:
            best = cand
    return best


def cycles(crate: pathlib.Path):
    src = crate / "src"
    files = {module_of(src, f): f for f in src.rglob("*.rs")}
    modules = set(files)
    edges = {m: set() for m in modules}
    for m, f in files.items():
        code = strip_comments(f.read_text())
        # Test modules may use their parent freely: they are compiled into it.
        code = code.split("#[cfg(test)]")[0]
        paths = []
        for u in re.findall(r"\buse\s+([^;]+);", code):
            paths += expand_use(u)
        paths += re.findall(r"\b((?:crate|super|self)(?:::\w+)+)", code)
        for p in paths:
            p = p.split(" as ")[0].replace("r#", "")
            target = resolve(m, p.rstrip(":*"), modules)
            if target is not None and target != m:
                edges[m].add(target)
    # Tarjan's strongly connected components.
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(modules):
        if v not in index:
            visit(v)
    name = lambda m: "::".join(("crate",) + m)
    return [sorted(name(m) for m in c) for c in out], sum(len(e) for e in edges.values())


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    crates = [pathlib.Path(a) for a in sys.argv[1:]] or sorted(
        [p for p in (root / "crates").iterdir() if (p / "src").is_dir()] + [root / "xtask"]
    )
    bad = 0
    for c in crates:
        found, n_edges = cycles(c)
        for comp in found:
            print(f"{c.name}: import cycle among {', '.join(comp)}")
            bad += 1
        if not found:
            print(f"{c.name}: no import cycle ({n_edges} imports between modules)")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

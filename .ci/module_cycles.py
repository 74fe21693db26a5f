#!/usr/bin/env python3
"""Fails when the modules of one crate import each other in a cycle.

Each `.rs` file under `crates/*/src` (and `benches/src`) is a module. An edge A -> B is a path
in A's code that names B or an item in B: `crate::b::...`, `super::b::...`, `self::b::...`, or
a path through a `use` of those. A module's `mod` declarations and `pub use` re-exports (a table
of contents) are not edges. Prints every cycle found and exits 1, or prints the module count.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def module_path(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("lib", "main"):
        rel = rel[:-1]
    elif rel[-1] == "mod":
        rel = rel[:-1]
    return tuple(rel)


def strip(code):
    code = re.sub(r"//[^\n]*", "", code)
    code = re.sub(r'r#*"(?:.|\n)*?"#*', '""', code)
    code = re.sub(r'"(?:\\.|[^"\\])*"', '""', code)
    return code


def resolve(modules, base, parts):
    """The longest prefix of `parts` (relative to module `base`) that is a module."""
    best = None
    for n in range(1, len(parts) + 1):
        candidate = base + tuple(parts[:n])
        if candidate in modules:
            best = candidate
    return best


def edges_of(modules, me, code, is_dir_module):
    edges = set()
    parent = me[:-1]
    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)+)", code):
        kind, rest = m.group(1), [p for p in m.group(2).split("::") if p]
        line_start = code.rfind("\n", 0, m.start()) + 1
        line = code[line_start:code.find("\n", m.start())]
        if re.match(r"\s*pub(\([a-z]+\))?\s+use\b", line):
            continue  # a re-export: part of the table of contents
        if kind == "crate":
            base = ()
        elif kind == "super":
            base = parent
        else:
            base = me
        target = resolve(modules, base, rest) or base
        edges.add(target)
    # Groups: `super::{a::X, Y}`, `crate::{b, c::Z}`.
    for m in re.finditer(r"\b(crate|super|self)((?:::\w+)*)::\{", code):
        line_start = code.rfind("\n", 0, m.start()) + 1
        if re.match(r"\s*pub(\([a-z]+\))?\s+use\b", code[line_start : m.start()] + " "):
            continue
        kind, prefix = m.group(1), [p for p in m.group(2).split("::") if p]
        base = {"crate": (), "super": parent, "self": me}[kind] + tuple(prefix)
        depth, i, item, items = 1, m.end(), "", []
        while i < len(code) and depth:
            c = code[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            if depth == 1 and c == ",":
                items.append(item)
                item = ""
            elif depth >= 1 and not (depth == 1 and c == "}"):
                item += c
            i += 1
        items.append(item)
        for it in items:
            parts = [p for p in re.split(r"::|\{", it.strip()) if re.match(r"^\w+$", p.strip())]
            parts = [p.strip() for p in parts]
            if not parts:
                continue
            target = resolve(modules, base, parts) or (base if base in modules else None)
            if target is not None:
                edges.add(target)
    # Paths through a child module (`walk::X`, `use walk::X;`), outside re-exports.
    for m in re.finditer(r"(?<![\w:])(\w+)::", code):
        child = me + (m.group(1),)
        if child not in modules:
            continue
        line_start = code.rfind("\n", 0, m.start()) + 1
        if re.match(r"\s*pub(\([a-z]+\))?\s+use\b", code[line_start : m.start()] + " "):
            continue
        edges.add(child)
    return {e for e in edges if e != me}


def crate_graph(src):
    files = []
    for dirpath, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs"):
                files.append(os.path.join(dirpath, n))
    modules = {module_path(src, f): f for f in files}
    graph = {}
    for mod, f in modules.items():
        code = strip(open(f, encoding="utf-8").read())
        # Test modules may reach anything of their parent.
        code = re.split(r"#\[cfg\(test\)\]\s*mod tests \{", code)[0]
        if mod and mod[-1] == "tests":
            graph[mod] = set()
            continue
        graph[mod] = edges_of(modules, mod, code, f.endswith("mod.rs"))
    return graph


def cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
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
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    srcs = [os.path.join(ROOT, "crates", c, "src") for c in sorted(os.listdir(os.path.join(ROOT, "crates")))]
    srcs.append(os.path.join(ROOT, "benches", "src"))
    failed = False
    total = 0
    for src in srcs:
        if not os.path.isdir(src):
            continue
        graph = crate_graph(src)
        total += len(graph)
        crate = os.path.basename(os.path.dirname(src))
        for comp in cycles(graph):
            failed = True
            names = sorted("::".join(m) or "(root)" for m in comp)
            print(f"{crate}: modules import each other: {', '.join(names)}")
            for m in comp:
                for e in sorted(graph[m]):
                    if e in comp:
                        print(f"    {'::'.join(m) or '(root)'} -> {'::'.join(e) or '(root)'}")
    if failed:
        sys.exit(1)
    print(f"no import cycles among {total} modules")


main()

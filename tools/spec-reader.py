#!/usr/bin/env python3
"""Writes Sources/RuntimeSpec/Read.swift from Sources/RuntimeSpec/Model.swift: for each config type
reachable from Spec, an `init(reading:)` that takes its stored properties, in declaration order, from a
JSONObjectReader (what the synthesized Decodable does, without Codable's containers).
`tools/spec-reader.py --check` exits 1 when Read.swift is not what Model.swift makes (RuntimeSpecTests)."""
import re, sys, os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model = os.path.join(root, "Sources/RuntimeSpec/Model.swift")
target = os.path.join(root, "Sources/RuntimeSpec/Read.swift")

structs = {}  # name -> [(prop, type)]
stack = []    # (name, indent)
for line in open(model):
    m = re.match(r"^(\s*)public struct (\w+): Codable", line)
    if m:
        indent = len(m.group(1))
        outer = "Features." if indent > 0 and m.group(2) != "Features" else ""
        stack = [(outer + m.group(2), indent)]
        structs[stack[0][0]] = []
        continue
    if stack:
        m = re.match(r"^(\s*)public var (`?\w+`?): ([^={]+?)\s*$", line)
        if m and len(m.group(1)) == stack[0][1] + 4:
            structs[stack[0][0]].append((m.group(2), m.group(3).strip()))
        if re.match(r"^%s}" % (" " * stack[0][1]), line):
            stack = []

INTS = {"Int", "Int32", "Int64", "UInt", "UInt16", "UInt32", "UInt64"}

def reachable(start):
    seen, todo = [], [start]
    while todo:
        t = todo.pop(0)
        if t in seen or t not in structs: continue
        seen.append(t)
        for _, ty in structs[t]:
            for name in re.findall(r"[A-Za-z.]+", ty):
                if name in structs: todo.append(name)
    return seen

# Process: a missing user is uid 0, gid 0 (its hand-written init(from:) in Model.swift).
DEFAULTS = {("Process", "user"): "User(uid: 0, gid: 0)"}

def value_expr(ty, v, path):
    """Swift expression decoding JSONValue `v` (at path expression `path`) as `ty` (not Optional)."""
    if ty == "String": return f"try JSONObjectReader.string({v}, at: {path})"
    if ty == "Bool": return f"try JSONObjectReader.bool({v}, at: {path})"
    if ty in INTS: return f"try JSONObjectReader.integer({v}, at: {path}, as: {ty}.self)"
    if ty == "[String]": return f"try JSONObjectReader.strings({v}, at: {path})"
    if ty == "[String: String]": return f"try JSONObjectReader.stringMap({v}, at: {path})"
    m = re.match(r"^\[String: (\w+)\]$", ty)
    if m:
        return (f"try JSONObjectReader.lastMembers({v}, at: {path}).reduce(into: [String: {m.group(1)}]()) {{ "
                f"$0[$1.0] = {value_expr(m.group(1), '$1.1', f'JSONObjectReader.member({path}, $1.0)')} }}")
    m = re.match(r"^\[([\w.]+)\]$", ty)
    if m:
        return (f"try JSONObjectReader.elements({v}, at: {path}).enumerated().map {{ "
                f"{value_expr(m.group(1), '$1', f'JSONObjectReader.element({path}, $0)')} }}")
    if ty in structs: return f"try {ty}(reading: JSONObjectReader({v}, at: {path}))"
    sys.exit(f"spec-reader.py: no reading for type {ty}")

out = ["// Made by tools/spec-reader.py from Model.swift: do not edit, run the script.",
       "//",
       "// The config types read straight from the parsed JSON: what their synthesized Decodable does (same",
       "// values, same errors: SpecReadingTests), without the keyed and unkeyed containers whose",
       "// generic metadata and witness tables every type's first decode in a process instantiates.",
       "",
       "import JSON", ""]
# Public: the types other modules' documents hold (state.json keeps the config).
PUBLIC = {"Spec"}
for t in reachable("Spec"):
    out.append(f"extension {t} {{")
    out.append(f"    {'public ' if t in PUBLIC else ''}init(reading r: JSONObjectReader) throws {{")
    for prop, ty in structs[t]:
        key = '"%s"' % prop.strip("`")
        path = f"r.member({key})"
        if (t, prop) in DEFAULTS:
            out.append(f"        {prop} = try r.present({key}).map {{ {value_expr(ty, '$0', path)} }} ?? {DEFAULTS[(t, prop)]}")
        elif ty.endswith("?"):
            out.append(f"        {prop} = try r.present({key}).map {{ {value_expr(ty[:-1], '$0', path)} }}")
        else:
            out.append(f"        {prop} = {value_expr(ty, f'try r.required({key})', path)}")
    out.append("    }")
    out.append("}")
    out.append("")
text = "\n".join(out).rstrip("\n") + "\n"
if "--check" in sys.argv:
    if open(target).read() != text:
        sys.exit("Sources/RuntimeSpec/Read.swift is not what tools/spec-reader.py makes from Model.swift: run it")
else:
    open(target, "w").write(text)

"""The module map stays honest (docs/architecture.md): every Swift target imports only the
targets and products it declares in Package.swift (no reliance on transitive visibility)."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
SYSTEM = {"Foundation", "FoundationEssentials", "Glibc", "Darwin", "Dispatch", "Synchronization", "Testing", "XCTest",
          "_Concurrency", "PackageDescription"}
IMPORT = re.compile(r"^\s*(?:@testable\s+)?import\s+(?:(?:struct|class|enum|func|protocol)\s+)?([A-Za-z_0-9]+)\s*$")


def targets():
    """(name, kind, declared dependencies, source folder) of every target in Package.swift."""
    text = (ROOT / "Package.swift").read_text()
    for chunk in re.split(r"\n\s*\.(?=(?:target|executableTarget|testTarget|systemLibrary)\()", text)[1:]:
        m = re.match(r'(target|executableTarget|testTarget|systemLibrary)\(name:\s*"([^"]+)"', chunk)
        if not m:
            continue
        kind, name = m.groups()
        deps = re.search(r"dependencies:\s*\[(.*?)\]\s*,", chunk, re.S)
        path = re.search(r'path:\s*"([^"]+)"', chunk)
        folder = path.group(1) if path else ("Tests/" if kind == "testTarget" else "Sources/") + name
        yield name, kind, set(re.findall(r'"([^"]+)"', deps.group(1))) if deps else set(), ROOT / folder


def test_every_import_is_declared():
    found = list(targets())
    assert len(found) > 30
    undeclared = {}
    for name, kind, deps, folder in found:
        if kind == "systemLibrary":
            continue
        assert folder.is_dir(), folder
        imports = {m.group(1) for f in folder.rglob("*.swift") for line in f.read_text().splitlines() if (m := IMPORT.match(line))}
        extra = imports - deps - SYSTEM - {name}
        if extra:
            undeclared[name] = sorted(extra)
    assert not undeclared, f"targets importing modules they do not declare in Package.swift: {undeclared}"


def test_shared_state_uses_locks_threadsanitizer_sees():
    """Sources use Locking.Locked, not Synchronization.Mutex, whose futex waits ThreadSanitizer
    cannot see (docs/architecture.md, "Threads and locks")."""
    users = [str(f.relative_to(ROOT)) for f in (ROOT / "Sources").rglob("*.swift")
             if re.search(r"\bMutex\s*[<(]", f.read_text())]
    assert not users, f"Synchronization.Mutex used in {users}; use Locking.Locked"

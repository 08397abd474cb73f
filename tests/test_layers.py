"""Dependencies point one way (ARCHITECTURE.md): base < zoo, augment < evaluation, hub_cards < trainers < api <
demo < cli. Read from the import statements themselves (the ast module), those inside functions included, so a
lazy import cannot hide a wrong direction; then checked at run time for what serving must never load."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# source folder -> the package it installs as (pyproject.toml's package-dir)
FOLDERS = {"portraitseg": "portraitseg", "zoo": "portraitseg.zoo", "augment": "portraitseg.augment",
           "evaluation": "portraitseg.evaluation", "trainers": "portraitseg.trainers", "demo": "portraitseg.demo",
           "hub_cards": "portraitseg.hub_cards"}
# module (and the modules under it) -> (layer rank, layer name); the longest match wins; any other portraitseg
# module is the base layer
BASE = (0, "base")
LAYERS = {
    "portraitseg.zoo": (1, "zoo"),
    "portraitseg.augment": (1, "augment"),
    "portraitseg.evaluation": (2, "evaluation"),
    "portraitseg.hub_cards": (2, "hub_cards"),
    "portraitseg.trainers": (3, "trainers"),
    "portraitseg.api": (4, "api"),
    "portraitseg.publish": (4, "api"),
    "portraitseg.ray": (4, "api"),
    "portraitseg.batch": (4, "api"),
    "portraitseg.demo": (5, "demo"),
    "portraitseg.cli": (6, "cli"),
    "portraitseg.__main__": (6, "cli"),
}
PEERS_APART = {("zoo", "augment"), ("augment", "zoo")}  # one rank, and neither needs the other


def layer_of(module: str) -> tuple[int, str]:
    if module == "portraitseg":  # the package itself: its __init__ exports load()
        return LAYERS["portraitseg.api"]
    matches = [prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)] if matches else BASE


def modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            found[".".join((package, *parts)).removesuffix(".__init__")] = path
    return found


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imported(path: Path, known: set[str]) -> list[tuple[int, str]]:
    """(line, module) for every portraitseg import in the file, in functions too, except ``if TYPE_CHECKING:``
    blocks (annotations only, never run). ``from portraitseg import hookspecs`` counts as the module it names."""
    tree = ast.parse(path.read_text())
    skipped = {id(n) for block in ast.walk(tree) if _type_checking_only(block) for n in ast.walk(block)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("portraitseg")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("portraitseg"):
            names = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in known]
            found += [(node.lineno, name) for name in names] or [(node.lineno, node.module)]
    return found


def test_every_import_statement_points_down_the_layers():
    table = modules()
    assert len(table) > 60 and "portraitseg.ray" in table and "portraitseg.zoo.model" in table
    wrong = []
    for module, path in table.items():
        rank, name = layer_of(module)
        for line, target in imported(path, set(table)):
            if target == module or target.startswith(module + "."):  # a package importing its own modules
                continue
            target_rank, target_name = layer_of(target)
            if target_rank > rank or (name, target_name) in PEERS_APART:
                wrong.append(f"{path.relative_to(REPO)}:{line} ({name}) imports {target} ({target_name})")
    assert not wrong, "imports pointing up or across:\n" + "\n".join(wrong)


def import_graph() -> dict[str, set[str]]:
    """module -> the modules it imports (in functions too), plus the built-in plugin modules that
    ``portraitseg.plugins`` imports by name (``DEFAULT_PLUGINS``), which no import statement shows. A module's
    own parent packages are left out: importing ``a.b.c`` runs ``a/__init__`` first, never the reverse."""
    from portraitseg.plugins import DEFAULT_PLUGINS

    table = modules()
    graph = {module: {target for _, target in imported(path, set(table))
                      if target in table and not module.startswith(target + ".") and target != module}
             for module, path in table.items()}
    graph["portraitseg.plugins"] |= set(DEFAULT_PLUGINS.values())
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_even_through_imports_in_functions_or_plugins_loaded_by_name():
    graph = import_graph()
    assert "portraitseg.zoo.decoders.plugin" in graph["portraitseg.plugins"]
    assert not cycles(graph), "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles(graph))


def test_the_cycle_finder_finds_a_cycle_hidden_in_a_function():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_layer_reader_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import portraitseg.cli\n"
                      "def late():\n    from portraitseg.demo import ui\n")
    assert imported(source, {"portraitseg.demo.ui"}) == [(5, "portraitseg.demo.ui")]
    assert layer_of("portraitseg.demo.ui") == (5, "demo") and layer_of("portraitseg.effects") == (0, "base")
    assert layer_of("portraitseg") == (4, "api") and layer_of("portraitseg.zoo.encoders.plugin") == (1, "zoo")


SERVING = """
import sys
import portraitseg
segmenter = portraitseg.load(backend=sys.argv[1])
segmenter(__import__("numpy").zeros((48, 64, 3), "uint8"))
print(",".join(sorted({m.split(".")[0] if not m.startswith("portraitseg") else ".".join(m.split(".")[:2])
                       for m in sys.modules})))
"""


@pytest.mark.parametrize("backend, forbidden", [
    ("onnxruntime", {"torch", "gradio", "ray", "portraitseg.trainers", "portraitseg.augment", "portraitseg.demo"}),
    ("torch", {"gradio", "ray", "portraitseg.trainers", "portraitseg.augment", "portraitseg.demo"}),
])
def test_serving_loads_no_training_web_or_cluster_code(backend, forbidden):
    result = subprocess.run([sys.executable, "-c", SERVING, backend], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not forbidden & set(result.stdout.strip().split(","))

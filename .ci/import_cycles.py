"""Fail when the modules of src/cognitia import each other in a circle.

import-linter checks the contracts between named parts of the code; this finds any circle
at all. Imports made only for type checking count: they tie two modules together for a
reader as much as a run-time import does.

Usage: python .ci/import_cycles.py [package]   (exit 1 and the circles when there are any)
"""

from __future__ import annotations

import sys

import grimp
import networkx as nx


def import_graph(package: str) -> nx.DiGraph:
    modules = grimp.build_graph(package, include_external_packages=False)
    graph = nx.DiGraph()
    for module in modules.modules:
        graph.add_node(module)
        for imported in modules.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def tangles(graph: nx.DiGraph) -> list[set[str]]:
    """The groups of modules that reach each other through imports, largest first."""
    groups = [g for g in nx.strongly_connected_components(graph) if len(g) > 1]
    return sorted(groups, key=len, reverse=True)


def main() -> int:
    package = sys.argv[1] if len(sys.argv) > 1 else "cognitia"
    graph = import_graph(package)
    found = tangles(graph)
    for group in found:
        circle = [edge[0] for edge in nx.find_cycle(graph.subgraph(group))]
        print(f"{len(group)} modules in a circle, e.g. " + " -> ".join([*circle, circle[0]]))
    if found:
        print(f"{len(found)} import circle(s) in {package}", file=sys.stderr)
        return 1
    print(f"no import circles in {package}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Mermaid diagrams of the state machines, drawn from the ASL files themselves.

`make docs` writes docs/statemachines/<name>.md; a test fails when a definition changed and its
diagram was not regenerated, so the docs never describe a workflow that no longer exists.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

_SHAPES = {"Choice": ("{", "}"), "Succeed": ("([", "])"), "Fail": ("([", "])"), "Pass": ("[/", "/]")}


def _node_id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"\W", "_", name)


def _label(name: str, state: dict[str, Any]) -> str:
    kind = state["Type"]
    detail = kind
    if kind == "Task":
        resource = state.get("Resource", "")
        detail = resource.split(":::")[-1] if ":::" in resource else "lambda"
        if resource.endswith(".waitForTaskToken"):
            detail += " (waits for a task token)"
    retry = ", ".join(sorted({error for rule in state.get("Retry", []) for error in rule["ErrorEquals"]}))
    text = f"{name}<br/><small>{detail}</small>"
    if retry:
        text += f"<br/><small>retry: {retry}</small>"
    return text.replace('"', "'")


def _states(definition: dict[str, Any], prefix: str, lines: list[str], indent: str = "    ") -> None:
    for name, state in definition["States"].items():
        node = _node_id(prefix, name)
        opening, closing = _SHAPES.get(state["Type"], ("[", "]"))
        if state["Type"] in ("Parallel", "Map"):
            lines.append(f'{indent}subgraph {node}["{name} ({state["Type"]})"]')
            branches = state.get("Branches") or [state.get("ItemProcessor") or state.get("Iterator")]
            for index, branch in enumerate(branches):
                _states(branch, f"{node}_{index}_", lines, indent + "    ")
                lines.append(f"{indent}    {node}_start_{index}((start)) --> {_node_id(f'{node}_{index}_', branch['StartAt'])}")
            lines.append(f"{indent}end")
        else:
            lines.append(f'{indent}{node}{opening}"{_label(name, state)}"{closing}')
        if state.get("Next"):
            lines.append(f"{indent}{node} --> {_node_id(prefix, state['Next'])}")
        for choice in state.get("Choices", []):
            condition = {key: value for key, value in choice.items() if key != "Next"}
            text = json.dumps(condition).replace('"', "'")[:60]
            lines.append(f'{indent}{node} -- "{text}" --> {_node_id(prefix, choice["Next"])}')
        if state.get("Default"):
            lines.append(f'{indent}{node} -- "default" --> {_node_id(prefix, state["Default"])}')
        for catch in state.get("Catch", []):
            errors = ", ".join(catch["ErrorEquals"])
            lines.append(f'{indent}{node} -. "{errors}" .-> {_node_id(prefix, catch["Next"])}')
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            lines.append(f"{indent}{node} --> {prefix}end_((end))")


def mermaid(definition: dict[str, Any]) -> str:
    lines = ["flowchart TD", f"    start_((start)) --> {_node_id('s_', definition['StartAt'])}"]
    _states(definition, "s_", lines)
    return "\n".join(lines) + "\n"


def document(name: str, definition: dict[str, Any]) -> str:
    return (
        f"# State machine `{name}`\n\n"
        f"{definition.get('Comment', '')}\n\n"
        f"Generated from `statemachines/{name}.asl.json` by `make docs`; do not edit by hand.\n"
        "Solid arrows are the normal path, dotted arrows are Catch routes (with the errors they catch).\n\n"
        f"```mermaid\n{mermaid(definition)}```\n"
    )


def write_all(root: Path, target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted((root / "statemachines").glob("*.asl.json")):
        name = source.name.removesuffix(".asl.json")
        path = target / f"{name}.md"
        path.write_text(document(name, json.loads(source.read_text(encoding="utf-8"))), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    project = Path(__file__).resolve().parents[2]
    for path in write_all(project, project / (sys.argv[1] if len(sys.argv) > 1 else "docs/statemachines")):
        print(f"wrote {path.relative_to(project)}")

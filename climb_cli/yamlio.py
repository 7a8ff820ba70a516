"""Reading YAML safely: UTF-8 plain data only -- duplicate keys, tags, recursive or huge alias
expansions and oversized files are refused with one message naming the file and line."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from climb_cli.errors import BenchError, ConfigError

__all__ = ["MAX_YAML_BYTES", "MAX_YAML_VALUES", "load_yaml"]


class _Refused(Exception):
    """A YAML document bench will not read; the message says why (the file name is added)."""


MAX_YAML_BYTES = 16 * 1024 * 1024
# aliases can make a small file expand into a huge structure ("billion laughs"); a config or catalog
# has no use for more values than this
MAX_YAML_VALUES = 200_000


@lru_cache(maxsize=1)
def _strict_loader() -> Any:
    """A SafeLoader that refuses duplicate keys and tags instead of silently resolving them."""
    import yaml

    class StrictLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            if isinstance(node, yaml.MappingNode):
                seen: dict[Any, int] = {}
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue  # `<<: *base` then overriding a key is YAML's documented merge
                    key = self.construct_object(key_node, deep=True)
                    try:
                        first = seen.get(key)
                    except TypeError:
                        continue  # an unhashable key: SafeLoader explains it
                    line = key_node.start_mark.line + 1
                    if first is not None:
                        raise _Refused(
                            f"key {key!r} appears twice in one mapping ("
                            f"{f'lines {first} and {line}' if first != line else f'both on line {line}'}"
                            "); YAML would keep only the last one, so merge or remove "
                            "one of them."
                        )
                    seen[key] = line
            return super().construct_mapping(node, deep)

    def refuse_tag(loader: Any, node: Any) -> Any:
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(
            f"line {node.start_mark.line + 1}: the YAML tag {tag!r} is not "
            "allowed; these files are plain data (mappings, lists, strings, numbers)."
        )

    StrictLoader.add_constructor(None, refuse_tag)  # every tag SafeLoader does not know
    return StrictLoader


def _count_values(root: Any) -> None:
    """Refuse alias cycles and alias bombs before constructing anything (iterative: no recursion)."""
    import yaml

    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            kids = (
                [c for pair in node.value for c in pair]
                if isinstance(node, yaml.MappingNode)
                else node.value
            )
            sizes[nid] = 1 + sum(sizes[id(c)] for c in kids)
            open_nodes.discard(nid)
            if sizes[nid] > MAX_YAML_VALUES:
                raise _Refused(
                    f"the document expands to more than {MAX_YAML_VALUES} values "
                    "through YAML aliases (*name); write the values out instead."
                )
            continue
        if nid in sizes:
            continue
        if nid in open_nodes:
            raise _Refused(
                f"line {node.start_mark.line + 1}: a YAML alias refers to a value "
                "that contains it (a recursive structure)."
            )
        if isinstance(node, yaml.ScalarNode):
            sizes[nid] = 1
            continue
        open_nodes.add(nid)
        stack.append((node, True))
        kids = (
            [c for pair in node.value for c in pair]
            if isinstance(node, yaml.MappingNode)
            else node.value
        )
        stack.extend((c, False) for c in kids)


def load_yaml(path: Path, error: type[BenchError] = ConfigError, what: str = "config file") -> Any:
    """Read a UTF-8 YAML file as plain data; any problem is ``error`` naming the file and line."""
    import yaml

    if not path.is_file():
        raise error(f"{what} not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}.") from None
    if len(raw) > MAX_YAML_BYTES:
        raise error(f"{path} is {len(raw)} bytes; a {what} is at most {MAX_YAML_BYTES} bytes.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
            "save it with UTF-8 encoding."
        ) from None
    loader = None
    try:
        loader = _strict_loader()(text)  # the reader checks for unprintable characters here
        node = loader.get_single_node()
        if node is None:
            return None
        _count_values(node)
        return loader.construct_document(node)
    except _Refused as exc:
        raise error(f"{path}: {exc}") from None
    except yaml.reader.ReaderError as exc:
        raise error(
            f"{path} contains a character YAML does not allow (#x{exc.character:04x} at "
            f"position {exc.position}); remove it."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(f"{path} is not valid YAML{where}: {problem}.") from None
    except RecursionError:
        raise error(f"{path}: the document nests too deeply to be a {what}.") from None
    finally:
        if loader is not None:
            loader.dispose()

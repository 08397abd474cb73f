"""What an ONNX file says about itself, read by walking its protobuf (no onnx package, no session, no weights
loaded): its metadata (is it ours? what config does it carry?) and how many bytes of external data it makes ONNX
Runtime read (a 1 KB ``model.onnx`` may name gigabytes of weights beside it, so a size check that looks at the .onnx
file alone would let them through).

Tensors with external data are found where ONNX allows them: a graph's initializers and sparse initializers, and
node attributes (tensors and subgraphs, such as an If's branches), at any depth."""

from __future__ import annotations

from pathlib import Path

# field numbers (onnx.proto)
_MODEL_GRAPH, _MODEL_METADATA = 7, 14
_GRAPH_NODE, _GRAPH_INITIALIZER, _GRAPH_SPARSE_INITIALIZER = 1, 5, 15
_NODE_ATTRIBUTE = 5
_ATTR_TENSOR, _ATTR_GRAPH, _ATTR_TENSORS, _ATTR_GRAPHS, _ATTR_SPARSE, _ATTR_SPARSES = 5, 6, 10, 11, 22, 23
_SPARSE_VALUES, _SPARSE_INDICES = 1, 2
_TENSOR_EXTERNAL_DATA = 13
_ENTRY_KEY, _ENTRY_VALUE = 1, 2
_MAX_DEPTH = 32


class _Malformed(ValueError):
    pass


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _Malformed("varint runs past the data")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(data: memoryview):
    """(field number, bytes) of each length-delimited field of one message; other wire types are skipped."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise _Malformed("a field runs past the data")
            yield field, data[pos : pos + length]
            pos += length
        else:
            raise _Malformed(f"wire type {wire}")


def _tensor_bytes(tensor: memoryview, folder: Path) -> int:
    entries = {}
    for field, entry in _fields(tensor):
        if field == _TENSOR_EXTERNAL_DATA:
            pair = dict(_fields(entry))
            entries[bytes(pair.get(_ENTRY_KEY, b"")).decode("utf-8", "replace")] = bytes(
                pair.get(_ENTRY_VALUE, b"")).decode("utf-8", "replace")
    if "location" not in entries:
        return 0
    if entries.get("length", "").isdigit():
        return int(entries["length"])
    try:  # no length: ONNX Runtime reads from the offset to the end of the file
        return max(0, (folder / entries["location"]).stat().st_size - int(entries.get("offset", "0") or 0))
    except (OSError, ValueError):
        return 0  # a file that is not there is ONNX Runtime's error to give


def _graph_bytes(graph: memoryview, folder: Path, depth: int) -> int:
    if depth > _MAX_DEPTH:
        raise _Malformed("subgraphs nested too deeply")
    total = 0
    for field, value in _fields(graph):
        if field == _GRAPH_INITIALIZER:
            total += _tensor_bytes(value, folder)
        elif field == _GRAPH_SPARSE_INITIALIZER:
            total += _sparse_bytes(value, folder)
        elif field == _GRAPH_NODE:
            total += sum(_attribute_bytes(attr, folder, depth) for f, attr in _fields(value) if f == _NODE_ATTRIBUTE)
    return total


def _sparse_bytes(sparse: memoryview, folder: Path) -> int:
    return sum(_tensor_bytes(t, folder) for f, t in _fields(sparse) if f in (_SPARSE_VALUES, _SPARSE_INDICES))


def _attribute_bytes(attribute: memoryview, folder: Path, depth: int) -> int:
    total = 0
    for field, value in _fields(attribute):
        if field in (_ATTR_TENSOR, _ATTR_TENSORS):
            total += _tensor_bytes(value, folder)
        elif field in (_ATTR_SPARSE, _ATTR_SPARSES):
            total += _sparse_bytes(value, folder)
        elif field in (_ATTR_GRAPH, _ATTR_GRAPHS):
            total += _graph_bytes(value, folder, depth + 1)
    return total


def external_data_bytes(path: Path) -> int | None:
    """The bytes of external data the ONNX file at ``path`` names (0 for a self-contained file), or None where
    the file is not a protobuf this can walk (ONNX Runtime then refuses it itself)."""
    data = memoryview(Path(path).read_bytes())
    try:
        return sum(_graph_bytes(graph, Path(path).parent, 0) for field, graph in _fields(data)
                   if field == _MODEL_GRAPH)
    except _Malformed:
        return None


def metadata(path: Path) -> dict[str, str]:
    """The ONNX file's metadata (empty where it has none or is not an ONNX protobuf)."""
    try:
        entries = [dict(_fields(entry)) for field, entry in _fields(memoryview(Path(path).read_bytes()))
                   if field == _MODEL_METADATA]
    except _Malformed:
        return {}
    return {_text(entry.get(_ENTRY_KEY, b"")): _text(entry.get(_ENTRY_VALUE, b"")) for entry in entries}


def _text(value: memoryview | bytes) -> str:
    return bytes(value).decode("utf-8", "replace")

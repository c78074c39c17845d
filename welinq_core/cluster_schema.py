"""The cluster file format: reading, bounding and checking a cluster document.

A cluster document is JSON described by a JSON Schema (draft 2020-12) shipped with
the package (``welinq_core/schemas/cluster.schema.json``, published in
``docs/cluster-format.md``). Before anything is built from a document:

1. a file is read only if it is a regular file, at most :data:`MAX_DOCUMENT_BYTES`
   bytes, and valid UTF-8 (FIFOs and devices such as ``/dev/zero`` are refused
   without reading them);
2. the text's nesting depth is bounded (:data:`MAX_NESTING_DEPTH`) before parsing;
3. parsing refuses duplicate keys;
4. the format version is checked, ``NaN`` and ``Infinity`` are refused, then the schema, with exact types (a boolean is
   not a number, ``4.0`` is not an integer) and unknown keys reported with the
   nearest valid name; then rules the schema cannot say (duplicate links, link ends
   that name known QPUs).

Every error is a :class:`~welinq_core.errors.ClusterSpecError` naming the JSON path,
the offending value and what is expected.

Examples:
    >>> check_cluster_document({"qpus": [{"name": "a", "num_data_qubits": True}]})
    Traceback (most recent call last):
    ...
    welinq_core.errors.ClusterSpecError: cluster document: $.qpus[0].num_data_qubits = true: expected an integer, got a boolean
    >>> check_cluster_document({"qpus": [{"name": "a", "num_data_qbits": 4}]})
    Traceback (most recent call last):
    ...
    welinq_core.errors.ClusterSpecError: cluster document: $.qpus[0]: unknown key 'num_data_qbits' (did you mean 'num_data_qubits'?); valid keys are coupling, encoding, measurement_duration_s, modality, name, native_gates, num_comm_qubits, num_data_qubits, readout_error, single_qubit_gate_duration_s, single_qubit_gate_error, t1_s, t2_s, two_qubit_gate_duration_s, two_qubit_gate_error
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import numbers
import os
import re
import stat
from collections.abc import Mapping
from importlib import resources
from typing import Any

from welinq_core.errors import ClusterSpecError, WelinqError

__all__ = [
    "FORMAT_VERSION",
    "MAX_DOCUMENT_BYTES",
    "MAX_NESTING_DEPTH",
    "cluster_schema",
    "read_document_file",
    "parse_cluster_text",
    "check_cluster_document",
    "describe_value",
]

#: The cluster format version this package reads and writes.
FORMAT_VERSION = 1
#: Largest cluster document read (bytes); larger files are refused before reading them.
MAX_DOCUMENT_BYTES = 16 * 2**20
#: Deepest nesting of arrays and objects accepted (a valid document nests at most 5 deep).
MAX_NESTING_DEPTH = 32

_PREFIX = "cluster document"


@functools.cache
def cluster_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a cluster document, as shipped with the package.

    Examples:
        >>> cluster_schema()["$schema"]
        'https://json-schema.org/draft/2020-12/schema'
    """
    text = resources.files("welinq_core").joinpath("schemas", "cluster.schema.json").read_text("utf-8")
    return json.loads(text)


def describe_value(value: Any, limit: int = 60) -> str:
    """A short, escaped JSON rendering of ``value`` for error messages (no control characters).

    Examples:
        >>> describe_value("\\x1b[31mred")
        '"\\\\u001b[31mred"'
        >>> describe_value(list(range(100)))[-5:]
        ', ...'
    """
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True, default=repr)
    except (ValueError, TypeError, RecursionError):
        try:
            text = ascii(value)
        except RecursionError:
            text = f"<a deeply nested {type(value).__name__}>"
    if len(text) > limit:
        text = text[:limit] + ", ..."
    return text


def _path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if re.fullmatch(r"[A-Za-z_]\w*", str(p)) else
                                                      f"[{describe_value(str(p))}]")
    return out


def _fail(path: Any, message: str) -> ClusterSpecError:
    where = path if isinstance(path, str) else _path(path)
    return ClusterSpecError(f"{_PREFIX}: {where}{message}")


# ---- reading -------------------------------------------------------------------------------
def read_document_file(path: str | os.PathLike[str], *, what: str = "cluster file",
                       max_bytes: int = MAX_DOCUMENT_BYTES, error: type[WelinqError] = ClusterSpecError) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes.

    FIFOs, devices, sockets and directories are refused without being opened for a
    read that could block or never end (``/dev/zero``, a named pipe).

    Raises:
        ClusterSpecError: (or ``error``) If the file is missing, not a regular file, too large,
            or not UTF-8.
    """
    ClusterSpecError = error  # noqa: N806 - the caller chooses the error type
    shown = describe_value(os.fspath(path), limit=300)
    try:
        info = os.stat(path)
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise ClusterSpecError(
            f"cannot read {what} {shown}: {reason}; check the path"
        ) from err
    if not stat.S_ISREG(info.st_mode):
        kind = ("a directory" if stat.S_ISDIR(info.st_mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode)
                else "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else "not a regular file")
        raise ClusterSpecError(f"cannot read {what} {shown}: it is {kind}; give a path to a regular file")
    if info.st_size > max_bytes:
        raise ClusterSpecError(
            f"{what} {shown} has {info.st_size} bytes, more than the limit of {max_bytes} bytes; "
            "remove padding or split the file"
        )
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as err:
        raise ClusterSpecError(f"cannot read {what} {shown}: {err.strerror}") from err
    if len(data) > max_bytes:
        raise ClusterSpecError(f"{what} {shown} is larger than the limit of {max_bytes} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ClusterSpecError(
            f"{what} {shown} is not UTF-8 text (byte {err.start} is {data[err.start:err.start + 1]!r}); "
            "save it as UTF-8"
        ) from err


# ---- parsing -------------------------------------------------------------------------------
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_depth(text: str) -> int:
    """Deepest nesting of ``[`` / ``{`` in JSON text (brackets inside strings ignored), in linear time.

    Examples:
        >>> nesting_depth('{"a": [[1], "[[["]}')
        3
    """
    depth = deepest = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        if m.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ClusterSpecError(
                f"{_PREFIX}: key {describe_value(key)} appears twice in one object "
                f"(values {describe_value(out[key], 30)} and {describe_value(value, 30)}); keep one"
            )
        out[key] = value
    return out


def parse_cluster_text(text: str, *, max_bytes: int = MAX_DOCUMENT_BYTES,
                       max_depth: int = MAX_NESTING_DEPTH) -> Any:
    """Parse JSON text after bounding its size and nesting depth.

    Raises:
        ClusterSpecError: If the text is too large, too deeply nested, not JSON, has a
            duplicate key.

    Examples:
        >>> parse_cluster_text('{"qpus": [[[[[[[[[[]]]]]]]]]]}', max_depth=5)
        Traceback (most recent call last):
        ...
        welinq_core.errors.ClusterSpecError: cluster document nests arrays and objects 11 deep, more than the limit of 5; a cluster document nests at most 5 deep
    """
    if len(text) > max_bytes:
        raise ClusterSpecError(
            f"{_PREFIX} has {len(text)} characters, more than the limit of {max_bytes}; "
            "remove padding or split the cluster"
        )
    depth = nesting_depth(text)
    if depth > max_depth:
        raise ClusterSpecError(
            f"{_PREFIX} nests arrays and objects {depth} deep, more than the limit of {max_depth}; "
            "a cluster document nests at most 5 deep"
        )
    try:
        # NaN and Infinity parse to floats here so that check_cluster_document can name their path.
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise ClusterSpecError(
            f"{_PREFIX} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}; "
            "see docs/cluster-format.md for the format"
        ) from err
    except RecursionError as err:  # pragma: no cover - depth is bounded above
        raise ClusterSpecError(f"{_PREFIX} is nested too deeply") from err


# ---- checking ------------------------------------------------------------------------------
_JSON_TYPE_WORDS = {
    "integer": "an integer", "number": "a number", "string": "a string", "boolean": "a boolean",
    "array": "an array", "object": "an object", "null": "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if _is_bool(value):
        return "boolean"
    if isinstance(value, numbers.Integral):
        return "integer"
    if isinstance(value, numbers.Real):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


class _SchemaError:
    """One violation found by :func:`_first_violation` (the fields :func:`_explain` reads)."""

    __slots__ = ("absolute_path", "instance", "validator", "validator_value", "schema", "message")

    def __init__(self, path: list[Any], instance: Any, keyword: str, schema: Mapping[str, Any]) -> None:
        self.absolute_path = path
        self.instance = instance
        self.validator = keyword
        self.validator_value = schema[keyword] if keyword in schema else None
        self.schema = schema
        self.message = f"violates {keyword}"


def _is_type(value: Any, name: str) -> bool:
    """JSON type test with exact types; NumPy numbers count as numbers (documents built in Python)."""
    cls = type(value)
    if name == "number":
        return cls is float or cls is int or (isinstance(value, numbers.Real) and not _is_bool(value))
    if name == "integer":
        return cls is int or (isinstance(value, numbers.Integral) and not _is_bool(value))
    if name == "string":
        return isinstance(value, str)
    if name == "null":
        return value is None
    if name == "object":
        return isinstance(value, Mapping)
    if name == "array":
        return isinstance(value, list | tuple)
    return _is_bool(value)  # "boolean"


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool) or type(value).__name__ in ("bool_", "bool") and hasattr(value, "dtype")


@functools.cache
def _pattern(regex: str) -> re.Pattern[str]:
    return re.compile(regex)


@functools.cache
def _resolved(ref: str) -> Mapping[str, Any]:
    return cluster_schema()["$defs"][ref.rsplit("/", 1)[-1]]


def _first_violation(value: Any, schema: Mapping[str, Any], path: list[Any]) -> _SchemaError | None:
    """The first violation of ``schema`` in document order, or None.

    A linear-time interpreter of the JSON Schema keywords the cluster schema uses
    (``$ref`` to ``#/$defs/...``, ``type``, ``properties``, ``additionalProperties:
    false``, ``required``, ``items``, ``minItems``/``maxItems``, ``minimum``/``maximum``/
    ``exclusiveMinimum``, ``enum``, ``const``, ``minLength``/``maxLength``, ``pattern``),
    with exact types (a boolean is not a number and ``4.0`` is not an integer) and
    finite numbers only. The tests check that it agrees with the ``jsonschema`` package
    on random documents. The path is built only when a violation is found.
    """
    found = _violation(value, schema)
    if found is not None:
        found.absolute_path = [*path, *reversed(found.absolute_path)]
    return found


def _violation(value: Any, schema: Mapping[str, Any]) -> _SchemaError | None:
    ref = schema.get("$ref")
    if ref is not None:
        schema = _resolved(ref)
    types = schema.get("type")
    if types is not None:
        if isinstance(types, str):
            ok = _is_type(value, types)
        else:
            ok = any(_is_type(value, t) for t in types)
        if not ok:
            return _SchemaError([], value, "type", schema)
    if "const" in schema and not (value == schema["const"] and type(value) is type(schema["const"])):
        return _SchemaError([], value, "const", schema)
    if "enum" in schema and value not in schema["enum"]:
        return _SchemaError([], value, "enum", schema)
    cls = type(value)
    if cls is float or cls is int or (isinstance(value, numbers.Real) and not _is_bool(value)):
        if cls is not int and not math.isfinite(float(value)):
            return _SchemaError([], value, "finite", schema)
        if "minimum" in schema and value < schema["minimum"]:
            return _SchemaError([], value, "minimum", schema)
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return _SchemaError([], value, "exclusiveMinimum", schema)
        if "maximum" in schema and value > schema["maximum"]:
            return _SchemaError([], value, "maximum", schema)
    elif isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return _SchemaError([], value, "minLength", schema)
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return _SchemaError([], value, "maxLength", schema)
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            return _SchemaError([], value, "pattern", schema)
    elif isinstance(value, Mapping):
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            for k in value:
                if k not in props:
                    return _SchemaError([], value, "additionalProperties", schema)
        for k in schema.get("required", ()):
            if k not in value:
                return _SchemaError([], value, "required", schema)
        for key, item in value.items():
            sub = props.get(key)
            if sub is not None:
                found = _violation(item, sub)
                if found is not None:
                    found.absolute_path.append(key)
                    return found
    elif isinstance(value, list | tuple):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return _SchemaError([], value, "minItems", schema)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return _SchemaError([], value, "maxItems", schema)
        sub = schema.get("items")
        if sub is not None:
            for i, item in enumerate(value):
                found = _violation(item, sub)
                if found is not None:
                    found.absolute_path.append(i)
                    return found
    return None


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _explain(error: Any) -> ClusterSpecError:
    """One clear message for a jsonschema error: path, value, what is expected."""
    path = _path(error.absolute_path)
    value = error.instance
    shown = describe_value(value)
    kind, expected = error.validator, error.validator_value
    if kind == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        words = " or ".join(_JSON_TYPE_WORDS.get(t, t) for t in types)
        got = _json_type(value)
        if got == "number" and "integer" in types and isinstance(value, float) and value.is_integer():
            return _fail(path, f" = {shown}: expected an integer, got a number; write {int(value)} without "
                               "a decimal point")
        return _fail(path, f" = {shown}: expected {words}, got {_JSON_TYPE_WORDS.get(got, got)}")
    if kind == "finite":
        return _fail(path, f" = {value}: expected a finite number")
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed)
        key = extra[0] if extra else "?"
        return _fail(path, f": unknown key {key!r}{_suggest(str(key), allowed)}; valid keys are "
                           f"{', '.join(allowed)}")
    if kind == "required":
        missing = [k for k in expected if k not in value]
        return _fail(path, f": missing required key {missing[0]!r}")
    if kind == "enum":
        return _fail(path, f" = {shown}: expected one of {', '.join(map(str, expected))}"
                           f"{_suggest(str(value), map(str, expected))}")
    if kind == "const":
        return _fail(path, f" = {shown}: expected {describe_value(expected)}")
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        sch = error.schema
        lo = ("[", sch["minimum"]) if "minimum" in sch else ("(", sch["exclusiveMinimum"]) if (
            "exclusiveMinimum" in sch) else None
        hi = (sch["maximum"], "]") if "maximum" in sch else None
        what = "an integer" if sch.get("type") in ("integer", ["integer", "null"]) else "a number"
        if lo and hi:
            want = f"{what} in {lo[0]}{lo[1]}, {hi[0]}{hi[1]}"
        elif lo:
            want = f"{what} {'>=' if lo[0] == '[' else '>'} {lo[1]}"
        else:
            want = f"{what} <= {hi[0]}"  # type: ignore[index]
        limit = " (the limit of this welinq)" if kind == "maximum" and expected >= 1000 else ""
        return _fail(path, f" = {shown}: expected {want}{limit}")
    if kind == "minItems":
        return _fail(path, f" = {shown}: expected at least {expected} item(s), got {len(value)}")
    if kind == "maxItems":
        return _fail(path, f": {len(value)} items, more than the limit of {expected}")
    if kind == "minLength":
        return _fail(path, f" = {shown}: expected a non-empty string")
    if kind == "maxLength":
        return _fail(path, f" = {shown}: expected at most {expected} characters, got {len(value)}")
    if kind == "pattern":
        return _fail(path, f" = {shown}: expected printable characters only (no control or escape codes)")
    return _fail(path, f" = {shown}: {error.message}")  # pragma: no cover - every keyword used is handled


def check_cluster_document(doc: Any) -> None:
    """Check a parsed cluster document against the format; return None or raise.

    Checks, in order: the top level is an object; the version; no NaN or infinity;
    the JSON Schema (exact types, ranges, unknown keys with suggestions); then that
    QPU names are unique, link ends name known QPUs, and no two links join the same
    pair of QPUs.

    Raises:
        ClusterSpecError: Naming the JSON path, the value and what is expected.
    """
    if not isinstance(doc, Mapping):
        raise _fail("$", f" = {describe_value(doc)}: expected an object with a 'qpus' array, got "
                         f"{_JSON_TYPE_WORDS.get(_json_type(doc), _json_type(doc))}; see docs/cluster-format.md")
    version = doc.get("welinq_cluster_version", FORMAT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise _fail("$.welinq_cluster_version", f" = {version}: this file uses cluster format version {version}, "
                                                f"but this welinq reads version {FORMAT_VERSION}; upgrade welinq "
                                                f"or write a version-{FORMAT_VERSION} file")
    first = _first_violation(doc, cluster_schema(), [])
    if first is not None:
        err = _explain(first)
        label = _link_label(doc, first.absolute_path)
        if label:
            err = ClusterSpecError(f"{err}{label}")
        raise err
    names = [q["name"] for q in doc["qpus"]]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            raise _fail(["qpus", i, "name"], f" = {describe_value(n)}: QPU #{seen[n]} has the same name; "
                                             "QPU names must be unique")
        seen[n] = i
    pairs: dict[tuple[str, str], int] = {}
    for i, link in enumerate(doc.get("links", [])):
        a, b = link["qpus"]
        for j, end in enumerate((a, b)):
            if end not in seen:
                raise _fail(["links", i, "qpus", j], f" = {describe_value(end)}: no QPU has this name"
                                                     f"{_suggest(end, seen)}; link ends must name QPUs in 'qpus'")
        if a == b:
            raise _fail(["links", i, "qpus"], f" = {describe_value([a, b])}: a link joins two different QPUs")
        key = (a, b) if a <= b else (b, a)
        if key in pairs:
            raise _fail(["links", i], f": a second link between {describe_value(a)} and {describe_value(b)} "
                                      f"(the first is $.links[{pairs[key]}]); give one link per pair of QPUs")
        pairs[key] = i


def _link_label(doc: Mapping[str, Any], parts: list[Any]) -> str:
    if len(parts) >= 2 and parts[0] == "links":
        try:
            ends = doc["links"][parts[1]]["qpus"]
            return f" (in the link between {describe_value(ends)})"
        except (KeyError, IndexError, TypeError):
            return ""
    return ""

"""How the statistics table writes one cell: for people (K/M/G, KiB/MiB), Markdown, or CSV."""

from __future__ import annotations

import re
from collections.abc import Sequence

from torchscope.exports import shape_text

BYTES = {"param_bytes", "buffer_bytes", "activation_bytes", "read_bytes", "write_bytes"} | {
    "saved_bytes", "grad_bytes", "optimizer_bytes", "peak_bytes", "peak_bytes_inference",
}  # fmt: skip


def human(column: str, value: object) -> str:
    """Format a cell for people: shapes as [1, 3, 224, 224], counts in K/M/G, bytes in KiB/MiB."""
    if isinstance(value, list):
        return ", ".join(
            "[" + ", ".join(str(d) for d in s) + "]" if isinstance(s, list) else str(s) for s in value
        )
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    binary = column in BYTES
    units = (
        (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)) if binary else (("G", 1e9), ("M", 1e6), ("K", 1e3))
    )
    unit, scale = next(((u, s) for u, s in units if abs(value) >= s), ("B" if binary else "", 1))
    if scale == 1:
        return f"{value} B" if binary else str(value)
    return f"{value / scale:.2f} {unit}"


def plain(value: object) -> object:
    """Write a cell for CSV: lists joined by ``; ``, None as empty."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value


# the characters that can start Markdown markup inside a table cell: emphasis, code, links,
# HTML, entities, strikethrough, math, mentions, the cell separator, and the escape itself
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>&|~$@])")


def markdown_escape(text: str) -> str:
    """Escape ``text`` for a Markdown table cell: active characters get a backslash, newlines a space.

    The backslash itself is escaped too: GFM reads a backslash before an escaped pipe as an
    escaped backslash followed by a cell separator.
    """
    return _MARKDOWN_ACTIVE.sub(r"\\\1", " ".join(text.splitlines()))


def markdown_cell(column: str, value: object) -> str:
    """Write a cell for a Markdown table: shapes as ``1x3x224x224``, the rest humanised and escaped."""
    if column in ("input_shapes", "output_shapes") and isinstance(value, list):
        return ", ".join(shape_text(s) for s in value if isinstance(s, list))
    return markdown_escape(human(column, value))


def markdown_row(cells: Sequence[str]) -> str:
    """Join cells into one Markdown table row."""
    return "| " + " | ".join(cells) + " |"

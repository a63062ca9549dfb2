"""Reading a foreign file whole, after its size is checked: a 3 GB file is refused before a byte is read."""

from __future__ import annotations

import os

from metamodel.errors import ParseError


def read_limited(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of ``path``; ``ParseError`` when it is larger than ``limit`` bytes or cannot be read."""
    source = str(path)
    try:
        size = os.stat(source).st_size
        if size > limit:
            raise ParseError(f"file is {size} bytes, larger than the {limit} allowed", file=source)
        with open(source, "rb") as stream:
            data = stream.read(limit + 1)  # the file may have grown since
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror}", file=source) from None
    if len(data) > limit:
        raise ParseError(f"file is larger than the {limit} bytes allowed", file=source)
    return data

"""The plain structure a document is read into and written from: what a released document may carry."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class DocumentError(ValueError):
    """A document that cannot be read safely (corrupt, encrypted, macro-enabled, no text layer): it is withheld."""


@dataclass
class Block:
    """A heading (level >= 1), a title (level 0), a paragraph (level None) or a table (rows of cell texts)."""

    text: str = ""
    level: int | None = None
    rows: list[list[str]] | None = None


@dataclass
class Document:
    """The text a released document keeps: body blocks, header and footer lines, notes (footnotes, endnotes, text
    in text boxes is kept in the body where it stood). `removed` counts what was dropped, by kind (never values)."""

    blocks: list[Block] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    removed: Counter = field(default_factory=Counter)

    def segments(self) -> list[str]:
        """Every text of the document in reading order (header, body, footer, notes); `with_segments` puts the same
        number of texts back in the same order."""
        out = list(self.header)
        for block in self.blocks:
            if block.rows is not None:
                out += [cell for row in block.rows for cell in row]
            else:
                out.append(block.text)
        return out + list(self.footer) + list(self.notes)

    def with_segments(self, texts: list[str]) -> "Document":
        """A copy of this document whose texts are `texts` (same order as `segments`)."""
        it = iter(texts)
        header = [next(it) for _ in self.header]
        blocks = []
        for block in self.blocks:
            if block.rows is not None:
                blocks.append(Block(rows=[[next(it) for _ in row] for row in block.rows]))
            else:
                blocks.append(Block(next(it), block.level))
        footer = [next(it) for _ in self.footer]
        notes = [next(it) for _ in self.notes]
        return Document(blocks, header, footer, notes, Counter(self.removed))

    def text(self) -> str:
        """All text, one segment a line (for plain-text release and checks)."""
        return "\n".join(self.segments())

"""A one-page PDF writer just big enough for a printable stamp: text lines and filled rectangles (the QR code).

No dependency and no embedded font file: Latin text uses the standard Helvetica and Courier fonts every PDF reader
has; text with Korean uses the standard Adobe-Korea1 font HYGoThic-Medium by name (not embedded), which readers map
to an installed Korean font."""

from dataclasses import dataclass, field

A4 = (595.28, 841.89)


def _latin(text: str) -> bool:
    return all(ord(ch) < 256 for ch in text)


def _literal(text: str) -> str:
    """A PDF literal string in Latin-1 (WinAnsi for our characters)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return "(" + "".join(ch if 32 <= ord(ch) < 127 else f"\\{ord(ch):03o}" for ch in escaped) + ")"


def _ucs2(text: str) -> str:
    """A hex string for the UniKS-UCS2-H encoding; characters outside the BMP become '?'."""
    return "<" + "".join(f"{ord(ch) if ord(ch) <= 0xFFFF else 0x3F:04X}" for ch in text) + ">"


_PLAIN = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _clean(text: str) -> str:
    # Typographic dashes and quotes become their Latin-1 cousins, so such a line stays in Helvetica.
    return "".join(ch if ch.isprintable() else " " for ch in str(text).translate(_PLAIN))


@dataclass
class Page:
    width: float = A4[0]
    height: float = A4[1]
    ops: list[str] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 11,
        bold: bool = False,
        mono: bool = False,
        color: tuple[float, float, float] = (0, 0, 0),
    ) -> None:
        text = _clean(text)
        if mono and _latin(text):
            font, string = "F3", _literal(text)
        elif _latin(text):
            font, string = ("F2" if bold else "F1"), _literal(text)
        else:
            font, string = "F4", _ucs2(text)
        r, g, b = color
        self.ops.append(f"BT {r:.3f} {g:.3f} {b:.3f} rg /{font} {size:.2f} Tf {x:.2f} {y:.2f} Td {string} Tj ET")

    def rect(self, x: float, y: float, w: float, h: float, *, gray: float = 0.0, stroke: bool = False) -> None:
        if stroke:
            self.ops.append(f"{gray:.3f} G 1 w {x:.2f} {y:.2f} {w:.2f} {h:.2f} re S")
        else:
            self.ops.append(f"{gray:.3f} g {x:.2f} {y:.2f} {w:.2f} {h:.2f} re f")

    def modules(self, rows, x: float, y_top: float, module: float) -> None:
        """Dark modules of a QR matrix (rows of booleans, top row first), one rectangle per horizontal run."""
        self.ops.append("0 g")
        for row_index, row in enumerate(rows):
            y = y_top - (row_index + 1) * module
            row = list(row)
            col = 0
            while col < len(row):
                if row[col]:
                    start = col
                    while col < len(row) and row[col]:
                        col += 1
                    self.ops.append(f"{x + start * module:.2f} {y:.2f} {(col - start) * module:.2f} {module:.2f} re")
                else:
                    col += 1
        self.ops.append("f")

    def render(self, *, title: str = "") -> bytes:
        content = "\n".join(self.ops).encode("latin-1")
        korean_descriptor = (
            "<< /Type /FontDescriptor /FontName /HYGoThic-Medium /Flags 6 /FontBBox [-6 -145 1003 880] "
            "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 58 >>"
        )
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {self.width:.2f} {self.height:.2f}] "
                "/Resources << /Font << /F1 5 0 R /F2 6 0 R /F3 7 0 R /F4 8 0 R >> >> /Contents 4 0 R >>"
            ).encode(),
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
            (
                b"<< /Type /Font /Subtype /Type0 /BaseFont /HYGoThic-Medium /Encoding /UniKS-UCS2-H "
                b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HYGoThic-Medium "
                b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Korea1) /Supplement 1 >> "
                b"/FontDescriptor 9 0 R /DW 1000 /W [1 95 500] >>] >>"
            ),
            korean_descriptor.encode(),
            f"<< /Title {_ucs2_title(title)} /Producer (Inminban) >>".encode(),
        ]
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % offset
        out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(objects) + 1,
            len(objects),
            xref,
        )
        return bytes(out)


def _ucs2_title(title: str) -> str:
    # Document info strings may be UTF-16BE with a byte order mark, which covers any title.
    return "<FEFF" + _clean(title).encode("utf-16-be").hex().upper() + ">"


def wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]

"""A voucher printed: its QR code (segno) with its code and a few words (`voucher.*`).

The print carries what the desk needs and nothing more: how many people, until when, the
code — never the organisation or who the voucher is for. SVG is segno's drawing inside a
page with the text; the PDF is one A6 page written here (text in the PDF standard font
Helvetica, the QR code's dark modules as filled squares of segno's matrix).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol
from xml.sax.saxutils import escape

import segno

from app.domain.localized import Lang as Language
from app.domain.vouchers import printed_code
from app.i18n import texts

Kind = Literal["svg", "pdf"]
_MEDIA: dict[Kind, str] = {"svg": "image/svg+xml", "pdf": "application/pdf"}


def wanted(accept: str | None) -> Kind | None:
    """The print a client asks for in its Accept header; None: the JSON document."""
    for part in (accept or "").split(","):
        media = part.split(";")[0].strip().lower()
        if media == "image/svg+xml":
            return "svg"
        if media == "application/pdf":
            return "pdf"
        if media in ("application/json", "*/*"):
            return None
    return None


class _Voucher(Protocol):
    code: str
    people: int
    valid_until: date


@dataclass(frozen=True, slots=True)
class Printable:
    code: str
    people: int
    valid_until: date

    @classmethod
    def of(cls, voucher: _Voucher) -> Printable:
        return cls(voucher.code, voucher.people, voucher.valid_until)


def lines(voucher: Printable, language: Language) -> tuple[str, str, str]:
    day = voucher.valid_until
    n = voucher.people
    t = texts(language)
    return (
        t("voucher.title.many", people=n) if n > 1 else t("voucher.title.one", people=n),
        t(
            "voucher.valid_until",
            day=f"{day.day:02d}",
            month=f"{day.month:02d}",
            year=f"{day.year:04d}",
        ),
        t("voucher.hint"),
    )


def render(voucher: Printable, language: Language, kind: Kind) -> tuple[bytes, str]:
    qr = segno.make(voucher.code, error="m", micro=False)
    if kind == "svg":
        return _svg(qr, voucher, language), _MEDIA["svg"]
    return _pdf(qr, voucher, language), _MEDIA["pdf"]


def _svg(qr: segno.QRCode, voucher: Printable, language: Language) -> bytes:
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True, nl=False)
    drawing = buffer.getvalue().decode()
    width, height = qr.symbol_size(scale=6, border=2)
    title, valid, hint = (escape(text) for text in lines(voucher, language))
    page_width = max(width, 320)
    code = escape(printed_code(voucher.code))
    text_top = height + 28
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{page_width}" '
        f'height="{text_top + 80}" viewBox="0 0 {page_width} {text_top + 80}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<g transform="translate({(page_width - width) // 2},0)">{drawing}</g>'
        f'<g font-family="sans-serif" text-anchor="middle" fill="#000">'
        f'<text x="{page_width // 2}" y="{text_top}" font-size="20" '
        f'font-family="monospace">{code}</text>'
        f'<text x="{page_width // 2}" y="{text_top + 26}" font-size="16">{title}</text>'
        f'<text x="{page_width // 2}" y="{text_top + 48}" font-size="14">{valid}</text>'
        f'<text x="{page_width // 2}" y="{text_top + 68}" font-size="12">{hint}</text>'
        f"</g></svg>"
    ).encode()


def _pdf_text(text: str) -> str:
    # Helvetica with WinAnsiEncoding: Latin-1 covers nl, fr, en and de; the en dash is 0x96.
    raw = text.replace("–", "\x96").encode("cp1252", errors="replace").decode("latin-1")
    return raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf(qr: segno.QRCode, voucher: Printable, language: Language) -> bytes:
    page_width, page_height = 298, 420  # A6 in points
    module = 6
    matrix = [list(row) for row in qr.matrix]
    size = len(matrix) * module
    left = (page_width - size) / 2
    top = page_height - 40
    squares = [
        f"{left + x * module:.1f} {top - (y + 1) * module:.1f} {module} {module} re"
        for y, row in enumerate(matrix)
        for x, dark in enumerate(row)
        if dark
    ]
    title, valid, hint = lines(voucher, language)
    texts = [
        (16, printed_code(voucher.code), top - size - 30, "F2"),
        (14, title, top - size - 56, "F1"),
        (12, valid, top - size - 76, "F1"),
        (10, hint, top - size - 94, "F1"),
    ]
    content = "0 g\n" + "\n".join(squares) + "\nf\n"
    for font_size, text, y, font in texts:
        # Centred by an estimate of Helvetica's width (half the size per character).
        x = max(10.0, (page_width - len(text) * font_size * (0.6 if font == "F2" else 0.5)) / 2)
        content += f"BT /{font} {font_size} Tf {x:.1f} {y:.1f} Td ({_pdf_text(text)}) Tj ET\n"
    stream = content.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_width} {page_height}] "
            "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)

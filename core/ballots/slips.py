"""The slips (测评码): what an office prints and hands out — one code per slip, no name on any.

A slip says which branch it votes on and in which source, the code, and a QR code (``segno``) that opens the ballot
page with the code filled in. The office hands a branch's members' slips to its members, its peers' slips to the sibling
secretaries, at random within each group: nothing anywhere records who took which slip. The PDF sets eight slips
on an A4 page with cut lines; Chinese is drawn in the viewer's own Song face (Adobe's STSong-Light, which every PDF
reader has), so the file carries no font. A .csv or .xlsx lists the same for a mail merge or a text message.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from urllib.parse import quote

import segno

from ..exports import write_csv, xlsx
from ..i18n import tr
from .rounds import Slip

SLIP_SUFFIXES = (".pdf", ".csv", ".xlsx")
BALLOT_PATH = "ballot"  # the ballot page's address under the UI's base address


def ballot_url(base_url: str, code: str | None = None) -> str:
    """The ballot page's address, with ``code`` filled in."""
    url = f"{base_url.rstrip('/')}/{BALLOT_PATH}"
    return f"{url}?code={quote(code)}" if code else url


def slips_bytes(slips: Sequence[Slip], *, suffix: str, title: str, base_url: str, deadline: date) -> bytes:
    """The slips as a file of ``suffix`` (.pdf, .csv or .xlsx)."""
    if suffix == ".pdf":
        return _pdf(slips, title=title, base_url=base_url, deadline=deadline)
    table = _table(slips, base_url)
    if suffix == ".xlsx":
        return xlsx(sheet_name=tr("测评码", "Codes"), title=title, headers=next(table), rows=table)
    if suffix == ".csv":
        stream = io.StringIO()
        write_csv(stream, table)
        return stream.getvalue().encode("utf-8")
    raise ValueError(suffix)


def write_slips(path: Path, slips: Sequence[Slip], *, title: str, base_url: str, deadline: date,
                suffix: str | None = None) -> None:
    """The slips into ``path``, as a file of ``suffix`` (by default the path's own); a .csv streamed row by row."""
    suffix = suffix or path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as stream:
            write_csv(stream, _table(slips, base_url))
        return
    path.write_bytes(slips_bytes(slips, suffix=suffix, title=title, base_url=base_url, deadline=deadline))


def _table(slips: Sequence[Slip], base_url: str):
    yield [tr("组织编码", "Organisation"), tr("组织名称", "Name"), tr("测评类别", "Source"), tr("测评码", "Code"),
           tr("投票地址", "Address")]
    for s in slips:
        yield [s.org_code, s.org_name, s.what, s.code, ballot_url(base_url, s.code)]


def _pdf(slips: Sequence[Slip], *, title: str, base_url: str, deadline: date) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    song = "STSong-Light"
    if song not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(song))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    pdf.setCreator("Bastion")
    width, height = A4
    cols, rows = 2, 4
    cell_w, cell_h = width / cols, height / rows
    page_url = ballot_url(base_url)
    for n, slip in enumerate(slips):
        at = n % (cols * rows)
        if n and at == 0:
            pdf.showPage()
        if at == 0:
            _cut_lines(pdf, width, height, cols, rows)
        x, y = (at % cols) * cell_w, height - (at // cols + 1) * cell_h
        pad = 8 * mm
        pdf.setFont(song, 13)
        pdf.drawString(x + pad, y + cell_h - pad - 4 * mm, tr("民主测评票（无记名）", "Secret ballot"))
        pdf.setFont(song, 9)
        pdf.drawString(x + pad, y + cell_h - pad - 10 * mm, title)
        pdf.setFont(song, 10.5)
        pdf.drawString(x + pad, y + cell_h - pad - 18 * mm, tr("测评对象：", "Rated: ") + slip.org_name)
        pdf.drawString(x + pad, y + cell_h - pad - 24 * mm, tr("组织编码：", "Code: ") + slip.org_code)
        pdf.drawString(x + pad, y + cell_h - pad - 30 * mm, tr("测评类别：", "Source: ") + slip.what)
        pdf.setFont("Courier-Bold", 15)
        pdf.drawString(x + pad, y + pad + 12 * mm, slip.code)
        pdf.setFont(song, 7.5)
        pdf.drawString(x + pad, y + pad + 5 * mm, tr(f"扫码或访问 {page_url} 输入测评码", f"Scan, or open {page_url}"))
        pdf.drawString(x + pad, y + pad, tr(f"截止 {deadline}；每码限投一次", f"Until {deadline}; one vote per code"))
        _qr(pdf, ballot_url(base_url, slip.code), x + cell_w - pad - 30 * mm, y + pad, 30 * mm)
    if not slips:
        pdf.setFont(song, 12)
        pdf.drawString(20 * mm, height - 30 * mm, tr("没有需要发放的测评码", "No codes to hand out"))
    pdf.save()
    return buffer.getvalue()


def _qr(pdf, text: str, x: float, y: float, side: float) -> None:
    """A QR code of ``text`` at (x, y), ``side`` wide, as a one-bit image of one pixel per module (a quiet zone of
    two): crisp at any size, as PDF images are not interpolated unless they ask to be.

    The mask is fixed (each of the eight makes a valid code; trying them all costs five times the encoding), so a
    round's slips are written at about a thousand a second rather than a few hundred."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    rows = segno.make_qr(text, error="m", mask=0, boost_error=False).matrix
    n = len(rows) + 4
    blank = b"\xff" * n
    pixels = blank * 2 + b"".join(b"\xff\xff" + bytes(0 if v else 255 for v in row) + b"\xff\xff" for row in rows) + blank * 2
    image = Image.frombytes("L", (n, n), pixels).convert("1")
    pdf.drawImage(ImageReader(image), x, y, side, side)


def _cut_lines(pdf, width: float, height: float, cols: int, rows: int) -> None:
    pdf.saveState()
    pdf.setDash(3, 3)
    pdf.setLineWidth(0.3)
    for c in range(1, cols):
        pdf.line(width * c / cols, 0, width * c / cols, height)
    for r in range(1, rows):
        pdf.line(0, height * r / rows, width, height * r / rows)
    pdf.restoreState()

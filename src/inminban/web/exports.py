"""Tables as downloads: CSV (UTF-8 with a byte order mark, so spreadsheet programs read Korean) and XLSX (openpyxl).

The apps' export views build headers (in the UI's language) and rows, and answer `table_response`. Dates are ISO
8601 in CSV and real date cells in XLSX. A text cell that a spreadsheet would run as a formula (=, +, -, @ first)
is kept as text, since names and addresses come from people."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def check_format(fmt: str) -> str:
    """The export format named in the URL; any other answers 404, like a page that does not exist."""
    if fmt not in FORMATS:
        raise Http404(f"no export format {fmt!r}")
    return fmt


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(headers: list[str], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_value(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(headers: list[str], rows, *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Sheet"  # Excel's limit on a sheet's name
    sheet.append([str(header) for header in headers])
    widths = [len(str(header)) for header in headers]
    for row in rows:
        values = []
        for index, value in enumerate(row):
            if isinstance(value, Decimal):
                value = float(value) if value != value.to_integral_value() else int(value)
            elif isinstance(value, datetime):
                value = (timezone.localtime(value) if timezone.is_aware(value) else value).replace(tzinfo=None)
            elif value is not None and not isinstance(value, (int, float, date)):
                value = str(value)
            values.append(value)
            widths[index] = max(widths[index], len(str(value)) if value is not None else 0)
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_response(fmt: str, *, filename: str, title: str, headers: list[str], rows) -> HttpResponse:
    """The table as a download named `filename`.<fmt>."""
    check_format(fmt)
    rows = list(rows)
    body = to_csv(headers, rows) if fmt == "csv" else to_xlsx(headers, rows, title=title)
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response

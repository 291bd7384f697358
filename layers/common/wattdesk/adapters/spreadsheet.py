"""Reading an organiser's file: CSV (UTF-8 or Windows-1252, `;` or `,`) or XLSX, within limits.

Limits (a file from outside is untrusted):
* the file itself: MAX_FILE_BYTES;
* XLSX is a zip: at most MAX_ZIP_MEMBERS members, MAX_UNPACKED_BYTES unpacked in total and a
  compression ratio of at most MAX_RATIO per member (a zip bomb is refused before openpyxl opens
  it); only the first sheet is read, in openpyxl's read-only mode, values only (no formulas run);
* rows: the caller says how many it takes (a file with more is refused by the shape check,
  counting stops at the limit + 1 so a huge file is not read to the end);
* cells: at most MAX_COLUMNS columns and MAX_CELL_CHARS characters per cell.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_COLUMNS = 100
MAX_CELL_CHARS = 500


class UnreadableFile(ValueError):
    """The file cannot be read as CSV or XLSX; ``code`` names why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Sheet:
    kind: str  # "csv" or "xlsx"
    header: list[Any]
    rows: list[list[Any]]  # data rows, blank rows left out; at most max_rows + 1
    encoding: str | None = None
    delimiter: str | None = None
    row_numbers: list[int] | None = None  # the file's line/row number of each data row


def read(content: bytes, filename: str, max_rows: int) -> Sheet:
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile("file.too_large", f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if not content.strip():
        raise UnreadableFile("file.empty", "The file is empty.")
    if content[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(content, max_rows)
    return read_csv(content, max_rows)


def decode(content: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252 (what Excel saves as "CSV")."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            return content.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:  # 5 bytes cp1252 leaves undefined
            raise UnreadableFile("file.encoding", "The file is neither UTF-8 nor Windows-1252 text.") from exc


def _delimiter(header_line: str) -> str:
    # Belgian Excel saves ";"; others ",". Count outside quotes on the header line.
    outside, quoted = [], False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(char)
    text = "".join(outside)
    return ";" if text.count(";") >= text.count(",") and text.count(";") > 0 else ","


def _cell(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
        raise UnreadableFile("file.cell_too_long", f"A cell holds more than {MAX_CELL_CHARS} characters.")
    return value


def read_csv(content: bytes, max_rows: int) -> Sheet:
    text, encoding = decode(content)
    if "\x00" in text:
        raise UnreadableFile("file.not_text", "The file is not a CSV text file.")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration as exc:
        raise UnreadableFile("file.empty", "The file is empty.") from exc
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile("file.too_many_columns", f"The file has more than {MAX_COLUMNS} columns.")
    rows: list[list[Any]] = []
    numbers: list[int] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > MAX_COLUMNS:
                raise UnreadableFile("file.too_many_columns", f"A row has more than {MAX_COLUMNS} cells.")
            rows.append([_cell(cell) for cell in cells])
            numbers.append(reader.line_num)
            if len(rows) > max_rows:
                break
    except csv.Error as exc:
        raise UnreadableFile("file.csv", f"The CSV cannot be read: {exc}") from exc
    return Sheet("csv", [cell.strip() for cell in header], rows, encoding=encoding, delimiter=delimiter, row_numbers=numbers)


def _check_zip(content: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("file.xlsx", "The file is not a valid XLSX workbook.") from exc
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise UnreadableFile("file.xlsx_limits", "The workbook has too many parts.")
    total = 0
    for member in members:
        total += member.file_size
        if member.compress_size and member.file_size / member.compress_size > MAX_RATIO and member.file_size > 1024 * 1024:
            raise UnreadableFile("file.xlsx_limits", "The workbook unpacks to far more than its size (refused as a zip bomb).")
    if total > MAX_UNPACKED_BYTES:
        raise UnreadableFile("file.xlsx_limits", f"The workbook unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB.")


def read_xlsx(content: bytes, max_rows: int) -> Sheet:
    _check_zip(content)
    from openpyxl import load_workbook  # imported here: only XLSX files need it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise UnreadableFile("file.xlsx", f"The workbook cannot be read: {type(exc).__name__}") from exc
    try:
        sheet = workbook.worksheets[0]
        header: list[Any] | None = None
        rows: list[list[Any]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            cells = list(values)
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()
            if header is None:
                if not cells:
                    continue
                if len(cells) > MAX_COLUMNS:
                    raise UnreadableFile("file.too_many_columns", f"The sheet has more than {MAX_COLUMNS} columns.")
                header = ["" if cell is None else str(cell).strip() for cell in cells]
                continue
            if not any(cell is not None and str(cell).strip() for cell in cells):
                continue
            rows.append([_cell(cell) for cell in cells])
            numbers.append(number)
            if len(rows) > max_rows:
                break
    finally:
        workbook.close()
    if header is None:
        raise UnreadableFile("file.empty", "The workbook's first sheet is empty.")
    return Sheet("xlsx", header, rows, row_numbers=numbers)

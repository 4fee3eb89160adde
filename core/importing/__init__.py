"""Importing spreadsheets (CSV and Excel): organisations, ledgers (台账), findings (检查发现), ratings (测评),
restructurings of the tree (机构调整), and the party members' register (党员名册).

Party-affairs offices keep their records in Excel, so Bastion takes them as they are:

- Headers may be the English key (``org_code``), the Chinese label (``组织编码``) or both, as the
  templates write them (``组织编码 org_code``). Unknown columns and missing required columns are
  errors. Blank rows are skipped. Dates may be ISO text, Excel dates or ``2026/3/5``. CSV may be
  UTF-8 (with or without BOM) or GB18030/GBK, which is what Excel on Chinese Windows writes.
- A file is imported whole or not at all. Every row is parsed and checked against the database
  first (in a few bulk queries); any bad row rejects the file with :class:`ImportRejected`, which
  names every bad row and field. Only then is everything written, in bulk and in one transaction.
- Importing the same facts again changes nothing: rows identical to stored ones are skipped and
  counted; identical rows inside one file are errors (usually a copy-paste slip). Organisations
  are upserted by code, and every changed organisation is audited old → new. The same file (by
  content) a second time is refused, naming when and by whom it was imported (:mod:`.service`),
  and a tenant's imports run one at a time, so two copies raced together import it once.

Row numbers are the ones the user sees in Excel: the header is row 1, the first data row row 2.

The modules, in the order a file goes through them:

- :mod:`.files`: reading a CSV (its encoding, its delimiter) or a workbook into a header and rows;
- :mod:`.kinds`: the kinds and their columns; :mod:`.cells`: the parser of each cell;
- :mod:`.rows`: which column each header names, each row parsed into a record;
- :mod:`.organizations`, :mod:`.ledger`, :mod:`.findings`, :mod:`.ratings`, :mod:`.restructure`,
  :mod:`.members`: each kind checked
  against the database and written, with what they share in :mod:`.context`;
- :mod:`.report`: the row errors (file, row, field, reason), the rejection, the report of what was done;
- :mod:`.service`: :func:`import_file`, the entry point; :mod:`.templates`: :func:`write_template`.
"""

from .cells import (
    CHECK_KIND_ALIASES,
    LEVEL_ALIASES,
    RATING_LEVELS,
    SOURCE_ALIASES,
    parse_check_kind,
    parse_count,
    parse_date,
    parse_level,
    parse_number,
    parse_rating_level,
    parse_source,
    parse_text,
)
from .files import EXCEL_SUFFIXES, GUIDE_SHEET, decode_csv
from .findings import FINDING_KEY
from .kinds import (
    FINDINGS,
    KINDS,
    LEDGER,
    MEMBERS,
    ORGANIZATIONS,
    RATINGS,
    RESTRUCTURE,
    Column,
    Kind,
    kind_spec,
)
from .ledger import LEDGER_KEY
from .ratings import RATING_KEY
from .report import MAX_LISTED_ERRORS, ImportRejected, ImportReport, RowError
from .rows import match_header
from .service import AlreadyImported, import_bytes, import_file
from .templates import GENERAL_NOTES, write_template

__all__ = [
    "CHECK_KIND_ALIASES",
    "EXCEL_SUFFIXES",
    "FINDINGS",
    "FINDING_KEY",
    "GENERAL_NOTES",
    "GUIDE_SHEET",
    "KINDS",
    "LEDGER",
    "LEDGER_KEY",
    "LEVEL_ALIASES",
    "MAX_LISTED_ERRORS",
    "MEMBERS",
    "ORGANIZATIONS",
    "RATINGS",
    "RATING_KEY",
    "RATING_LEVELS",
    "RESTRUCTURE",
    "SOURCE_ALIASES",
    "AlreadyImported",
    "Column",
    "ImportRejected",
    "ImportReport",
    "Kind",
    "RowError",
    "decode_csv",
    "import_bytes",
    "import_file",
    "kind_spec",
    "match_header",
    "parse_check_kind",
    "parse_count",
    "parse_date",
    "parse_level",
    "parse_number",
    "parse_rating_level",
    "parse_source",
    "parse_text",
    "write_template",
]

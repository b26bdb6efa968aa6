from django.http import HttpResponse
from django.utils.http import content_disposition_header

from wangge.core.excel import XLSX_CONTENT_TYPE


def download(
    data: bytes, filename: str, content_type: str = XLSX_CONTENT_TYPE, *, inline: bool = False
) -> HttpResponse:
    """A file response: Excel by default; `inline` for PDFs the browser should show."""
    response = HttpResponse(data, content_type=content_type)
    # filename*= for names in Chinese (RFC 6266), as FileResponse writes it
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response

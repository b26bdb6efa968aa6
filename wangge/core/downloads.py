from django.http import HttpResponse

from wangge.core.excel import XLSX_CONTENT_TYPE


def download(
    data: bytes, filename: str, content_type: str = XLSX_CONTENT_TYPE, *, inline: bool = False
) -> HttpResponse:
    """A file response: Excel by default; `inline` for PDFs the browser should show."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return response

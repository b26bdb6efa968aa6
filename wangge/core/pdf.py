"""HTML to PDF with WeasyPrint and the system's CJK font (Debian fonts-noto-cjk)."""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

CJK_FONT = "Noto Sans CJK SC"


class PdfUnavailable(Exception):
    """Said in Chinese: what is missing on this server."""


@lru_cache(maxsize=1)
def cjk_font_available() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20).stdout
    return bool(out.strip())


def render_pdf(html: str, *, base_url: str | None = None) -> bytes:
    if not cjk_font_available():
        raise PdfUnavailable(
            "服务器上没有中文字体（fc-list :lang=zh 为空），无法生成 PDF：请安装 fonts-noto-cjk。"
        )
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Pango libraries are missing
        raise PdfUnavailable(f"服务器缺少 WeasyPrint 需要的系统库（Pango），无法生成 PDF：{exc}") from exc
    return HTML(string=html, base_url=base_url).write_pdf()

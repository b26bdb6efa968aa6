"""Photos from phones: checked (an image, not too large, a format we take) and re-encoded as JPEG, which
also drops EXIF (the phone's location, its owner). Shared by every module that takes photos."""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from wangge.core.errors import invalid


def check_image(upload, *, max_bytes: int, field: str = "photos"):
    """The upload as a Pillow image, or a Chinese ValidationError on `field`."""

    name = getattr(upload, "name", "photo")
    if getattr(upload, "size", 0) > max_bytes:
        raise invalid(
            field,
            _("照片 %(name)s 超过 %(mb)d MB") % {"name": name, "mb": max_bytes // 2**20},
            "out_of_range",
        )
    try:
        upload.seek(0)
        image = Image.open(upload)
        image.verify()
        upload.seek(0)
        image = Image.open(upload)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise invalid(field, _("%(name)s 不是图片文件") % {"name": name}, "invalid") from exc
    if image.format not in {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}:
        raise invalid(
            field, _("不支持的图片格式：%(fmt)s（请用 JPG 或 PNG）") % {"fmt": image.format}, "invalid"
        )
    return image


def drawn_upload(drawn: str, *, field: str = "signature"):
    """A signature drawn on the phone's canvas (a PNG data URL, `static/wangge/sign.js`) as an upload."""
    import base64

    from django.core.files.uploadedfile import SimpleUploadedFile

    head, _comma, body = (drawn or "").partition(",")
    if head != "data:image/png;base64" or not body:
        raise invalid(field, _("手写签名的格式不对，请重新签"), "invalid")
    try:
        return SimpleUploadedFile("sign.png", base64.b64decode(body, validate=True), "image/png")
    except ValueError:
        raise invalid(field, _("手写签名的格式不对，请重新签"), "invalid") from None


def jpeg(image, *, longest: int = 2048) -> tuple[bytes, int, int]:
    """The image upright, at most `longest` px, as JPEG bytes without metadata; and its size."""

    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((longest, longest))
    buf = BytesIO()
    image.save(buf, "JPEG", quality=82)
    return buf.getvalue(), image.width, image.height


def served(image, *, cache_control: str, content_type: str = "image/jpeg"):
    """A stored photo as a response, once the caller has checked who may see it. From the local folder:
    its bytes (404 when its file is gone). From an object store: a redirect to a signed URL good for
    WANGGE_S3_URL_SECONDS, so the bytes never pass through the app server and no lasting URL exists."""

    if settings.S3_BUCKET:
        signed = HttpResponseRedirect(image.url)
        signed["Cache-Control"] = "private, no-store"  # the URL expires: never kept by a cache
        return signed
    try:
        data = image.read()
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = cache_control
    return response

"""Poster uploads: JPEG, PNG or WebP as Pillow reads the bytes (never the file name), and small."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from marquee.catalog.error_codes import CatalogErrorCode
from marquee.common.errors import DomainError, field_errors

POSTER_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def poster_check(poster: UploadedFile) -> str:
    """Refuse anything but a readable JPEG/PNG/WebP within POSTER_MAX_BYTES; return its format."""
    if poster.size is not None and poster.size > settings.POSTER_MAX_BYTES:
        message = f"The poster is larger than {settings.POSTER_MAX_BYTES} bytes."
        raise DomainError(
            message,
            code=CatalogErrorCode.POSTER_TOO_LARGE,
            details={
                **field_errors("poster", message, code=CatalogErrorCode.POSTER_TOO_LARGE),
                "max_bytes": settings.POSTER_MAX_BYTES,
            },
        )
    message = "The poster must be a JPEG, PNG or WebP image."
    try:
        poster.seek(0)
        with Image.open(poster) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        image_format = None
    finally:
        poster.seek(0)
    if image_format not in POSTER_FORMATS:
        refusal = CatalogErrorCode.POSTER_INVALID_TYPE
        raise DomainError(
            message, code=refusal, details=field_errors("poster", message, code=refusal)
        )
    return image_format


def poster_prepare(poster: UploadedFile) -> UploadedFile:
    """Check the upload and name it by its real format, so storage never trusts a client name."""
    image_format = poster_check(poster)
    poster.name = f"{uuid.uuid4().hex}.{POSTER_FORMATS[image_format]}"
    return poster

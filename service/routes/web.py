"""The review page: plain HTML, CSS and JavaScript served as files."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from training.resources import packaged

WEB = packaged("service", "web")
FILES = {
    "review.css": "text/css",
    "review.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


@router.get("/review")
def review_page() -> FileResponse:
    return FileResponse(WEB / "review.html", media_type="text/html")


@router.get("/review/{name}")
def review_asset(name: str) -> FileResponse:
    if name not in FILES:
        from service.errors import ApiError

        raise ApiError(404, "not_found", f"no such file: /review/{name}")
    return FileResponse(WEB / name, media_type=FILES[name])

"""Serving the web UI: the files Vite built (web/ → src/cognitia/webui/) at /.

Every path that is not the API's is a page of the single-page app, so unknown paths
get index.html and the app's own router decides; API paths keep their JSON 404s.
Hashed files under /assets never change, so they are cached for a year; index.html is
never cached, so a new build is picked up at the next load.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.convertors import Convertor, register_url_convertor

from cognitia.config import Settings

PACKAGED_UI = Path(__file__).resolve().parent.parent / "webui"


class _PagePath(Convertor[str]):
    """Any path but the API's: the page route never matches /api/..., /v1/..., /docs, so
    those keep the router's own answers (a JSON 404, or 405 for a wrong method)."""

    regex = r"(?!(?:api|v1|docs|redoc|openapi\.json|health|healthz|readyz|metrics)(?:/|$)).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("page", _PagePath())

# The app is one script and one stylesheet of our own; nothing inline, nothing remote.
# Avatars and pasted images may be data:/blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)

NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Cognitia</title>
<h1>Cognitia</h1><p>The API is running, but the web UI has not been built.
Run <code>./dev serve</code> (it builds the UI), or <code>./dev build-web</code>.</p>
<p>API docs: <a href="/docs">/docs</a></p>"""


def install(app: FastAPI, settings: Settings) -> None:
    """Add the UI's routes last, after every API route."""
    if not settings.http.web_ui:
        return
    root = settings.http.web_ui_dir or PACKAGED_UI
    if (root / "assets").is_dir():
        app.mount("/assets", _HashedFiles(directory=root / "assets"), name="webui-assets")

    @app.get("/{path:page}", include_in_schema=False)
    async def page(path: str) -> Response:
        return _page(root, path)


class _HashedFiles(StaticFiles):
    """Vite's output names carry a content hash: a name's bytes never change."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _page(root: Path, path: str) -> Response:
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY}
    index = root / "index.html"
    if not index.is_file():
        return HTMLResponse(NOT_BUILT, status_code=503, headers=headers)
    asset = _top_level_file(root, path)
    if asset is not None:
        return FileResponse(asset, headers=headers)
    headers["Cache-Control"] = "no-cache"
    return FileResponse(index, headers=headers)


def _top_level_file(root: Path, path: str) -> Path | None:
    """A file Vite copied from web/public (favicon, robots.txt): top level only."""
    if not path or "/" in path or path.startswith("."):
        return None
    candidate = root / path
    return candidate if candidate.is_file() and candidate.name != "index.html" else None

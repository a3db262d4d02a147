"""``GET /docs``: Swagger UI over ``/openapi.json``, from files shipped in the package.

No CDN: clinics run behind firewalls. The files are swagger-ui-dist 5.35.0
(Apache-2.0, its LICENSE and NOTICE beside them) from the npm registry.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

__all__ = ["ASSETS", "SWAGGER_DIR", "routes"]

routes = web.RouteTableDef()

SWAGGER_DIR = Path(__file__).resolve().parents[1] / "static" / "swagger"
ASSETS = "/docs/assets"

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Digitaly robot API</title>
  <link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{ASSETS}/swagger-ui-standalone-preset.js"></script>
  <script src="{ASSETS}/digitaly-init.js"></script>
</body>
</html>
"""

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


@routes.get("/docs")
async def docs(request: web.Request) -> web.Response:
    return web.Response(
        text=_PAGE,
        content_type="text/html",
        headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff"},
    )

"""The ASGI entry point: `fastapi run` and uvicorn load `app` from here."""

import gc

from {{ cookiecutter.package_name }}.app import create_app

app = create_app()

if app.openapi_url:
    # Built here, before the server starts, rather than by the first request for it, which
    # would hold the event loop for as long as building the whole document takes.
    app.openapi()

# Modules, the app, its routes and schemas live as long as the process. Frozen, they are left
# out of every later full collection, which then scans only what requests create (README:
# "Performance" says what that saves).
gc.collect()
gc.freeze()

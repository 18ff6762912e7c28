"""The ASGI entry point: `fastapi run` and uvicorn load `app` from here."""

import gc

from {{ cookiecutter.package_name }}.app import create_app

app = create_app()

# Modules, the app, its routes and schemas live as long as the process. Frozen, they are left
# out of every later full collection, which then scans only what requests create (README:
# "Performance" says what that saves).
gc.collect()
gc.freeze()

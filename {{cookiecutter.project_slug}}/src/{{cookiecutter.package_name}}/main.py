"""The ASGI entry point: `fastapi run` and uvicorn load `app` from here."""

from {{ cookiecutter.package_name }}.app import create_app

app = create_app()

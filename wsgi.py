"""WSGI entry point: ``gunicorn wsgi:app``."""

from volunteer_app import create_app

app = create_app()

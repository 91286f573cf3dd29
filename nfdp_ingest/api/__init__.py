"""The read API (Flask): ``create_app(settings)``, one blueprint per resource under /api/v1."""

from .app import create_app

__all__ = ["create_app"]

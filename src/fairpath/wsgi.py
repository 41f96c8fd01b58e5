"""WSGI entry point for any WSGI server (waitress in `fairpath serve`, gunicorn or uWSGI in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fairpath.settings")
application = get_wsgi_application()

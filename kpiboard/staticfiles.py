"""Serve plotly.js from the installed ``plotly`` package: our own server, never a CDN, never a copy in git."""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_STATIC_PATH = "vendor/plotly.min.js"


class PlotlyFinder(BaseFinder):
    """Finds ``vendor/plotly.min.js`` in the plotly package's ``package_data`` folder."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source_dir = Path(plotly.__file__).parent / "package_data"
        self.storage = FileSystemStorage(location=str(self.source_dir))
        self.storage.prefix = "vendor"

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == PLOTLY_STATIC_PATH:
            match = str(self.source_dir / "plotly.min.js")
            return [match] if find_all else match
        return [] if find_all else None

    def list(self, ignore_patterns):
        yield "plotly.min.js", self.storage

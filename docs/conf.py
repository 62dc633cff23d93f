"""Sphinx configuration for the notifpolicy documentation (``make docs``).

MyST reads the Markdown pages as they are; autodoc builds the API reference from the docstrings.
The build runs with ``-W``: every warning is an error.  Nothing here needs the network.
"""

from __future__ import annotations

import notifpolicy

project = "notifpolicy"
author = "The notifpolicy authors"
copyright = "2026, the notifpolicy authors"
release = notifpolicy.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
# samples/ holds golden digest files that pages link to; they are not pages themselves.
exclude_patterns = ["_build", "samples/**"]

# Headings get anchors so that pages can link to a section (`service.md#choices`).
myst_heading_anchors = 3

# Type hints go in the descriptions, so signatures stay readable. The package uses
# `from __future__ import annotations` and imports some types only under TYPE_CHECKING; nitpicky
# mode stays off, so such a type is shown as plain text instead of a link, not as a failure.
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = "notifpolicy"

"""One module per page; each has ``page()`` that draws it. See :mod:`annotate.ui.nav`."""

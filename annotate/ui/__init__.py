"""The Streamlit app: pages (widgets only), the two components (the Review player, the Play viewer), and the
HTTP routes beside the app.

This is the only package in cx-annotate that imports Streamlit. ``routes``,
``play_routes``, ``services``, ``marking``, ``scripts`` and ``player_data`` do
not, so the ASGI side can use them outside a script run. The components'
browser files (``*.html``, ``*.css``, ``*.js``) live beside their modules.
"""

"""The Streamlit app: pages (widgets only), the player component, and the media routes.

This is the only package in cx-annotate that imports Streamlit (``routes`` and
``services`` do not, so the ASGI side can use them outside a script run).
"""

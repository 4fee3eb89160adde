"""The served app: Streamlit's script (``app.py``) with the routes that set and drop its cookie (``ui/web.py``).

``bastion ui`` runs ``streamlit run`` on this file; Streamlit sees the ``st.App`` and serves it.
"""

from pathlib import Path

import streamlit as st

from bastion.ui.web import ROUTES

app = st.App(Path(__file__).with_name("app.py"), routes=ROUTES)

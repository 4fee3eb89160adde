"""The served app: Streamlit's script (``app.py``) with the login page and its gate (``ui/web.py``).

``bastion ui`` runs ``streamlit run`` on this file; Streamlit sees the ``st.App`` and serves it.
"""

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from bastion.ui.web import ROUTES, LoginGate

app = st.App(Path(__file__).with_name("app.py"), routes=ROUTES, middleware=[Middleware(LoginGate)])

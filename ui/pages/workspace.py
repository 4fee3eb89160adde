"""Placeholder while the page is built (replaced in this session)."""

import streamlit as st

st.title("workspace")

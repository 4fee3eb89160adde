"""The Streamlit app: leaders' dashboard and the workspaces (built in a later issue).

Pages will call query functions of ``bastion.core``; nothing here yet.
"""

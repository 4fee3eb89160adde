"""Prefect flows that run a tenant's check → review → reward calendar (built in a later issue).

Each flow task will call a plain function of ``bastion.core``; nothing here yet.
"""

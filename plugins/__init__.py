"""Bastion's built-in plugins: each one registered through the ``bastion`` entry-point group,
exactly like an enterprise's own plugin (see ``core/hookspecs.py`` and ``docs/plugins.md``)."""

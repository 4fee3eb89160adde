"""Bulletins (通报): writing a period's bulletin into the archive (:mod:`.service`) and reading it back
(:mod:`.queries`)."""

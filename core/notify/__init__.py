"""Notifications (通知): the outbox (``outbox``), what each event puts in it and when (``planning``), who gets them
(``recipients``), their words (``events``), and delivering them once on each channel (``delivery``)."""

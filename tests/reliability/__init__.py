"""Reliability: what holds when things go wrong at once — races, bad input, hostile names, faulty plugins."""

"""Democratic evaluation (民主测评) by secret ballot.

- :mod:`.questions` — what a ballot asks of each source, and what makes a valid rating (one rule for the ballot
  page, paper ballots keyed in and ratings imported);
- :mod:`.secrecy` — which sources are secret, and what of them anyone may see;
- :mod:`.draw` — who is entitled to vote, counted from the tree and the members' register on a day;
- :mod:`.codes` — one-time codes: made, normalised as typed, kept only as digests;
- :mod:`.rounds` — a round's life: opened (drawn), its codes issued once, watched, closed (counted into ratings);
- :mod:`.box` — casting a ballot by its code into the anonymous box;
- :mod:`.slips` — the slips (测评码) an office prints or hands out.
"""

"""``hgw demo``: the whole system on one machine, with nothing to sign up for."""

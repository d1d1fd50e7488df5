"""Use cases: decide, submit, accept, choose, approve, report. No HTTP, no Flask."""

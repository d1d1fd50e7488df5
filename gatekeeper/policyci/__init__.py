"""Policy CI: ``gatekeeper check`` (is the bundle sound?) and ``gatekeeper impact`` (what flips?).

May import engine, service, ledger and domain; never Flask. No policy logic lives here: every
decision compared is the policy's own answer.
"""

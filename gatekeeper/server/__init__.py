"""The one guard outside both doors: who is calling, may they, and what an error's status is.

Both the JSON door (``gatekeeper.api``) and the web door (``gatekeeper.web``) use it; it uses
neither, the way OPA keeps its identifier and authorizer under the server, not a handler.
"""

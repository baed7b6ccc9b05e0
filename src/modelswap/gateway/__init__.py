"""The gateway: ASGI app, routing decisions, shadowing, recording, flags, metrics and auth."""

"""Fuzz tests: generated hostile input thrown at the gateway's parsers and endpoints."""

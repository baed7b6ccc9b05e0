"""Routing by confidence: router signals that rate a cheap model's answer, and what decides a cascade."""

"""Async use cases over the core's ports: conversations, appointments, outbox, cancellations."""

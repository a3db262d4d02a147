"""The pure core: flows, the engine, intents, phones. No I/O, no clock reads."""

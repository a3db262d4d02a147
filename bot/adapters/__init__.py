"""I/O behind the core's ports: MongoDB, Redis, Twilio, SMTP, flow files, embedded servers."""

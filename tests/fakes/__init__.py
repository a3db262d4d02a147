"""Local fakes of the outside world: Twilio's HTTP API, an SMTP server."""

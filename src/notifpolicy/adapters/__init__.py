"""Reference adapters for the ports: SQLite, Slack incoming webhooks, SMTP, the system clock.

Each module imports only the ports, the public core types and its own library; the core never
imports these.  Import the one you use: ``from notifpolicy.adapters.sqlite import SqliteStore``.
"""

"""Reference adapters for the ports: SQLite, PostgreSQL, Slack incoming webhooks, SMTP, the
clocks, and the in-memory store and recording transport (``memory``) that tests, demos and the
simulation use.

Import the one you use: ``from notifpolicy.adapters.sqlite import SqliteStore``.  The core never
imports these, and they never import the service.

What an adapter imports: the ports, the public core (``from notifpolicy import ...``: every type
and error it reads or writes, and :func:`~notifpolicy.check_stored_version`, the stores'
compare-and-set rule), its own library (``sqlite3``, ``psycopg``, ``http.client``,
``smtplib``; ``memory`` and ``clock`` only the standard library), and the private modules of
this package that the adapters share:

- ``_rows``: what the two SQL stores' rows mean (documents beside their schema number, audit
  documents, the outbox columns, unreadable rows named by table and key);
- ``_deadline``: the overall deadline of one send, for the Slack and SMTP transports.

Besides those, exactly these internal helpers of the core, each because an adapter must apply
the same rule as the core, word for word, and none is a promise to hosts:

- ``notifpolicy._timeutil.require_aware``: an instant passed to a store must be timezone-aware,
  refused with the core's ``ValidationError``;
- ``notifpolicy._webhook.allowed_hosts`` and ``webhook_url_problem``: the stores read settings
  back with the webhook hosts checked as the core checks them, and the Slack transport checks the
  URL again at send time against the same rule the settings were saved under;
- ``notifpolicy._errors.quote``: how the SQLite store quotes a value in a message.

A host writing its own store or transport needs none of them (the service hands a store only
aware instants and validated values, and settings read back through
``WorkspaceSettings.from_dict`` check the webhook URL there): see "Write a store" and "Write a
transport" in the docs.
"""

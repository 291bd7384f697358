"""Named errors that state machine definitions retry or catch by name.

Step Functions sees the exception's class name as the error name, so these names are part of
the contract with the ASL files: renaming one is a change to the definitions too.
"""


class WattDeskTaskError(Exception):
    """Base of the errors raised by state machine task handlers."""


class MalformedEvent(WattDeskTaskError):
    """The task's input does not have the shape the handler expects (a bug upstream; not retried)."""


class TransientError(WattDeskTaskError):
    """Worth retrying: a dependency was briefly unavailable."""


class MailThrottled(TransientError):
    """SES refused for rate reasons; the definition retries with backoff."""

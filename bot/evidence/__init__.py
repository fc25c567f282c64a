"""Evidence photos for the monthly job-search ledger (issue 9): download, validation and
encrypted storage live in :mod:`bot.evidence.files`; settings in :mod:`bot.evidence.config`."""

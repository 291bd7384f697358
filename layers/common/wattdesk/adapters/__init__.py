"""Adapters to the outside world: AWS services, mail, documents, banks, grid operators."""

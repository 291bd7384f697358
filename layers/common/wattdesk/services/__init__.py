"""Use cases between the handlers and the stores: what a request or a workflow step does."""

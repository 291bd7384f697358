"""The local runtime: template.yaml on moto, real state machines, handlers in-process. Never deployed."""

"""WattDesk shared layer."""

"""IOC pipeline: composition root (CLI, settings, supervisor) and the contracts shared by all parts."""

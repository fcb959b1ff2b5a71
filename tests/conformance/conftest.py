"""The shared conformance suite: the same tests, run for every adapter (in the style of Redpanda
Connect's shared stream tests): worked example, duplicates, limits, hostile input, accounting, no
state between documents, and an inbox restarted in the middle of a file."""

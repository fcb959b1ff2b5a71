"""The kernel: what crosses process and layer boundaries (records, topic catalogue, stage topology,
units, periods, timestamps, settings, Kafka client settings). It imports nothing above it."""

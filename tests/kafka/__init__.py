"""A real Apache Kafka cluster on loopback (cluster.py) and the tests that run on it."""

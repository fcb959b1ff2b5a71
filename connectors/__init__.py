"""Source connectors: where each source system's wire format is parsed, validated and published."""

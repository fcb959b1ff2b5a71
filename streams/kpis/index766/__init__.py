"""The Decision 766 service index: its rules (configuration) and its scoring (pure)."""

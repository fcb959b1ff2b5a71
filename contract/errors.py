"""Error classes named by what the caller does about them."""


class ConfigError(Exception):
    """Fatal at start: the configuration is invalid. Carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))

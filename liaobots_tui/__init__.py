"""liaobots-tui: a terminal chat client for the Liaobots LLM gateway."""

__version__ = "0.1.0"

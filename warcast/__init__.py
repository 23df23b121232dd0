"""warcast: tag, transcribe and publish a podcast."""

__version__ = "0.1.0"

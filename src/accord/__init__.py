"""accord: model multi-party strategic negotiations and forecast where they land."""

__version__ = "0.1.0"

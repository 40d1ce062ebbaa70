"""Anti-jamming device-edge collaborative inference: measure, fit, optimise."""

__version__ = "0.1.0"

"""Digitaly: WhatsApp appointment confirmation for Brazilian clinics."""

__all__ = ["__version__"]

__version__ = "0.1.0"

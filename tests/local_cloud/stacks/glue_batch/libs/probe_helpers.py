"""Shipped to the Glue probe as a zip in --extra-py-files."""


def marker() -> str:
    return "imported-from-extra-py-files"

"""Monitoring: drift of served traffic against the reference profile (drift: PSI). numpy only, like
serving (checked by the import contracts in pyproject.toml).
"""

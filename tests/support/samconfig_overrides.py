"""Prints the parameter overrides of one samconfig.toml environment as SAM CLI itself resolves them.

Runs in SAM CLI's own interpreter (.venv-sam): `python samconfig_overrides.py <samconfig.toml> <env>`
prints a JSON object {parameter: value}; a value SAM CLI refuses exits non-zero with its message. The
project's tests read samconfig.toml through this rather than their own parser, so what they check is what
`sam deploy --config-env <env>` would send.
"""

import json
import sys
from pathlib import Path

import click
from samcli.cli.cli_config_file import ConfigProvider
from samcli.cli.types import CfnParameterOverridesType
from samcli.commands.deploy.command import cli as deploy_cli

config_file, env = Path(sys.argv[1]), sys.argv[2]
with click.Context(deploy_cli, info_name="deploy"):  # SAM's reader maps options through the command's context
    config = ConfigProvider(section="parameters")(config_file, env, ["deploy"])
print(json.dumps(CfnParameterOverridesType().convert(config.get("parameter_overrides", []), None, None)))

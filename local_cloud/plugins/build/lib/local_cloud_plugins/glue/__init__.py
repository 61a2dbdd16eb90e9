"""AWS Glue for the local cloud: moto keeps jobs and runs, StartJobRun runs the script as a local process."""

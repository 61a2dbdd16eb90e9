"""AWS Batch for the local cloud: moto keeps environments, queues, definitions and jobs; SubmitJob runs
the container command as a local process."""

"""Runs Glue job runs and Batch jobs as local processes, behind one concurrency-limited queue.

Pure Python (no LocalStack imports) so the queue, the environment contract and the error parsing can be
tested without a running local cloud; the Glue and Batch providers adapt their job models to `LocalJob`.
"""

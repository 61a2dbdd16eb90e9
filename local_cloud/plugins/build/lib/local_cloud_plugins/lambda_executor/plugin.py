"""The plux plugin that makes `LAMBDA_RUNTIME_EXECUTOR=local-process` select this executor."""

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin


class LocalProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "local-process"

    def load(self, *args, **kwargs):
        from local_cloud_plugins.lambda_executor import fewer_threads
        from local_cloud_plugins.lambda_executor.executor import LocalProcessRuntimeExecutor

        fewer_threads.apply()
        return LocalProcessRuntimeExecutor

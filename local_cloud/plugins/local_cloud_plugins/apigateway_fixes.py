"""Gateway responses as API Gateway answers them, applied when the local cloud starts.

localstack-core 2026.3.0 (community) has two gaps that together drop an API's gateway responses:
- an OpenAPI body's `x-amazon-apigateway-gateway-responses` (where SAM puts an Api's GatewayResponses)
  is not imported, so the API keeps the default responses;
- a configured response lends only its status code: the body is always LocalStack's own
  (`{"message": ...}`, application/json), the template and header mappings are ignored.
The inference API maps them to RFC 9457 problem details (template.yaml, InferenceApi GatewayResponses),
so a missing API key or a throttled call must look the same here as on AWS. This imports the extension,
renders the `application/json` template with the `$context` variables AWS documents for gateway
responses and sets the mapped `gatewayresponse.header.*` values.
"""

from __future__ import annotations

import json
import logging
import re

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$context\.([A-Za-z]+(?:\.[A-Za-z]+)?)")
_HEADER = "gatewayresponse.header."


def render(template: str, variables: dict) -> str:
    """`template` with each `$context.a` / `$context.a.b` replaced from `variables`; per AWS,
    `$context.error.messageString` is the message as a quoted JSON string. Unknown variables become ''."""

    def value(match: re.Match) -> str:
        path = match.group(1)
        if path == "error.messageString":
            return json.dumps(str((variables.get("error") or {}).get("message", "")))
        found = variables
        for part in path.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return "" if found is None else str(found)

    return _VARIABLE.sub(value, template)


EXTENSION = "x-amazon-apigateway-gateway-responses"


@hooks.on_infra_start()
def _import_gateway_responses_from_openapi() -> None:
    from localstack.services.apigateway.helpers import get_apigateway_store
    from localstack.services.apigateway.legacy import provider

    imported = provider.import_api_from_openapi_spec  # looked up by name at call time: replace it there

    def import_api_from_openapi_spec(rest_api, context, open_api_spec, mode):
        result = imported(rest_api, context, open_api_spec, mode)
        responses = (open_api_spec or {}).get(EXTENSION) or {}
        container = get_apigateway_store(context=context).rest_apis.get(rest_api.id)
        for response_type, spec in responses.items() if container is not None else ():
            container.gateway_responses[response_type] = {
                "responseType": response_type,
                "statusCode": str(spec["statusCode"]) if spec.get("statusCode") else None,
                "responseParameters": dict(spec.get("responseParameters") or {}),
                "responseTemplates": dict(spec.get("responseTemplates") or {}),
                "defaultResponse": False,
            }
        return result

    provider.import_api_from_openapi_spec = import_api_from_openapi_spec
    LOG.debug("OpenAPI gateway responses imported")


@hooks.on_infra_start()
def _render_gateway_response_templates() -> None:
    from localstack.services.apigateway.next_gen.execute_api.gateway_response import (
        get_gateway_response_or_default,
    )
    from localstack.services.apigateway.next_gen.execute_api.handlers.gateway_exception import (
        GatewayExceptionHandler,
    )
    from localstack.utils.patch import patch

    @patch(GatewayExceptionHandler.create_exception_response)
    def create_exception_response(target, self, exception, context):
        response = target(self, exception, context)
        configured = context.deployment.rest_api.gateway_responses
        gateway_response = get_gateway_response_or_default(exception.type, configured)
        if response is None or not gateway_response or gateway_response.get("defaultResponse", True):
            return response  # nothing the API configured: LocalStack's default answer stands
        variables = dict(context.context_variables)
        template = (gateway_response.get("responseTemplates") or {}).get("application/json")
        if template:
            response.set_data(render(template, variables))
        for name, mapped in (gateway_response.get("responseParameters") or {}).items():
            if name.startswith(_HEADER) and mapped.startswith("'") and mapped.endswith("'"):
                response.headers[name.removeprefix(_HEADER)] = mapped[1:-1]
        return response

    LOG.debug("gateway response templates rendered")

"""IAM and STS error codes, with the statuses the botocore models give them.

Authentication errors differ by wire protocol, as AWS's front ends answer them: query
services (IAM, STS, SNS, and SQS, whose JSON is query-compatible) answer with the
query codes of the "Common Errors" list; JSON, CBOR and REST-JSON services with the
Coral names (``UnrecognizedClientException``, ``InvalidSignatureException``...).
"""

from __future__ import annotations

from cargobay.protocol.errors import AwsError


class NoSuchEntity(AwsError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(AwsError):
    code = "EntityAlreadyExists"
    status = 409


class MalformedPolicyDocument(AwsError):
    code = "MalformedPolicyDocument"
    status = 400


class LimitExceeded(AwsError):
    code = "LimitExceeded"
    status = 409


class DeleteConflict(AwsError):
    code = "DeleteConflict"
    status = 409


class InvalidInput(AwsError):
    code = "InvalidInput"
    status = 400


class PolicyNotAttachable(AwsError):
    code = "PolicyNotAttachable"
    status = 400


class StsValidationError(AwsError):
    code = "ValidationError"
    status = 400


# -- authentication (SigV4) ---------------------------------------------------------------

SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


#: how a service's front end words authentication errors: "query" (query services and
#: query-compatible JSON ones), "json" (Coral JSON and CBOR: 400s), "rest" (REST-JSON: 403s)
Dialect = str


def _coral(dialect: Dialect, code: str, message: str, json_status: int = 400) -> AwsError:
    return AwsError(message, code, 403 if dialect == "rest" else json_status)


def missing_token(dialect: Dialect) -> AwsError:
    if dialect == "query":
        return AwsError(
            "Request is missing Authentication Token", "MissingAuthenticationToken", 403
        )
    return _coral(
        dialect, "MissingAuthenticationTokenException", "Missing Authentication Token", 403
    )


def incomplete_signature(dialect: Dialect, message: str) -> AwsError:
    if dialect == "query":
        return AwsError(message, "IncompleteSignature", 400)
    return _coral(dialect, "IncompleteSignatureException", message)


def invalid_client_token(dialect: Dialect) -> AwsError:
    if dialect == "query":
        return AwsError(INVALID_TOKEN, "InvalidClientTokenId", 403)
    return _coral(dialect, "UnrecognizedClientException", INVALID_TOKEN)


def signature_mismatch(dialect: Dialect, message: str = SIGNATURE_MISMATCH) -> AwsError:
    if dialect == "query":
        return AwsError(message, "SignatureDoesNotMatch", 403)
    return _coral(dialect, "InvalidSignatureException", message)


def expired_token(dialect: Dialect) -> AwsError:
    if dialect == "query":
        return AwsError(EXPIRED_TOKEN, "ExpiredToken", 403)
    return _coral(dialect, "ExpiredTokenException", EXPIRED_TOKEN)

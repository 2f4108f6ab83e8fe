"""SSM Parameter Store's errors: the codes its botocore model declares, AWS's messages
where AWS's are known (ParameterNotFound carries no message in AWS's answers)."""

from __future__ import annotations

from cargobay.protocol.errors import AwsError

#: AWS's answer to a malformed name on GetParameter(s) and PutParameter
BAD_NAME = (
    'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a '
    "path, it can consist of sub-paths divided by slash symbol; each sub-path can be "
    "formed as a mix of letters, numbers and the following 3 symbols .-_"
)
#: AWS's answer to a malformed Path (GetParametersByPath, a Path filter)
BAD_PATH = (
    'The parameter doesn\'t meet the parameter name requirements. The parameter name must '
    'begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" '
    "(case-insensitive). It must use only letters, numbers, or the following symbols: . "
    "(period), - (hyphen), _ (underscore). Special characters are not allowed. All "
    'sub-paths, if specified, must use the forward slash symbol "/". Valid example: '
    "/get/parameters2-/by1./path0_."
)


class ValidationException(AwsError):
    code = "ValidationException"


class AccessDeniedException(AwsError):
    code = "AccessDeniedException"


class ParameterNotFound(AwsError):
    code = "ParameterNotFound"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class ParameterVersionNotFound(AwsError):
    code = "ParameterVersionNotFound"

    def __init__(self, name: str, selector: str | int) -> None:
        super().__init__(
            f"Systems Manager could not find version {selector} of {name}. "
            "Verify the version and try again."
        )


class ParameterAlreadyExists(AwsError):
    code = "ParameterAlreadyExists"

    def __init__(self) -> None:
        super().__init__(
            "The parameter already exists. To overwrite this value, set the overwrite "
            "option in the request to true."
        )


class ParameterLimitExceeded(AwsError):
    code = "ParameterLimitExceeded"

    def __init__(self) -> None:
        super().__init__(
            "You have exceeded the number of parameters for this AWS account. Delete "
            "parameters that are no longer necessary and try again."
        )


class ParameterMaxVersionLimitExceeded(AwsError):
    code = "ParameterMaxVersionLimitExceeded"


class HierarchyLevelLimitExceededException(AwsError):
    code = "HierarchyLevelLimitExceededException"

    def __init__(self) -> None:
        super().__init__(
            "A hierarchy can have a maximum of 15 levels. For more information, see "
            "Requirements and constraints for parameter names in the AWS Systems Manager "
            "User Guide."
        )


class InvalidAllowedPatternException(AwsError):
    code = "InvalidAllowedPatternException"


class ParameterPatternMismatchException(AwsError):
    code = "ParameterPatternMismatchException"


class ParameterVersionLabelLimitExceeded(AwsError):
    code = "ParameterVersionLabelLimitExceeded"

    def __init__(self) -> None:
        super().__init__(
            "A parameter version can have maximum 10 labels. Move one or more labels to "
            "another version and try again."
        )


class InvalidPolicyTypeException(AwsError):
    code = "InvalidPolicyTypeException"


class InvalidPolicyAttributeException(AwsError):
    code = "InvalidPolicyAttributeException"


class InvalidFilterKey(AwsError):
    code = "InvalidFilterKey"


class InvalidFilterOption(AwsError):
    code = "InvalidFilterOption"


class InvalidFilterValue(AwsError):
    code = "InvalidFilterValue"


class InvalidNextToken(AwsError):
    code = "InvalidNextToken"

    def __init__(self) -> None:
        super().__init__("The specified token isn't valid.")


class InvalidResourceId(AwsError):
    code = "InvalidResourceId"


class InvalidResourceType(AwsError):
    code = "InvalidResourceType"


class TooManyTagsError(AwsError):
    code = "TooManyTagsError"

    def __init__(self) -> None:
        super().__init__("The Tags parameter can contain a maximum of 50 tags.")

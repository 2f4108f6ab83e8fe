"""AWS Systems Manager Parameter Store (json 1.1): the parameter operations of SSM.

Parameters live in the store (:mod:`parameter_store`), one document per parameter with
its last 100 versions. SecureString values are kept as given — there is no KMS
encryption (``KeyId`` is stored and reported). SSM's other features (documents,
commands, sessions…) are not served.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cargobay.services.secrets.parameter_store import ParameterStore
from cargobay.services.secrets.ssm_label_ops import LabelTagOps
from cargobay.services.secrets.ssm_param_ops import ParameterOps

if TYPE_CHECKING:
    from cargobay.app import App

#: Parameter Store quotas per account and Region (standard, advanced parameters)
MAX_STANDARD = 10_000
MAX_ADVANCED = 100_000


class SsmService(ParameterOps, LabelTagOps):
    def __init__(self, app: App) -> None:
        self.app = app
        self.clock = app.clock
        self.params = ParameterStore(app.store)
        self.max_standard = MAX_STANDARD
        self.max_advanced = MAX_ADVANCED

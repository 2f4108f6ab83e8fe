"""IAM (query protocol): roles, users and access keys, managed and inline policies,
instance profiles.  IAM is global: its documents are stored per account, without a
region (see :mod:`cargobay.iam.iam_store`)."""

from __future__ import annotations

from cargobay.iam.iam_instance_profiles import InstanceProfileOps
from cargobay.iam.iam_policies import PolicyOps
from cargobay.iam.iam_roles import RoleOps
from cargobay.iam.iam_users import UserOps


class IamService(RoleOps, UserOps, PolicyOps, InstanceProfileOps):
    pass

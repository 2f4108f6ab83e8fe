"""Who a key belongs to: the bootstrap root, IAM users' access keys, STS sessions.

- The bootstrap root identity (``CARGOBAY_ROOT_ACCESS_KEY_ID`` / ``_SECRET_ACCESS_KEY``,
  default ``test``/``test``) is the account's root user: always accepted, allowed
  everything.
- ``AKIA…`` keys belong to IAM users (``iam.access_keys``); an inactive key or a deleted
  user's key is not recognised.
- ``ASIA…`` keys are temporary (``sts.sessions``): they must come with their session
  token and stop working at their expiration; they act as an assumed-role session, or
  (GetSessionToken) as the user or root that asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cargobay.iam import iam_store
from cargobay.iam.names import (
    TEMPORARY_KEY_PREFIX,
    access_key_id,
    assumed_role_arn,
    root_arn,
    secret_access_key,
    session_token,
)

if TYPE_CHECKING:
    from cargobay.app import App

Doc = dict[str, Any]

ROOT = "root"
USER = "user"
ASSUMED_ROLE = "assumed-role"
SERVICE = "service"


@dataclass(frozen=True)
class Identity:
    """The authenticated principal of a request."""

    kind: str  # root | user | assumed-role | service
    account: str
    #: the caller's ARN (GetCallerIdentity's Arn, aws:PrincipalArn of users and root)
    arn: str
    #: GetCallerIdentity's UserId (aws:userid)
    user_id: str
    #: user name or role name ("" for root)
    name: str = ""
    access_key_id: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    #: session policies (JSON texts) and managed session policy ARNs, if any
    session_policies: tuple[str, ...] = ()
    session_policy_arns: tuple[str, ...] = ()
    session_tags: tuple[tuple[str, str], ...] = ()
    #: when temporary credentials were issued (aws:TokenIssueTime)
    token_issued: float | None = None
    source_identity: str | None = None
    #: credentials of a role session used to assume another role (role chaining)
    from_role_session: bool = False

    @property
    def is_root(self) -> bool:
        return self.kind == ROOT

    @property
    def principal_type(self) -> str:
        """aws:PrincipalType."""
        return {ROOT: "Account", USER: "User", ASSUMED_ROLE: "AssumedRole"}.get(
            self.kind, "Service"
        )

    @property
    def has_session_policy(self) -> bool:
        return bool(self.session_policies or self.session_policy_arns)


@dataclass(frozen=True)
class KeyRecord:
    secret: str
    identity: Identity
    #: the session token temporary credentials must come with
    token: str | None = None
    expiration: float | None = None
    #: the user document behind a user's key (read once per request)
    entity: Doc | None = None


def root_identity(account: str, key_id: str | None = None) -> Identity:
    return Identity(ROOT, account, root_arn(account), account, access_key_id=key_id)


def user_identity(account: str, user: Doc, key_id: str | None = None) -> Identity:
    return Identity(
        USER, account, user["Arn"], user["UserId"], user["UserName"], access_key_id=key_id
    )


def session_identity(account: str, s: Doc) -> Identity:
    kind = s["Kind"]
    if kind == ASSUMED_ROLE:
        return Identity(
            ASSUMED_ROLE,
            account,
            assumed_role_arn(account, s["RoleName"], s["SessionName"]),
            f"{s['RoleId']}:{s['SessionName']}",
            s["RoleName"],
            access_key_id=s["AccessKeyId"],
            role_arn=s["RoleArn"],
            session_name=s["SessionName"],
            session_policies=tuple(s.get("Policies", ())),
            session_policy_arns=tuple(s.get("PolicyArns", ())),
            session_tags=tuple(sorted(s.get("Tags", {}).items())),
            token_issued=s["IssuedAt"],
            source_identity=s.get("SourceIdentity"),
            from_role_session=bool(s.get("Chained")),
        )
    base = (
        root_identity(account)
        if kind == ROOT
        else Identity(USER, account, s["Arn"], s["UserId"], s["UserName"])
    )
    return Identity(
        base.kind,
        account,
        base.arn,
        base.user_id,
        base.name,
        access_key_id=s["AccessKeyId"],
        token_issued=s["IssuedAt"],
    )


def lookup_key(app: App, key_id: str) -> KeyRecord | None:
    """The secret and identity behind an access key id (None: not recognised)."""
    account = app.config.account_id
    if key_id == app.config.root_access_key_id:
        return KeyRecord(app.config.root_secret_access_key, root_identity(account, key_id))
    if key_id.startswith(TEMPORARY_KEY_PREFIX):
        s = app.store.get(iam_store.SESSIONS, f"{account}/{key_id}")
        if s is None:
            return None
        return KeyRecord(
            s["SecretAccessKey"], session_identity(account, s), s["SessionToken"], s["Expiration"]
        )
    k = app.store.get(iam_store.ACCESS_KEYS, f"{account}/{key_id}")
    if k is None or k.get("Status") != "Active":
        return None
    user = iam_store.get_user(app.store, account, k["UserName"])
    if user is None:
        return None
    return KeyRecord(k["SecretAccessKey"], user_identity(account, user, key_id), entity=user)


def identity_for_arn(app: App, arn: str) -> Identity | None:
    """The identity an in-process caller names by ARN (root, a user, a role session)."""
    account = app.config.account_id
    if arn in (root_arn(account), account):
        return root_identity(account)
    if arn.startswith(f"arn:aws:iam::{account}:user/"):
        user = iam_store.get_user(app.store, account, arn.rsplit("/", 1)[-1])
        return user_identity(account, user) if user is not None and user["Arn"] == arn else None
    prefix = f"arn:aws:sts::{account}:assumed-role/"
    if arn.startswith(prefix):
        role_name, _, session = arn[len(prefix) :].partition("/")
        role = iam_store.get_role(app.store, account, role_name)
        if role is None or not session:
            return None
        return Identity(
            ASSUMED_ROLE,
            account,
            arn,
            f"{role['RoleId']}:{session}",
            role["RoleName"],
            role_arn=role["Arn"],
            session_name=session,
        )
    if "." in arn and not arn.startswith("arn:"):
        return Identity(SERVICE, account, arn, arn, arn)
    return None


@dataclass
class TemporaryCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: float
    #: the session document as stored
    record: Doc = field(repr=False, default_factory=dict)


def issue(app: App, duration: float, **session: Any) -> TemporaryCredentials:
    """Store and return a new set of temporary credentials (``session``: the identity
    fields of an ``sts.sessions`` document: Kind, RoleArn/RoleName/RoleId/SessionName or
    UserName/UserId/Arn, Policies, PolicyArns, Tags…)."""
    now = app.clock.now()
    key = access_key_id(TEMPORARY_KEY_PREFIX)
    record: Doc = {
        **session,
        "AccessKeyId": key,
        "SecretAccessKey": secret_access_key(),
        "SessionToken": session_token(),
        "IssuedAt": now,
        "Expiration": float(int(now + duration)),
    }
    app.store.put(iam_store.SESSIONS, f"{app.config.account_id}/{key}", record)
    return TemporaryCredentials(
        key, record["SecretAccessKey"], record["SessionToken"], record["Expiration"], record
    )


def revoke(app: App, key_id: str) -> bool:
    """Forget temporary credentials at once (they answer InvalidClientTokenId after)."""
    return app.store.delete(iam_store.SESSIONS, f"{app.config.account_id}/{key_id}")


def purge_expired(app: App, older_than: float) -> int:
    """Delete sessions that expired more than ``older_than`` seconds ago."""
    cutoff = app.clock.now() - older_than
    prefix = f"{app.config.account_id}/"
    stale = [k for k, s in app.store.scan(iam_store.SESSIONS, prefix) if s["Expiration"] < cutoff]
    for k in stale:
        app.store.delete(iam_store.SESSIONS, k)
    return len(stale)

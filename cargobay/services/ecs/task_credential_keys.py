"""Which temporary keys were issued for a task (``ecs.task_credentials``), so that the
task's credentials stop working when it stops (:func:`revoke_all`, on the agent's
``release`` call: agent_credentials).

Key: the task's store key (``ACCOUNT/REGION/CLUSTER/TASK_ID``); document:
``{"keys": ["ACCOUNT/ASIA…", …]}``: keys of ``sts.sessions`` documents.
"""

from __future__ import annotations

from cargobay.iam import iam_store
from cargobay.store import Store

TABLE = "ecs.task_credentials"


def remember(store: Store, task_key: str, session_key: str) -> None:
    doc = store.get(TABLE, task_key) or {"keys": []}
    if session_key not in doc["keys"]:
        doc["keys"].append(session_key)
    store.put(TABLE, task_key, doc)


def revoke_all(store: Store, task_key: str) -> int:
    """Delete every session issued for the task; how many there were."""
    doc = store.get(TABLE, task_key)
    if doc is None:
        return 0
    for key in doc["keys"]:
        store.delete(iam_store.SESSIONS, key)
    store.delete(TABLE, task_key)
    return len(doc["keys"])

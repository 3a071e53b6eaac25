"""DynamoDB key layout (one place, so every reader and writer agrees; S3 keys are in ``keys.py``).

Every ``pk``/``sk`` string of every table is built here; ``tests/unit/test_architecture.py``
fails on a key literal anywhere else.

incident-requests table (the request queue, ``sk = REQUEST``):
  ``EVENT#{event_id}`` an incident request · ``REPLAY#{replay_id}`` a replay request ·
  ``HEARTBEAT#{name}`` / ``HEARTBEAT`` a loop's heartbeat.
pr-review-requests table (``sk = EVENT``):
  ``DELIVERY#{delivery_id}`` a GitHub delivery · ``SIGNED#{sha256}`` its signed-body guard ·
  ``PAUSE#{repo}#{number}`` / ``STATE`` a PR's ``/opsrunbook stop``.
incidents table (``pk = INCIDENT#{incident_id}``):
  ``META`` · ``RUN#{run_id}`` · ``ACTIONPLAN#{run_id}`` · ``ACTION#{action_id}`` ·
  ``ACTIONS#LATEST`` · ``NOTIFIED#{channel}`` · ``CLAIM#{action_type}`` · ``REPLAYSLOT`` ·
  ``REPLAYCHECK#{replay_id}#{run_id}#{kind}``; snapshots table ``SNAPSHOT#{run_id}``; packets
  table ``PACKET#{run_id}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KeyPrefix:
    """One kind of key: ``prefix`` followed by its parts joined with ``#``."""

    prefix: str

    def __call__(self, *parts: object) -> str:
        return self.prefix + "#".join(str(part) for part in parts)

    def id_of(self, key: str) -> str:
        """The part after the prefix (e.g. the incident id of an incident ``pk``)."""
        return key.removeprefix(self.prefix)


# ---- incident-requests table ----------------------------------------------------------------
#: Sort key of incident and replay request rows.
REQUEST_SK = "REQUEST"
HEARTBEAT_SK = "HEARTBEAT"
#: An incident request row, by the request's ``event_id``.
event_pk = KeyPrefix("EVENT#")
replay_pk = KeyPrefix("REPLAY#")
heartbeat_pk = KeyPrefix("HEARTBEAT#")

# ---- pr-review-requests table ---------------------------------------------------------------
#: Sort key of delivery rows (and of their signed-body guards).
DELIVERY_SK = "EVENT"
PAUSE_SK = "STATE"
delivery_pk = KeyPrefix("DELIVERY#")
#: The guard row of a signed webhook body (the same body again under another delivery id).
signed_body_pk = KeyPrefix("SIGNED#")
#: ``pause_pk(repo, pr_number)``: a PR's ``/opsrunbook stop``.
pause_pk = KeyPrefix("PAUSE#")

# ---- incidents, snapshots and packets tables -----------------------------------------------
incident_pk = KeyPrefix("INCIDENT#")
META_SK = "META"
#: A query for ``run_sk.prefix`` lists the incident's runs.
run_sk = KeyPrefix("RUN#")
#: A run's snapshot row (snapshots table) and packet row (packets table).
snapshot_sk = KeyPrefix("SNAPSHOT#")
packet_sk = KeyPrefix("PACKET#")
action_plan_sk = KeyPrefix("ACTIONPLAN#")
action_sk = KeyPrefix("ACTION#")
ACTIONS_LATEST_SK = "ACTIONS#LATEST"
#: The finding set last notified on a channel.
notified_sk = KeyPrefix("NOTIFIED#")
#: The per-incident claim (fencing token) of an action type.
claim_sk = KeyPrefix("CLAIM#")
REPLAY_SLOT_SK = "REPLAYSLOT"
#: ``replay_check_sk(replay_id, run_id, kind)``: the outcome of rebuilding ``kind`` (packet|plan)
#: of one run during a replay.
replay_check_sk = KeyPrefix("REPLAYCHECK#")


def replay_checks_prefix(replay_id: str) -> str:
    """Prefix of every check row of one replay."""
    return f"{replay_check_sk(replay_id)}#"


def row_key(pk: str, sk: str) -> dict[str, Any]:
    """A DynamoDB key (plain values; ``serialization.to_item`` types it)."""
    return {"pk": pk, "sk": sk}


def incident_key(incident_id: str, sk: str) -> dict[str, Any]:
    """The key of one of the incident's rows."""
    return row_key(incident_pk(incident_id), sk)

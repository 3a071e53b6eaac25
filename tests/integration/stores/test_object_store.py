"""The write-once object store against the sandbox's S3: a step's memo, and storing a stage's output."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from contracts.canonical import sha256_hex
from opsrunbook_dagster.aws.clients import AwsTarget
from opsrunbook_dagster.pipeline.deps import PipelineDeps
from opsrunbook_dagster.pipeline.outputs import _store_or_compare
from opsrunbook_dagster.stores.objects import IntegrityError
from tests.conftest import isolated, tamper

pytestmark = pytest.mark.integration
PREFIX = "objects-"


@pytest.fixture(scope="module")
def deps(aws: AwsTarget) -> PipelineDeps:
    return PipelineDeps(target=aws, names=isolated(aws, PREFIX))


@pytest.fixture
def s3_calls(deps: PipelineDeps) -> Any:
    """S3 operations the sandbox is asked for, counted by name (botocore's own event hook)."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client = deps.client("s3")
    client.meta.events.register("before-call.s3", count)
    yield calls
    client.meta.events.unregister("before-call.s3", count)


def test_a_step_reads_back_what_it_wrote_without_asking_s3_and_the_next_step_asks_again(
    deps: PipelineDeps, s3_calls: Counter[str]
) -> None:
    step = deps.step_scope()
    body = b'{"a":1}'
    step.objects.put_bytes("memo/one.json", body)
    assert step.objects.get_bytes("memo/one.json", expected_sha256=sha256_hex(body)) == body
    assert step.objects.exists("memo/one.json")
    assert s3_calls == {"PutObject": 1}

    # behind the store's back (an attacker with bucket access): the step that wrote it keeps its
    # bytes, the next step reads S3 and finds the object no longer matches its hash
    tamper(deps, "memo/one.json", b'{"a":2}')
    assert step.objects.get_bytes("memo/one.json") == body
    with pytest.raises(IntegrityError):
        deps.step_scope().objects.get_bytes("memo/one.json", expected_sha256=sha256_hex(body))
    assert deps.objects.memo is None  # the process-wide store remembers nothing


def test_a_stage_output_is_one_put_when_new_and_compared_when_already_stored(
    deps: PipelineDeps, s3_calls: Counter[str]
) -> None:
    first = _store_or_compare(deps.step_scope(), "packets", "memo/packet.json", b'{"v":1}', "inc", "run")
    assert (first.replayed, first.match) == (False, True)
    assert s3_calls == {"PutObject": 1}

    same = _store_or_compare(deps.step_scope(), "packets", "memo/packet.json", b'{"v":1}', "inc", "run")
    assert (same.replayed, same.match) == (True, True)

    other = _store_or_compare(deps.step_scope(), "packets", "memo/packet.json", b'{"v":2}', "inc", "run")
    assert (other.replayed, other.match) == (True, False)
    assert other.body == b'{"v":1}' and other.divergent_key is not None
    assert deps.objects.get_bytes(other.divergent_key) == b'{"v":2}'
    assert deps.objects.get_bytes("memo/packet.json") == b'{"v":1}'  # never replaced

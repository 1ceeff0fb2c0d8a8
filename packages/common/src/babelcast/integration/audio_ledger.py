"""The audio bookkeeping on a session's item: which chunks were accepted, the bytes counted, the
pause buffer's counters and the flush lease.

Every write here may be resent by the SDK after its answer was lost, and API Gateway may run the
message route for one connection several times at once, so each write is conditional and
recognises its own effect. A chunk is accepted once per ``sequence`` (increasing per session):

- ``audioSeq``: the newest sequence accepted;
- ``audioGaps``: sequences skipped below it by a jump (within ``GAP_WINDOW``), not received yet: a
  late chunk, whose invocation was overtaken by a newer one's, is still accepted, once;
- ``audioGapsRev``: bumped by every change of the gaps, so a jump planned on a stale set fails;
- ``audioClaim<n>`` (n = sequence mod ``CLAIM_SLOTS``): ``<sequence>:<token>:<path>`` of the
  invocation that accepted it, so an acceptance applied but not answered is known as its own.

The usual chunk (the next sequence, session active, nothing buffered) costs one write, which also
counts its bytes for the session's analytics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from babelcast.domain.audio_records import AudioClaim, AudioTicket, Verdict
from babelcast.domain.session_records import AudioState
from babelcast.errors import DependencyUnavailable, NotSpeaker, SessionEnded, SessionNotFound
from babelcast.integration.aws import DynamoTable, aws_call, is_condition_failure
from babelcast.integration.session_items import audio_state_from_item, correlation_value
from babelcast.models import SessionStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

DEPENDENCY = "dynamodb"
GAP_WINDOW = 64  # how far behind the newest a late chunk may still be accepted
CLAIM_SLOTS = 32  # acceptances remembered per session, to recognise one's own after a lost answer
MAX_ATTEMPTS = 8  # conditional writes racing for one chunk before giving up (503)


def _slot(ticket: AudioTicket) -> str:
    """The attribute that remembers who accepted ``ticket``'s sequence."""
    return f"audioClaim{ticket.sequence % CLAIM_SLOTS}"


def _mark(ticket: AudioTicket, verdict: Verdict) -> str:
    return f"{ticket.sequence}:{ticket.token}:{verdict.value[0]}"


@dataclass
class _Update:
    """An UpdateItem expression built in parts."""

    conditions: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    adds: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, AttributeValueTypeDef] = field(default_factory=dict)

    def expression(self) -> str:
        clauses = zip(
            ("SET", "ADD", "REMOVE", "DELETE"), (self.sets, self.adds, self.removes, self.deletes), strict=True
        )
        return " ".join(f"{keyword} {', '.join(parts)}" for keyword, parts in clauses if parts)

    def arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "UpdateExpression": self.expression(),
            "ConditionExpression": " AND ".join(self.conditions),
        }
        if self.names:
            arguments["ExpressionAttributeNames"] = self.names
        if self.values:
            arguments["ExpressionAttributeValues"] = self.values
        return arguments


def _sequence_part(update: _Update, sequence: int, state: AudioState | None) -> Verdict | bool:
    """Add the condition and changes that accept ``sequence`` given the ``state`` last seen (None:
    not read yet, so expect the next sequence). Returns whether it is late, or the verdict when
    the sequence cannot be accepted."""
    update.values[":sequence"] = {"N": str(sequence)}
    newest = state.newest_sequence if state else None
    if state is None or newest is None or sequence > newest:
        if state is None:
            update.conditions.append("(attribute_not_exists(audioSeq) OR audioSeq = :previous)")
            update.values[":previous"] = {"N": str(sequence - 1)}
        elif newest is None:
            update.conditions.append("attribute_not_exists(audioSeq)")
        else:
            update.conditions.append("audioSeq = :previous")
            update.values[":previous"] = {"N": str(newest)}
        update.sets.append("audioSeq = :sequence")
        if state is not None and newest is not None and sequence > newest + 1:  # a jump: remember the gap
            gaps = {g for g in state.gaps if g > sequence - GAP_WINDOW}
            gaps |= set(range(max(newest + 1, sequence - GAP_WINDOW + 1), sequence))
            revision = state.gaps_revision
            update.conditions.append(
                "audioGapsRev = :revision" if revision is not None else "attribute_not_exists(audioGapsRev)"
            )
            if revision is not None:
                update.values[":revision"] = {"N": str(revision)}
            update.sets.append("audioGaps = :gaps")
            update.values[":gaps"] = {"NS": [str(g) for g in sorted(gaps)]}
            update.adds.append("audioGapsRev :one")
            update.values[":one"] = {"N": "1"}
        return False
    if sequence in state.gaps:  # a late chunk, or one given back after a failure: accepted once
        update.conditions.append("contains(audioGaps, :sequence)")
        update.deletes.append("audioGaps :sequences")
        update.values[":sequences"] = {"NS": [str(sequence)]}
        update.adds.append("audioGapsRev :one")
        update.values[":one"] = {"N": "1"}
        return sequence < newest
    return Verdict.DUPLICATE if sequence == newest else Verdict.STALE


class AudioLedger(DynamoTable):
    """The audio attributes of the sessions table's items."""

    def claim(self, session_id: str, speaker_id: str, ticket: AudioTicket) -> AudioClaim:
        """Accept the chunk once: for the stream when the session is active with nothing buffered,
        else for the buffer. Raises SessionNotFound, NotSpeaker or SessionEnded."""
        state: AudioState | None = None
        verdict = Verdict.FORWARD
        for _ in range(MAX_ATTEMPTS):
            update = _Update(names={"#status": "status", "#claim": _slot(ticket)})
            late = _sequence_part(update, ticket.sequence, state)
            if isinstance(late, Verdict):
                assert state is not None
                return AudioClaim(late, state, ticket)
            update.conditions.insert(0, "attribute_exists(sessionId) AND speakerId = :speaker")
            update.values |= {
                ":speaker": {"S": speaker_id},
                ":size": {"N": str(ticket.size)},
                ":claim": {"S": _mark(ticket, verdict)},
                ":correlation": correlation_value(),
            }
            update.sets += ["#claim = :claim", "correlationId = :correlation"]
            # the arrival of the chunk before, beside this one's: the reply acknowledges the first
            # chunk of each second without a read (SET reads the item as it was before the write)
            update.sets += ["audioPrevAt = if_not_exists(audioLastAt, :never)", "audioLastAt = :at"]
            update.values |= {":never": {"N": "0"}, ":at": {"N": str(ticket.at_ms)}}
            if verdict is Verdict.FORWARD:
                update.conditions.append(
                    "#status = :active AND (attribute_not_exists(bufferDepth) OR bufferDepth <= :zero)"
                )
                update.values |= {":active": {"S": SessionStatus.ACTIVE.value}, ":zero": {"N": "0"}}
                update.adds.append("audioBytes :size")
            else:
                update.conditions.append("#status <> :ended")
                update.values[":ended"] = {"S": SessionStatus.ENDED.value}
                update.adds += ["bufferNext :one", "bufferDepth :one", "bufferBytes :size"]
                update.values[":one"] = {"N": "1"}
            try:
                with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                    item = self.client.update_item(
                        TableName=self.table_name,
                        Key={"sessionId": {"S": session_id}},
                        ReturnValues="ALL_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        **update.arguments(),
                    )["Attributes"]
            except ClientError as error:
                old: Any = error.response.get("Item")
                if not old:
                    raise SessionNotFound(session_id) from None
                if old.get(_slot(ticket), {}).get("S") == _mark(ticket, verdict):  # the SDK resent our write
                    if verdict is Verdict.FORWARD:
                        return AudioClaim(verdict, audio_state_from_item(old), ticket, late)
                    # its buffer slot is not known any more (others may have reserved since):
                    # give the acceptance back and take a new one, whose answer names its slot
                    self.release(session_id, ticket)
                    ticket, state = AudioTicket(ticket.sequence, ticket.size, at_ms=ticket.at_ms), None
                    continue
                state = audio_state_from_item(old)
                if state.session.speaker_id != speaker_id:
                    raise NotSpeaker() from None
                if state.session.status is SessionStatus.ENDED:
                    raise SessionEnded() from None
                paused = state.session.status is not SessionStatus.ACTIVE or state.buffer_depth > 0
                verdict = Verdict.BUFFER if paused else Verdict.FORWARD
                continue
            return AudioClaim(verdict, audio_state_from_item(item), ticket, late)
        raise DependencyUnavailable()

    def release(self, session_id: str, ticket: AudioTicket) -> None:
        """Give back a chunk this invocation accepted but could not deliver (or does not know
        whether it accepted): its sequence may be sent again, and its bytes or its buffer slot
        are uncounted. Changes nothing unless the acceptance is this invocation's and stands."""
        for verdict in (Verdict.FORWARD, Verdict.BUFFER):
            mark = _mark(ticket, verdict)
            update = _Update(
                conditions=["#claim = :claim"],
                sets=["#claim = :released"],
                adds=["audioGaps :sequences", "audioGapsRev :one"],
                names={"#claim": _slot(ticket)},
                values={
                    ":claim": {"S": mark},
                    ":released": {"S": f"{ticket.sequence}:-"},
                    ":sequences": {"NS": [str(ticket.sequence)]},
                    ":one": {"N": "1"},
                    ":minus": {"N": str(-ticket.size)},
                },
            )
            update.adds += (
                ["audioBytes :minus"] if verdict is Verdict.FORWARD else ["bufferDepth :minusOne", "bufferBytes :minus"]
            )
            if verdict is Verdict.BUFFER:
                update.values[":minusOne"] = {"N": "-1"}
            try:
                with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                    self.client.update_item(
                        TableName=self.table_name, Key={"sessionId": {"S": session_id}}, **update.arguments()
                    )
            except ClientError:
                continue  # not this path's acceptance (or already given back)
            return

    def audio_state(self, session_id: str) -> AudioState | None:
        with aws_call(DEPENDENCY, "GetItem"):
            item = self.client.get_item(
                TableName=self.table_name, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
            ).get("Item")
        return audio_state_from_item(item) if item else None

    def buffer_drained(self, session_id: str, chunks: int, size: int, through: int, *, forwarded: bool = False) -> None:
        """Uncount chunks leaving the buffer, up to position ``through`` (chunks leave oldest
        first); ``forwarded`` ones (sent to the stream, not dropped) are added to the session's
        audio total in the same write. Applied once: a resent write finds ``through`` reached."""
        values: dict[str, AttributeValueTypeDef] = {
            ":chunks": {"N": str(-chunks)},
            ":size": {"N": str(-size)},
            ":through": {"N": str(through)},
        }
        update = "SET bufferDrainedThrough = :through ADD bufferDepth :chunks, bufferBytes :size"
        if forwarded:
            update += ", audioBytes :sent"
            values[":sent"] = {"N": str(size)}
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression=update,
                    ConditionExpression="attribute_exists(sessionId) AND (attribute_not_exists("
                    "bufferDrainedThrough) OR bufferDrainedThrough < :through)",
                    ExpressionAttributeValues=values,
                )
        except ClientError:
            pass  # already drained through there (a resent write), or the session is gone

    def acquire_flush_lease(self, session_id: str, owner: str, now_ms: int, lease_ms: int) -> bool:
        """One flusher at a time per session, and only while it is active (a resent acquisition
        finds the lease its own)."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET flushOwner = :owner, flushLeaseUntil = :until",
                    ConditionExpression="#status = :active AND (attribute_not_exists(flushLeaseUntil) "
                    "OR flushLeaseUntil < :now OR flushOwner = :owner)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":owner": {"S": owner},
                        ":until": {"N": str(now_ms + lease_ms)},
                        ":now": {"N": str(now_ms)},
                        ":active": {"S": SessionStatus.ACTIVE.value},
                    },
                )
        except ClientError:
            return False
        return True

    def release_flush_lease(self, session_id: str, owner: str, *, force: bool = False) -> bool:
        """Release only when the buffer is empty; False means chunks arrived meanwhile. ``force``
        releases it whatever is buffered (a flush that failed, so that a retry need not wait)."""
        condition = "flushOwner = :owner"
        values: dict[str, AttributeValueTypeDef] = {":owner": {"S": owner}}
        if not force:
            condition += " AND (attribute_not_exists(bufferDepth) OR bufferDepth <= :zero)"
            values[":zero"] = {"N": "0"}
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="REMOVE flushOwner, flushLeaseUntil",
                    ConditionExpression=condition,
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            old: Any = error.response.get("Item") or {}
            return "flushOwner" not in old  # released by our own resent write: nothing is held
        return True

"""The two things the legacy WebSocket dialect keeps on a session's item: the server-assigned
audio sequence of chunks that carry none, and the speaker's mute state (``muted``), whose
change the session stream tells listeners (docs/websocket-protocol.md#the-legacy-dialect)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from babelcast.errors import NotSpeaker, SessionEnded, SessionNotFound
from babelcast.integration.aws import DynamoTable, aws_call, is_condition_failure
from babelcast.integration.session_items import correlation_value
from babelcast.legacy.dialect import MUTED_ATTRIBUTE
from babelcast.models import SessionStatus

DEPENDENCY = "dynamodb"
COUNTER = "legacyAudioSeq"
MAX_ATTEMPTS = 4


def _rejection(old: Any, session_id: str, speaker_id: str) -> Exception:
    if not old:
        return SessionNotFound(session_id)
    if old.get("speakerId", {}).get("S") != speaker_id:
        return NotSpeaker()
    return SessionEnded()


class LegacySessionState(DynamoTable):
    """The sessions table, for the legacy dialect's two attributes."""

    def next_audio_sequence(self, session_id: str, speaker_id: str) -> int:
        """The next sequence for a chunk sent without one, in arrival order: an atomic counter, so
        two chunks never share a number (a retried write only skips one, which the audio ledger
        records as a gap). Kept above the newest sequence accepted (``audioSeq``), so a session
        whose speaker also sent numbered chunks still takes the legacy ones as new."""
        step = 1
        sequence = 0
        for _ in range(MAX_ATTEMPTS):
            try:
                with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                    item: Any = self.client.update_item(
                        TableName=self.table_name,
                        Key={"sessionId": {"S": session_id}},
                        UpdateExpression="ADD #counter :step",
                        ConditionExpression="attribute_exists(sessionId) AND speakerId = :speaker",
                        ExpressionAttributeNames={"#counter": COUNTER},
                        ExpressionAttributeValues={":step": {"N": str(step)}, ":speaker": {"S": speaker_id}},
                        ReturnValues="ALL_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )["Attributes"]
            except ClientError as error:
                raise _rejection(error.response.get("Item"), session_id, speaker_id) from None
            sequence = int(item[COUNTER]["N"])
            newest = int(item["audioSeq"]["N"]) if "audioSeq" in item else -1
            if sequence > newest:
                return sequence
            step = newest - sequence + 1  # numbered chunks went further: jump past them
        return sequence

    def set_muted(self, session_id: str, speaker_id: str, muted: bool) -> None:
        """The owner's mute state, on a session not ended. Setting it again changes nothing a
        listener sees (the stream's consumer compares old and new)."""
        try:
            with aws_call(DEPENDENCY, "UpdateItem", passthrough=is_condition_failure):
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"sessionId": {"S": session_id}},
                    UpdateExpression="SET #muted = :muted, correlationId = :correlation",
                    ConditionExpression="attribute_exists(sessionId) AND speakerId = :speaker AND #status <> :ended",
                    ExpressionAttributeNames={"#muted": MUTED_ATTRIBUTE, "#status": "status"},
                    ExpressionAttributeValues={
                        ":muted": {"BOOL": muted},
                        ":speaker": {"S": speaker_id},
                        ":ended": {"S": SessionStatus.ENDED.value},
                        ":correlation": correlation_value(),
                    },
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            raise _rejection(error.response.get("Item"), session_id, speaker_id) from None

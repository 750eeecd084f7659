"""An answer encoded once (shared.idempotency.answer_text) is remembered with its key and sent
as the reply: the reply must be byte for byte what JSONResponse writes of the answer."""

from __future__ import annotations

import json
from uuid import UUID, uuid4

from shared.http import stored_answer
from shared.idempotency import Claim, answer_text, ids_in_text

ANSWER = {
    "arrival_id": str(uuid4()),
    "person_ids": [str(uuid4()), str(uuid4())],
    "correlation_id": "c-1",
    "possible_duplicates": [],
    "not_informed": [{"person_id": str(uuid4()), "detail": "Юлия — «aid» was not asked"}],
}


def test_an_answer_sent_as_its_text_has_the_bytes_and_headers_of_a_json_response() -> None:
    for status, replayed in ((201, False), (201, True), (422, False)):
        encoded = stored_answer(status, ANSWER, replayed=replayed, text=answer_text(ANSWER))
        rendered = stored_answer(status, ANSWER, replayed=replayed)
        assert encoded.body == rendered.body
        assert encoded.status_code == rendered.status_code == status
        assert encoded.raw_headers == rendered.raw_headers


def test_the_remembered_answer_carries_the_same_ids_whether_found_in_its_text_or_encoded() -> None:
    def carried(answer: object) -> list[UUID]:
        return ids_in_text(json.dumps(answer))

    by_answer = Claim("client", "key", "f", carried).answer(201, ANSWER)
    by_text = Claim("client", "key", "f", carried, ids_in_text).answer(201, ANSWER)
    assert by_answer.args[4] == by_text.args[4] and len(by_text.args[4]) == 4
    assert json.loads(by_text.args[3]) == ANSWER

"""console.sources.api: the inference API as the Predict page calls it, against a local stand-in."""

from __future__ import annotations

import json
import shlex

import pytest

from console.sources import api
from local_cloud.controller import free_port
from tests.support.console import fake_api


def test_a_prediction_and_a_problem_come_back_as_the_api_wrote_them(json_server):
    base = json_server(fake_api(version="3")).url + "/stage"
    answer = api.predict(base, api.review_body("A good read", overall=5, summary=""))
    assert answer.ok and answer.body["model"]["version"] == "3" and answer.body["label"] == "positive"
    assert answer.elapsed_ms > 0
    refused = api.predict(base, {"reviewText": ""})
    assert (refused.ok, refused.status) == (False, 422)
    assert refused.body["errors"][0]["field"] == "reviewText"


def test_the_form_sends_only_what_was_given(json_server):
    server = json_server(fake_api())
    api.predict(server.url + "/stage", api.review_body("Dull", overall=None, summary=""))
    api.predict(server.url + "/stage", api.review_body("Dull", overall=2, summary="Meh"))
    sent = [json.loads(body) for _, _, body in server.requests]
    assert sent == [{"reviewText": "Dull"}, {"reviewText": "Dull", "overall": 2.0, "summary": "Meh"}]


def test_a_batch_is_sent_in_chunks_the_api_accepts_and_each_row_keeps_its_answer(json_server):
    server = json_server(fake_api(version="4"))
    reviews = [{"reviewText": f"good {i}"} for i in range(230)] + [{"reviewText": ""}]
    answers = api.batch_predict(server.url + "/stage", reviews)
    assert [len(json.loads(body)["reviews"]) for _, _, body in server.requests] == [100, 100, 31]
    rows = api.batch_rows(reviews, answers)
    assert len(rows) == 231 and rows[0]["label"] == "positive" and rows[0]["model_version"] == "4"
    assert rows[-1]["label"] is None and "reviews.30.reviewText" in rows[-1]["error"]


def test_nothing_listening_is_one_clear_error():
    with pytest.raises(api.ApiUnreachable, match=r"127\.0\.0\.1:\d+/predict"):
        api.predict(f"http://127.0.0.1:{free_port()}", {"reviewText": "x"})


def test_the_curl_command_sends_the_same_body():
    body = {"reviewText": "It's \"great\"; isn't it?", "overall": 5.0}
    words = shlex.split(api.curl_for("http://h/stage/", "/predict", body))
    assert words[:4] == ["curl", "-s", "-X", "POST"] and words[4] == "http://h/stage/predict"
    assert json.loads(words[words.index("-d") + 1]) == body


def test_a_kaggle_csv_keeps_the_apis_fields_and_reads_rating_as_overall():
    data = (
        b"Unnamed: 0,asin,helpful,rating,reviewText,reviewTime,summary,unixReviewTime\n"
        b'0,B000F83SZQ,"[0, 0]",5,Loved it,"05 5, 2014",,1399248000\n'
    )
    reviews, notes = api.parse_upload(data, "kindle.csv")
    assert reviews == [
        {
            "asin": "B000F83SZQ",
            "helpful": [0, 0],
            "overall": 5.0,
            "reviewText": "Loved it",
            "reviewTime": "05 5, 2014",
            "unixReviewTime": 1399248000,
        }
    ]
    assert any("Unnamed: 0" in note for note in notes)


def test_json_lines_are_read_as_they_are():
    data = b'{"reviewText": "Fine", "overall": 4}\n\n{"reviewText": "Bad", "stars": 1}\n'
    reviews, notes = api.parse_upload(data, "reviews.jsonl")
    assert reviews == [{"reviewText": "Fine", "overall": 4}, {"reviewText": "Bad"}]
    assert "stars" in notes[-1]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xff\xfe broken", "reviews.csv", "not UTF-8"),
        (b"text,stars\nhello,5\n", "reviews.csv", "no reviewText column"),
        (b'{"reviewText": "ok"}\nnot json\n', "reviews.jsonl", "line 2: not JSON"),
        (b'["a list"]\n', "reviews.jsonl", "line 1: a JSON object per line"),
    ],
)
def test_a_file_that_cannot_be_read_says_what_to_fix(data, name, message):
    with pytest.raises(api.UploadError, match=message):
        api.parse_upload(data, name)

import pytest

from agent_threads.redact import MASK, mask, mask_secrets


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("GET /x?AccessKeyId=LTAIabcdefgh1234&b=1", f"GET /x?AccessKeyId={MASK}&b=1"),
        ("jdbc:mysql://h/db?password=hunter22", f"jdbc:mysql://h/db?password={MASK}"),
        ('{"api_key": "abcd1234efgh"}', f'{{"api_key": "{MASK}"}}'),
        ('{"Password":"s3cr3t!!"}', f'{{"Password":"{MASK}"}}'),
        ("Authorization: Bearer eyJhbGciOi.xyz", f"Authorization: Bearer {MASK}"),
        ("authorization: BEARER abcdefgh1234", f"authorization: BEARER {MASK}"),
        ("the key LTAI5tAbCdEfGhIjKlMn leaked", f"the key LTAI{MASK} leaked"),
        ("tencent AKIDabcdefghijklmnop1234 here", f"tencent AKID{MASK} here"),
        ("openai sk-abcdefghijklmnop1234", f"openai sk-a{MASK}"),
    ],
)
def test_mask_hides_each_kind_of_secret(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    ["", "plain words, no secrets", "key=abc (too short)", '"token": "ab"', "a = b; x == y", "查询 token 失败"],
)
def test_mask_leaves_ordinary_text_alone(text: str) -> None:
    assert mask(text) == text


def test_mask_secrets_removes_configured_values_only_when_long_enough() -> None:
    assert mask_secrets("id abcd, secret s3cr3tvalue", ("s3cr3tvalue", "abcd")) == f"id {MASK}, secret {MASK}"
    assert mask_secrets("id abc", ("abc",)) == "id abc"  # under 4 characters: too common to be told apart

"""Column roles applied one by one on hand-computed cases: format-preserving masks."""

from __future__ import annotations

import pandas as pd
import pytest

from deidflow.tabular.roles import mask


@pytest.mark.parametrize("value, options, expected", [
    ("123-45-6789", {"keep_last": 4}, "***-**-6789"),
    ("123-45-6789", {"keep_last": 4, "keep_separators": False}, "*******6789"),
    ("+1 (555) 010-0199", {"keep_last": 2}, "+* (***) ***-**99"),
    ("AB 12 34 56 C", {"keep_last": 1, "keep_first": 2}, "AB ** ** ** C"),
    ("4111 1111 1111 1234", {"keep_last": 4, "keep_first": 0, "char": "X"}, "XXXX XXXX XXXX 1234"),
    ("jo.doe@example.org", {"keep_last": 0, "keep_first": 1}, "j*.***@*******.***"),
    ("1234", {"keep_last": 4}, "****"),  # nothing would be masked: masked whole
    ("12", {"keep_last": 1, "keep_first": 1}, "**"),
])
def test_masks_keep_the_format(value, options, expected):
    out = mask(pd.Series([value, None]), options.get("keep_last", 4), options.get("keep_first", 0),
               options.get("char", "*"), options.get("keep_separators", True))
    assert out[0] == expected and pd.isna(out[1])

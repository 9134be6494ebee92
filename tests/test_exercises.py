import torch

from dwconv_utils.exercises import NOT_ANSWERED, check


def test_unanswered_questions_say_so(capsys):
    assert check(..., 5) is False
    assert check(None, 5) is False
    assert capsys.readouterr().out == f"{NOT_ANSWERED}\n{NOT_ANSWERED}\n"


def test_numbers_compare_with_a_small_tolerance(capsys):
    assert check(2336, 32 * 9 + 32 * 64)
    assert check(0.1 + 0.2, 0.3)
    assert not check(2335, 2336, hint="count the depthwise weights too")
    assert not check(True, 1)  # True is not an answer to "how many"
    assert capsys.readouterr().out.splitlines() == [
        "Right!", "Right!", "Not yet. count the depthwise weights too", "Not yet."]


def test_tensors_must_have_the_right_shape_and_values():
    expected = torch.tensor([[1.0, 1.0, 1.0]])
    assert check([[1, 1, 1]], expected)
    assert not check([1, 1, 1], expected)
    assert not check([[1, 1, 0]], expected)
    assert not check("ones", expected)


def test_a_predicate_accepts_any_right_answer_and_survives_bad_ones(capsys):
    is_even = lambda answer: answer % 2 == 0  # noqa: E731
    assert check(4, is_even) and check(6, is_even)
    assert not check("four", is_even)
    assert "TypeError" in capsys.readouterr().out.splitlines()[-1]

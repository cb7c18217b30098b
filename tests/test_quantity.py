"""Kubernetes resource quantities: examples, rejects and properties of `kgov.model.quantity`.

What counts as a quantity follows k8s.io/apimachinery `resource.Quantity`. A manifest value goes
through `Quantity.UnmarshalJSON`, which trims surrounding whitespace before `ParseQuantity` (see
`TestJSONWhitespace` in apimachinery's quantity_test.go), so `" 1Gi "` in a manifest is accepted by
the API server even though `ParseQuantity(" 1")` alone is an error.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kgov.model.quantity import QuantityError, format_quantity, parse_quantity

# ---- examples -------------------------------------------------------------------------------------

EXAMPLES = [
    ("500m", Decimal("0.5")),
    ("0.5", Decimal("0.5")),
    ("1Gi", Decimal(1073741824)),
    ("1e3", Decimal(1000)),
    ("1E3", Decimal(1000)),
    ("1e+3", Decimal(1000)),
    ("1E-3", Decimal("0.001")),
    (".5", Decimal("0.5")),
    ("1.", Decimal(1)),
    ("1.G", Decimal(10**9)),
    ("+1", Decimal(1)),
    ("-1", Decimal(-1)),
    ("1.5Gi", Decimal(1610612736)),
    ("100n", Decimal("0.0000001")),
    ("4u", Decimal("0.000004")),
    ("12345678901234567890", Decimal(12345678901234567890)),
    ("1Ki", Decimal(1024)),
    ("1k", Decimal(1000)),
    ("1M", Decimal(10**6)),
    ("1Mi", Decimal(2**20)),
    ("1E", Decimal(10**18)),  # a bare E is the exa suffix, not an exponent
    ("3Ei", Decimal(3 * 2**60)),
    ("100.035k", Decimal(100035)),
    ("0.05Gi", Decimal("53687091.2")),
    ("0", Decimal(0)),
    ("0Gi", Decimal(0)),
    # YAML numbers arrive as int / float
    (2, Decimal(2)),
    (0.1, Decimal("0.1")),
    (1.5, Decimal("1.5")),
]


@pytest.mark.parametrize(("text", "expected"), EXAMPLES)
def test_examples(text: object, expected: Decimal) -> None:
    assert parse_quantity(text) == expected


def test_500m_equals_half() -> None:
    assert parse_quantity("500m") == parse_quantity("0.5") == parse_quantity(0.5)


def test_binary_and_decimal_suffixes_differ() -> None:
    assert parse_quantity("1Ki") == 1024
    assert parse_quantity("1k") == 1000
    assert parse_quantity("1Ki") > parse_quantity("1k")
    assert parse_quantity("1Mi") > parse_quantity("1M")


def test_big_integers_are_exact() -> None:
    assert parse_quantity("12345678901234567890") == Decimal("12345678901234567890")
    assert parse_quantity("12345678901234567891") != parse_quantity("12345678901234567890")


@pytest.mark.parametrize("text", [" 1Gi", "1Gi ", "\t500m\n"])
def test_surrounding_whitespace_is_trimmed_like_unmarshal_json(text: str) -> None:
    # apimachinery's ParseQuantity rejects " 1"/"1 ", but a manifest value is decoded by
    # Quantity.UnmarshalJSON, which applies strings.TrimSpace first: the API server accepts it.
    assert parse_quantity(text) == parse_quantity(text.strip())


# ---- rejects --------------------------------------------------------------------------------------

REJECTS: list[object] = [
    "lots",
    "1.2.3",
    "1.1.M",
    "1+1.0M",
    "Gi",  # NB: apimachinery's ParseQuantity takes a bare suffix as 0 (apimachinery#165); kgov rejects
    "1 Gi",
    "1Gi Gi",
    "",
    "   ",
    ".",
    "1i",
    "0.1mi",
    "0.1am",
    "-3.01e-",
    "1e",
    "1EE",
    "1Gb",
    "1GiB",
    "0x10",
    "1_000",
    "NaN",
    "Infinity",
    "inf",
    "--1",
    True,
    False,
    None,
    [],
    ["1"],
    {},
    {"cpu": "1"},
]


@pytest.mark.parametrize("value", REJECTS, ids=repr)
def test_rejects(value: object) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(value)


def test_quantity_error_is_a_value_error() -> None:
    # pydantic turns ValueError raised by a validator into a validation error (an input error).
    assert issubclass(QuantityError, ValueError)


def test_reject_message_names_the_value() -> None:
    with pytest.raises(QuantityError, match="lots"):
        parse_quantity("lots")


@pytest.mark.parametrize("text", ["١٢٣", "１Gi", "5\u0660m"])
def test_non_ascii_digits_are_rejected(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")], ids=repr)
def test_non_finite_floats_are_rejected(value: float) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(value)


@pytest.mark.parametrize("text", ["1e1000000", "9" * 70 + "e999990"])
def test_huge_exponent_is_a_quantity_error(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


def test_tiny_exponent_is_a_quantity_error() -> None:
    with pytest.raises(QuantityError):
        parse_quantity("1e-99999999999999999999")


# ---- properties -----------------------------------------------------------------------------------

BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def multiplier(suffix: str) -> Fraction:
    """The value of one unit of `suffix`, computed independently of the code under test."""
    if suffix in BINARY:
        return Fraction(1024) ** BINARY[suffix]
    if suffix in DECIMAL:
        return Fraction(10) ** DECIMAL[suffix]
    assert suffix[0] in "eE"
    return Fraction(10) ** int(suffix[1:])


exponents = st.integers(min_value=-12, max_value=21).flatmap(
    lambda e: st.sampled_from([f"e{e}", f"E{e}", f"e{e:+d}", f"E{e:+d}"])
)
suffixes = st.one_of(st.sampled_from([*BINARY, *DECIMAL]), exponents)
# Realistic magnitudes: up to 18 integer digits and 9 decimal places, either sign.
numbers = st.decimals(
    min_value=Decimal("-1e18"), max_value=Decimal("1e18"), places=9, allow_nan=False, allow_infinity=False
)


def spell(number: Decimal) -> str:
    """A plain (never scientific) spelling of a decimal, as the quantity grammar wants."""
    return format(number, "f")


@given(numbers, suffixes)
@example(Decimal("1.5"), "Gi")
@example(Decimal("0.000000001"), "n")
@example(Decimal(-7), "Ei")
@example(Decimal(0), "E-3")
def test_round_trip_is_exact(number: Decimal, suffix: str) -> None:
    parsed = parse_quantity(f"{spell(number)}{suffix}")
    assert Fraction(parsed) == Fraction(number) * multiplier(suffix)


@given(numbers, suffixes)
def test_plus_sign_and_surrounding_spaces_do_not_change_the_value(number: Decimal, suffix: str) -> None:
    text = f"{spell(abs(number))}{suffix}"
    assert parse_quantity(f"+{text}") == parse_quantity(text)
    assert parse_quantity(f" {text}\t") == parse_quantity(text)
    assert parse_quantity(f"-{text}") == parse_quantity(text).copy_negate()  # exact, unlike unary minus


@given(numbers, suffixes, numbers, suffixes)
@example(Decimal(1), "Ki", Decimal(1), "k")
@example(Decimal(1000), "Ki", Decimal("1.024"), "M")
@example(Decimal(1), "Mi", Decimal("1.048576"), "M")
@example(Decimal(1), "Gi", Decimal("1073741824"), "")
def test_order_is_preserved_across_suffixes(a: Decimal, sa: str, b: Decimal, sb: str) -> None:
    left, right = parse_quantity(f"{spell(a)}{sa}"), parse_quantity(f"{spell(b)}{sb}")
    exact_left, exact_right = Fraction(a) * multiplier(sa), Fraction(b) * multiplier(sb)
    assert (left < right) == (exact_left < exact_right)
    assert (left == right) == (exact_left == exact_right)
    assert (left > right) == (exact_left > exact_right)


@given(st.integers(min_value=0, max_value=2**40), st.integers(min_value=0, max_value=2**40))
def test_ki_against_k(a: int, b: int) -> None:
    assert (parse_quantity(f"{a}Ki") < parse_quantity(f"{b}k")) == (a * 1024 < b * 1000)
    assert (parse_quantity(f"{a}Ki") == parse_quantity(f"{b}k")) == (a * 1024 == b * 1000)


# Values a manifest really holds: cpu down to the nanocore, memory up to the 2^63-1 cap that
# apimachinery applies to binary quantities.
cpu_values = st.decimals(min_value=0, max_value=Decimal(10**6), places=9)
memory_values = st.one_of(
    st.integers(min_value=0, max_value=2**63 - 1).map(Decimal),
    st.tuples(st.integers(min_value=0, max_value=2**20), st.sampled_from(list(BINARY.values()))).map(
        lambda t: Decimal(t[0] * 1024 ** t[1]) if t[0] * 1024 ** t[1] < 2**63 else Decimal(t[0])
    ),
    st.decimals(min_value=0, max_value=Decimal(10**6), places=3),
)


def quantity_texts(values: st.SearchStrategy[Decimal]) -> st.SearchStrategy[str]:
    """Spell a value with some suffix that represents it exactly."""

    def spellings(value: Decimal) -> st.SearchStrategy[str]:
        options = [spell(value), f"{spell(value * 1000)}m", f"{spell(value * 10**9)}n"]
        for suffix, power in BINARY.items():
            unit = 1024**power
            if value % unit == 0:
                options.append(f"{spell(value / unit)}{suffix}")
        if value % 1000 == 0:
            options.append(f"{spell(value / 1000)}k")
        return st.sampled_from(options)

    return values.flatmap(spellings)


@given(quantity_texts(cpu_values))
@example("500m")
@example("0.5")
@example("1")
@example("1500m")
@example("100n")
@example("2.000")
def test_format_cpu_reparses_to_the_same_value(text: str) -> None:
    value = parse_quantity(text)
    assert parse_quantity(format_quantity(value, "cpu")) == value


@given(quantity_texts(memory_values))
@example("1Gi")
@example("1536Mi")
@example("1.5Gi")
@example("1000")
@example("1e3")
@example("0.5")
@example("9223372036854775807")
def test_format_memory_reparses_to_the_same_value(text: str) -> None:
    value = parse_quantity(text)
    assert parse_quantity(format_quantity(value, "memory")) == value


@pytest.mark.parametrize(
    ("value", "resource", "expected"),
    [
        (Decimal("0.5"), "cpu", "500m"),
        (Decimal("1.5"), "cpu", "1500m"),
        (Decimal(2), "cpu", "2"),
        (Decimal(1073741824), "memory", "1Gi"),
        (Decimal(1610612736), "memory", "1536Mi"),
        (Decimal(1000), "memory", "1000"),
    ],
)
def test_format_examples(value: Decimal, resource: str, expected: str) -> None:
    assert format_quantity(value, resource) == expected


@pytest.mark.parametrize(
    ("text", "resource"),
    [
        ("1e50", "memory"),
        ("12345678901234567890123456789", "cpu"),
        ("123456789012345678901234567891", "memory"),
    ],
)
def test_format_huge_values_reparse_to_the_same_value(text: str, resource: str) -> None:
    value = parse_quantity(text)
    assert parse_quantity(format_quantity(value, resource)) == value

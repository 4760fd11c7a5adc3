"""Author names split into family and given names, and group authors told from people."""

from __future__ import annotations

import pytest

from generator.names import Name, is_group, parse_name


@pytest.mark.parametrize(
    "name, family, given",
    [
        ("Haoyu Zhen", "Zhen", "Haoyu"),
        ("Bill Yuchen Lin", "Lin", "Bill Yuchen"),
        ("Cees G. M. Snoek", "Snoek", "Cees G. M."),
        ("K. Madhava Krishna", "Krishna", "K. Madhava"),  # initials first: no double family name
        ("Hado van Hasselt", "van Hasselt", "Hado"),
        ("Patrick van der Smagt", "van der Smagt", "Patrick"),
        ("Luc Van Gool", "Van Gool", "Luc"),
        ("Ronan Le Bras", "Le Bras", "Ronan"),
        ("Guido Maria D'Amely di Melendugno", "D'Amely di Melendugno", "Guido Maria"),
        ("Victor M. Darriba Bilbao", "Darriba Bilbao", "Victor M."),
        ("Jiajia wu", "wu", "Jiajia"),
        ("Prabhat", "Prabhat", ""),
        ("Edgar A. Duéñez-Guzmán", "Duéñez-Guzmán", "Edgar A."),
    ],
)
def test_family_name_by_rule(name, family, given):
    assert parse_name(name) == Name(family, given)


def test_the_lexicon_names_family_names_no_rule_sees():
    assert parse_name("Manuel Vilares Ferro") == Name("Ferro", "Manuel Vilares")
    assert parse_name("Manuel Vilares Ferro", family_names={"Vilares Ferro"}) == Name("Vilares Ferro", "Manuel")
    # A listed family name wins over the particle rule: "Van" is a middle name here.
    assert parse_name("Anh Van Nguyen", family_names={"Nguyen"}) == Name("Nguyen", "Anh Van")


def test_suffixes_stay_apart():
    assert parse_name("Martin Luther King Jr.") == Name("King", "Martin Luther", "Jr.")


def test_groups_by_organisational_word_or_lexicon():
    assert is_group("Open-Ended Learning Team")
    assert is_group("Open X-Embodiment Collaboration")
    assert is_group("The ALICE Consortium")
    assert is_group("Allen Institute for AI")
    assert not is_group("Team")  # one word: a name like any other
    assert not is_group("OpenAI") and is_group("OpenAI", groups={"OpenAI"})
    assert not is_group("Teamy McTeam")
    assert parse_name("Open-Ended Learning Team") == Name("Open-Ended Learning Team", group=True)


def test_a_name_with_a_comma_is_kept_as_written():
    assert parse_name("Smith, John & Co") == Name("Smith, John & Co", parsed=False)

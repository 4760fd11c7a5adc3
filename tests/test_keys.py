"""Citation keys: Scholar-style, ASCII, unique with suffixes, frozen once assigned."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.errors import AtlasError
from generator.ingest.keys import KeyAllocator, assign_missing_keys, derive_key, rederive_all_keys
from generator.model import Paper

KEY_SHAPE = re.compile(r"^[a-z][a-z0-9]*$")

VLA_TITLE = "3D-VLA: A 3D Vision-Language-Action Generative World Model"
VLA_AUTHORS = ["Haoyu Zhen", "Xiaowen Qiu", "Peihao Chen"]


def paper(id: str, title: str, authors=(), date=None, bibtex_key="placeholder") -> Paper:
    return Paper(
        id=id,
        title=title,
        authors=list(authors),
        date=date,
        topics=["vla-models"],
        tldr="One line.",
        abstract="An abstract.",
        bibtex_key=bibtex_key,
    )


def test_key_is_family_name_year_first_title_word():
    assert derive_key(VLA_TITLE, VLA_AUTHORS, "2024-03-14") == "zhen20243dvla"
    assert derive_key("OpenVLA: An Open-Source Vision-Language-Action Model", ["Moo Jin Kim"], "2024-06") == (
        "kim2024openvla"
    )


def test_key_skips_stop_words():
    assert derive_key("A Survey on Vision-Language-Action Models", ["Yueen Ma"], "2024-05-22") == "ma2024survey"
    assert derive_key("Towards the Generalist Robot", ["Ann Lee"], "2023-01") == "lee2023generalist"
    assert derive_key("On the Use of Maps", ["Ann Lee"], "2023-01") == "lee2023use"


def test_key_folds_names_to_ascii():
    assert derive_key("Planning with Maps", ["Łukasz Kuciński"], "2021-02") == "kucinski2021planning"
    assert derive_key("Planning with Maps", ["Hans Müller"], "2021-02") == "muller2021planning"
    assert derive_key("Planning with Maps", ["Jürgen Straße"], None) == "strasseplanning"
    assert derive_key("Planning with Maps", ["张伟"], "2021") == "zhangwei2021planning"


def test_key_family_name_handles_comma_form_and_suffixes():
    assert derive_key("Dreams", ["King, Martin"], "1963") == "king1963dreams"
    assert derive_key("Dreams", ["Martin Luther King Jr."], "1963") == "king1963dreams"


def test_a_group_author_gives_its_first_word_not_team():
    title = "Open-Ended Learning Leads to Generally Capable Agents"
    assert derive_key(title, ["Open-Ended Learning Team", "Adam Stooke"], "2021-07") == "openended2021openended"
    assert derive_key("Scaling Robot Data", ["Open X-Embodiment Collaboration"], "2023") == "open2023scaling"
    assert derive_key("Scaling Robot Data", ["Allen Institute for AI"], "2023") == "allen2023scaling"
    # A group the lexicon lists (bibtex: groups:), with no organisational word in its name.
    assert derive_key("GPT-4 Technical Report", ["OpenAI"], "2023", groups=["OpenAI"]) == "openai2023gpt4"
    assert derive_key("Gemini Robotics", ["Gemini Robotics Team"], "2025") == "gemini2025gemini"
    # A person is still keyed by the last word of the name.
    assert derive_key("Dreams", ["Teamy McTeam"], "1963") == "mcteam1963dreams"


def test_key_without_year_leaves_it_out():
    assert derive_key(VLA_TITLE, VLA_AUTHORS, None) == "zhen3dvla"


def test_key_without_authors_uses_two_title_words():
    assert derive_key("A Survey on Vision-Language-Action Models", [], "2024-05") == "survey2024visionlanguageaction"
    assert derive_key("A Survey on Vision-Language-Action Models", [], None) == "surveyvisionlanguageaction"
    # The first word must start with a letter: 3dvla is passed over.
    assert derive_key(VLA_TITLE, [], "2024") == "visionlanguageaction2024generative"


def test_key_for_title_without_words_still_has_the_shape():
    key = derive_key("🙂 ??? 🙂", [], "2024-01")
    assert KEY_SHAPE.match(key) and key.startswith("paper2024")
    key = derive_key("!!!", ["Ann Lee"], None)
    assert key == "lee"


def test_keys_fit_in_40_characters():
    key = derive_key(
        "Supercalifragilisticexpialidociousnessification of Everything",
        ["Hubert Wolfeschlegelsteinhausenbergerdorff"],
        "2024-01-01",
    )
    assert len(key) <= 40 and KEY_SHAPE.match(key)
    taken = {key}
    second = derive_key(
        "Supercalifragilisticexpialidociousnessification of Everything",
        ["Hubert Wolfeschlegelsteinhausenbergerdorff"],
        "2024-01-01",
        taken,
    )
    assert len(second) <= 40 and second != key and second.endswith("b")


def test_collisions_get_letter_suffixes_from_b():
    taken: set[str] = set()
    keys = []
    for _ in range(4):
        key = derive_key("VLA Everywhere", ["Haoyu Zhen"], "2024-01", taken)
        taken.add(key)
        keys.append(key)
    assert keys == ["zhen2024vla", "zhen2024vlab", "zhen2024vlac", "zhen2024vlad"]


def test_suffixes_continue_past_z():
    taken = {"zhen2024vla"} | {"zhen2024vla" + chr(c) for c in range(ord("b"), ord("z") + 1)}
    assert derive_key("VLA", ["Haoyu Zhen"], "2024", taken) == "zhen2024vlaaa"


def test_derive_key_does_not_modify_taken():
    taken = {"zhen2024vla"}
    derive_key("VLA", ["Haoyu Zhen"], "2024", taken)
    assert taken == {"zhen2024vla"}


def test_assign_missing_keys_never_changes_existing_keys():
    papers = [
        paper("kept", "VLA Everywhere", ["Haoyu Zhen"], "2024-02", bibtex_key="zhen2024vla"),
        paper("odd-key", "Something Else", ["Ann Lee"], "2020-01", bibtex_key="mycustomkey"),
        {"id": "new-one", "title": "VLA Everywhere Again", "authors": ["Haoyu Zhen"], "date": "2024-05"},
        {"id": "new-two", "title": "Untitled Thoughts", "authors": [], "bibtex_key": ""},
    ]
    assigned = assign_missing_keys(papers)
    assert assigned == {"new-one": "zhen2024vlab", "new-two": "untitledthoughts"}
    assert papers[0].bibtex_key == "zhen2024vla" and papers[1].bibtex_key == "mycustomkey"
    assert "bibtex_key" not in papers[2]


def test_assign_missing_keys_respects_reserved_keys():
    papers = [{"id": "p", "title": "VLA", "authors": ["Haoyu Zhen"], "date": "2024"}]
    assert assign_missing_keys(papers, taken={"zhen2024vla"}) == {"p": "zhen2024vlab"}


def test_assign_missing_keys_refuses_shared_existing_keys():
    papers = [
        paper("one", "VLA", bibtex_key="same"),
        paper("two", "Other", bibtex_key="same"),
    ]
    with pytest.raises(AtlasError, match="'one' and 'two' share the bibtex_key 'same'"):
        assign_missing_keys(papers)


def test_collision_suffixes_follow_date_then_id_not_list_order():
    papers = [
        paper("late", "VLA Everywhere", ["Haoyu Zhen"], "2024-09"),
        paper("early", "VLA Everywhere", ["Haoyu Zhen"], "2024-01"),
        paper("middle-b", "VLA Everywhere", ["Haoyu Zhen"], "2024-05"),
        paper("middle-a", "VLA Everywhere", ["Haoyu Zhen"], "2024-05"),
        paper("undated", "VLA Everywhere", ["Haoyu Zhen"], None),
    ]
    expected = {
        "early": "zhen2024vla",
        "middle-a": "zhen2024vlab",
        "middle-b": "zhen2024vlac",
        "late": "zhen2024vlad",
        "undated": "zhenvla",
    }
    for seed in range(5):
        shuffled = papers[:]
        random.Random(seed).shuffle(shuffled)
        assert rederive_all_keys(shuffled) == expected


def test_rederive_ignores_existing_keys():
    papers = [paper("p", VLA_TITLE, VLA_AUTHORS, "2024-03-14", bibtex_key="legacykey")]
    assert rederive_all_keys(papers) == {"p": "zhen20243dvla"}


def test_key_of_a_paper_does_not_depend_on_unrelated_papers():
    target = paper("target", VLA_TITLE, VLA_AUTHORS, "2024-03-14")
    others = [paper(f"other-{i}", f"Robot Study Number {i}", [f"Author{i} Person{i}"], "2023-01") for i in range(20)]
    for seed in range(5):
        mixed = others + [target]
        random.Random(seed).shuffle(mixed)
        assert rederive_all_keys(mixed)["target"] == "zhen20243dvla"


names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(title=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120),
       authors=st.lists(names, max_size=3),
       year=st.one_of(st.none(), st.integers(1000, 2999)),
       taken=st.sets(st.from_regex(KEY_SHAPE, fullmatch=True).filter(lambda k: len(k) <= 40), max_size=5))
def test_any_title_and_authors_give_a_valid_fresh_key(title, authors, year, taken):
    date = None if year is None else f"{year}-01-01"
    key = derive_key(title, authors, date, taken)
    assert KEY_SHAPE.match(key) and len(key) <= 40
    assert key not in taken


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(
        st.sampled_from(["Vision Language Action", "Vision Language", "Survey of Agents", "A Survey", "VLA"])
        | st.text(min_size=1, max_size=30),
        min_size=1,
        max_size=80,
    ),
    reserved=st.lists(
        st.sampled_from(["visionlanguage", "visionlanguageb", "visionlanguaged", "survey2024agents", "vla", "vlac"]),
        max_size=4,
    ),
)
def test_allocator_gives_the_keys_derive_key_gives_one_paper_at_a_time(titles, reserved):
    # The allocator skips suffixes it knows are taken; the result must not depend on that.
    allocator = KeyAllocator(reserved)
    taken = set(reserved)
    for i, title in enumerate(titles):
        date = ("2024-01", None)[i % 2]
        expected = derive_key(title, [], date, taken)
        assert allocator.new_key(title, [], date) == expected
        taken.add(expected)
    assert allocator.taken == taken


def test_allocator_reaches_double_letter_suffixes_in_order():
    allocator = KeyAllocator()
    keys = [allocator.new_key("Planning with Maps", ["Ann Lee"], "2023") for _ in range(30)]
    assert keys[:3] == ["lee2023planning", "lee2023planningb", "lee2023planningc"]
    assert keys[25:28] == ["lee2023planningz", "lee2023planningaa", "lee2023planningab"]
    assert len(set(keys)) == 30


def test_a_peeked_key_is_not_taken_until_reserved():
    allocator = KeyAllocator()
    base = "lee2023planning"
    assert allocator.peek(base) == allocator.peek(base) == base
    allocator.reserve(base)
    assert allocator.peek(base) == base + "b"
    assert allocator.allocate(base) == base + "b"
    assert allocator.allocate(base) == base + "c"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_folding_is_what_slugify_gives(text):
    from slugify import slugify

    from generator.ingest.keys import _fold

    assert _fold(text) == slugify(text, separator="", entities=False, decimal=False, hexadecimal=False)

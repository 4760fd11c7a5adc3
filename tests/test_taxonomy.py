"""Topic assignment and tags: the phrase rules on small excerpts, then on the real listings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from generator import store
from generator.ingest.listings import read_listing
from generator.model import TAGS, Topic
from generator.ingest.taxonomy import assign_tags, assign_topics, parse_phrase, score_topics
from generator.text import normalise_title

LISTINGS = Path(__file__).parent.parent / "listings"
TAXONOMY = store.load(Path(__file__).resolve().parent.parent / "papers.yaml").topics
SLUGS = [t.slug for t in TAXONOMY]


@pytest.fixture(scope="module")
def real_papers() -> list[tuple[str, str]]:
    """(title, abstract) of every paper in the real listings, first occurrence of each title."""
    seen: dict[str, tuple[str, str]] = {}
    for path in sorted(LISTINGS.glob("*.txt")):
        for entry in read_listing(path).entries:
            seen.setdefault(normalise_title(entry.title), (entry.title, entry.abstract))
    return list(seen.values())


def topic(slug: str, *phrases: str) -> Topic:
    return Topic(slug=slug, title=slug.title(), description=f"Papers about {slug}.", phrases=list(phrases))


# --- the shipped taxonomy on clear cases --------------------------------------------


def test_taxonomy_file_has_the_eleven_pages_in_order():
    assert SLUGS == [
        "vla-models",
        "robot-learning",
        "world-models",
        "gui-agents",
        "llm-agents",
        "embodied-agents",
        "reinforcement-learning",
        "action-recognition",
        "action-anticipation",
        "human-motion",
        "related-work",
    ]
    for t in TAXONOMY:
        assert 2 <= t.description.count(". ") + 1 <= 5, t.slug
        assert t.phrases, t.slug


def test_vla_paper_goes_to_vla_models():
    title = "RT-2: Vision-Language-Action Models Transfer Web Knowledge to Robotic Control"
    abstract = (
        "We study how vision-language models trained on Internet-scale data can be incorporated "
        "directly into end-to-end robotic control. We propose to co-fine-tune state-of-the-art "
        "vision-language models on both robotic trajectory data and Internet-scale vision-language "
        "tasks. We refer to such models as vision-language-action models (VLA)."
    )
    assert assign_topics(title, abstract, TAXONOMY)[0] == "vla-models"


def test_gui_agent_paper_goes_to_gui_agents_even_when_it_calls_itself_a_vla():
    title = "ShowUI: One Vision-Language-Action Model for GUI Visual Agent"
    abstract = (
        "Building Graphical User Interface (GUI) assistants holds significant promise. "
        "In this work, we develop a vision-language-action model in digital world, namely ShowUI. "
        "ShowUI achieves a strong accuracy in zero-shot screenshot grounding, and navigation "
        "experiments on web, mobile and online environments show its potential for GUI agents."
    )
    assert assign_topics(title, abstract, TAXONOMY)[:2] == ["gui-agents", "vla-models"]


def test_skeleton_action_recognition_paper_goes_to_action_recognition():
    title = "Balanced Representation Learning for Long-tailed Skeleton-based Action Recognition"
    abstract = (
        "Skeleton-based action recognition has recently made significant progress. However, data "
        "imbalance is still a great challenge in real-world scenarios. In this paper, we propose a "
        "novel balanced representation learning method to address the long-tailed problem in "
        "action recognition."
    )
    assert assign_topics(title, abstract, TAXONOMY) == ["action-recognition"]


def test_text_to_motion_paper_goes_to_human_motion():
    title = "MotionCLR: Motion Generation and Training-free Editing via Understanding Attention Mechanisms"
    abstract = (
        "This research delves into the problem of interactive editing of human motion generation. "
        "Previous motion diffusion models lack explicit modeling of the word-level text-motion "
        "correspondence. We propose an attention-based motion diffusion model, namely MotionCLR, "
        "which supports text-to-motion generation and versatile motion editing."
    )
    assert assign_topics(title, abstract, TAXONOMY)[0] == "human-motion"


def test_retrieval_paper_is_adjacent_work():
    title = "O1 Embedder: Let Retrievers Think Before Action"
    abstract = (
        "The growing power of large language models has revolutionized how people access "
        "information. We propose O1 Embedder, which generates useful thoughts for the input "
        "query before making retrieval for the target documents, improving dense retrieval."
    )
    assert assign_topics(title, abstract, TAXONOMY) == ["related-work"]


def test_web_navigation_is_gui_not_embodied_navigation():
    title = "LASER: LLM Agent with State-Space Exploration for Web Navigation"
    abstract = "We study web navigation on WebShop, where the agent must click through websites."
    topics = assign_topics(title, abstract, TAXONOMY)
    assert topics[0] == "gui-agents"
    assert "embodied-agents" not in topics


# --- the rules, on small taxonomies ----------------------------------------------------


def test_phrase_in_title_outweighs_the_same_phrase_in_the_abstract():
    topics = [topic("robots", "robot*"), topic("videos", "video*")]
    abstract = "Robots, robotic arms and robotics: this abstract says robot three times."
    assert assign_topics("Learning from Video", abstract, topics)[0] == "videos"
    assert score_topics("Learning from Video", abstract, topics) == {"robots": 3, "videos": 4}


def test_ties_go_to_the_topic_listed_first():
    a, b = topic("alpha", "agent"), topic("beta", "agent")
    assert assign_topics("An agent", "", [a, b])[0] == "alpha"
    assert assign_topics("An agent", "", [b, a])[0] == "beta"


def test_strong_and_title_only_phrases():
    topics = [topic("plain", "benchmark"), topic("strong", "!bench"), topic("titles", "title:arena")]
    assert parse_phrase("title:!arena").weight == 3 and parse_phrase("title:!arena").title_only
    assert score_topics("", "A bench and a benchmark.", topics) == {"plain": 1, "strong": 3, "titles": 0}
    assert score_topics("The Arena", "An arena.", topics)["titles"] == 4


def test_matching_is_whole_words_case_insensitive_with_stems_and_hyphens():
    topics = [topic("gui", "GUI", "robot*", "vision-language-action")]
    assert score_topics("", "Guided by guidance, a grobot.", topics)["gui"] == 0
    assert score_topics("", "(GUI) robots; Robotics; non-GUI", topics)["gui"] == 4  # GUI twice, robot* twice
    assert score_topics("", "robots robotics robotic robot", topics)["gui"] == 3  # at most three per phrase
    assert score_topics("", "Vision Language Action models", topics)["gui"] == 1
    assert score_topics("", "vision-language-action models", topics)["gui"] == 1


def test_longest_overlapping_phrase_claims_the_text():
    topics = [topic("gui", "!web navigation"), topic("embodied", "navigation")]
    assert score_topics("", "web navigation", topics) == {"gui": 3, "embodied": 0}
    assert score_topics("", "indoor navigation", topics) == {"gui": 0, "embodied": 1}


def test_a_phrase_of_two_topics_counts_for_both():
    topics = [topic("a", "tool use"), topic("b", "!tool use")]
    assert score_topics("Tool use", "", topics) == {"a": 4, "b": 12}


def test_one_passing_mention_is_not_enough_and_falls_back_to_related_work():
    topics = [topic("robots", "robot"), topic("related-work", "retrieval")]
    assert assign_topics("A paper", "It mentions a robot once.", topics) == ["related-work"]
    assert assign_topics("A paper", "", [topic("x", "robot"), topic("last")]) == ["last"]


def test_secondary_topics_are_clear_at_most_two_and_never_the_fallback():
    topics = [
        topic("a", "!alpha"),
        topic("b", "!beta"),
        topic("c", "!gamma"),
        topic("d", "!delta"),
        topic("related-work", "!alpha"),
    ]
    title = "Alpha Beta Gamma"
    assert assign_topics(title, "delta", topics) == ["a", "b", "c"]
    assert assign_topics("Alpha", "beta", topics) == ["a"]  # 3 points < half of 12


def test_edited_phrases_take_effect():
    topics = [topic("a", "foo"), topic("b", "bar")]
    assert assign_topics("Foo", "", topics) == ["a"]
    topics[1].phrases.append("!foo")
    assert assign_topics("Foo", "", topics) == ["b"]  # a: 4 points, under half of b's 12


def test_phrase_must_start_with_a_letter_or_digit():
    with pytest.raises(ValueError, match="must start with a letter or digit"):
        parse_phrase("!*")
    with pytest.raises(ValueError):
        assign_topics("x", "y", [topic("a", "(RL)")])


# --- tags -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "abstract", "tags"),
    [
        ("A Survey on Vision-Language-Action Models for Embodied AI", "Background.", ["survey"]),
        ("About Time: Advances in Action Understanding", "This survey covers the field.", ["survey"]),
        ("Mobile-Bench: An Evaluation Benchmark for LLM-based Mobile Agents", "Agents act.", ["benchmark"]),
        ("X", "To this end, we introduce BEARCUBS, a benchmark of 111 questions.", ["benchmark"]),
        ("X", "We construct the first fine-grained audible video description benchmark.", ["benchmark"]),
        ("AVA: A Video Dataset of Spatio-temporally Localized Atomic Visual Actions", "It is big.", ["dataset"]),
        ("X", "We present CHAIRS, a large-scale motion-captured dataset of 46 participants.", ["dataset"]),
        ("X", "We introduce GUI-360, a large-scale dataset and benchmark suite.", ["benchmark", "dataset"]),
        ("X", "Assembly101 is a new procedural activity dataset featuring 4321 videos.", ["dataset"]),
        # Evaluating on benchmarks or datasets is not introducing one.
        ("X", "We propose a method that outperforms prior work on three benchmarks.", []),
        ("X", "Experiments on the LIBERO benchmark and the Open X-Embodiment dataset.", []),
        ("X", "We evaluate on established egocentric video datasets.", []),
        ("X", "To spur the development of useful agents, we need benchmarks that are hard.", []),
        # Training data every method paper assembles is not a dataset contribution.
        ("X", "To this end, we curate a small yet high-quality dataset of 136 tasks.", []),
        ("Behavior Retrieval: Few-Shot Imitation Learning by Querying Unlabeled Datasets", "X.", []),
        ("X", "We review the results of prior methods and find them lacking.", []),
        ("X", "A user survey of 30 participants rates our agent highly.", []),
    ],
)
def test_tags(title, abstract, tags):
    assert assign_tags(title, abstract) == tags


# --- the real listings ------------------------------------------------------------------

#: Clear cases from the real listings, checked by reading title and abstract.
CLEAR_CASES = {
    "CogACT: A Foundational Vision-Language-Action Model for Synergizing Cognition and Action in Robotic Manipulation": "vla-models",
    "VLA-Cache: Towards Efficient Vision-Language-Action Model via Adaptive Token Caching in Robotic Manipulation": "vla-models",
    "A Survey on Efficient Vision-Language-Action Models": "vla-models",
    "Universal Actions for Enhanced Embodied Foundation Models": "vla-models",
    "CARP: Visuomotor Policy Learning via Coarse-to-Fine Autoregressive Prediction": "robot-learning",
    "Data Quality in Imitation Learning": "robot-learning",
    "Streaming Diffusion Policy: Fast Policy Synthesis with Variable Noise Diffusion Models": "robot-learning",
    "Learning Latent Action World Models In The Wild": "world-models",
    "EWMBench: Evaluating Scene, Motion, and Semantic Quality in Embodied World Models": "world-models",
    "Unified Video Action Model": "world-models",
    "UI-R1: Enhancing Action Prediction of GUI Agents by Reinforcement Learning": "gui-agents",
    "Android in the Wild: A Large-Scale Dataset for Android Device Control": "gui-agents",
    "WebEvolver: Enhancing Web Agent Self-Improvement with Coevolving World Model": "gui-agents",
    "ReAct: Synergizing Reasoning and Acting in Language Models": "llm-agents",
    "Executable Code Actions Elicit Better LLM Agents": "llm-agents",
    "ToolChain*: Efficient Action Space Navigation in Large Language Models with A* Search": "llm-agents",
    "ALFRED: A Benchmark for Interpreting Grounded Instructions for Everyday Tasks": "embodied-agents",
    "Optimus-2: Multimodal Minecraft Agent with Goal-Observation-Action Conditioned Policy": "embodied-agents",
    "ADAPT: Vision-Language Navigation with Modality-Aligned Action Prompts": "embodied-agents",
    "Soft Actor-Critic for Discrete Action Settings": "reinforcement-learning",
    "Dynamical Linear Bandits": "reinforcement-learning",
    "StarCraft II: A New Challenge for Reinforcement Learning": "reinforcement-learning",
    "AVA: A Video Dataset of Spatio-temporally Localized Atomic Visual Actions": "action-recognition",
    "SpikePoint: An Efficient Point-based Spiking Neural Network for Event Cameras Action Recognition": "action-recognition",
    "Two-Stream Consensus Network for Weakly-Supervised Temporal Action Localization": "action-recognition",
    "AntGPT: Can Large Language Models Help Long-term Action Anticipation from Videos?": "action-anticipation",
    "Assembly101: A Large-Scale Multi-View Video Dataset for Understanding Procedural Activities": "action-anticipation",
    "PlanLLM: Video Procedure Planning with Refinable Large Language Models": "action-anticipation",
    "Multi-Track Timeline Control for Text-Driven 3D Human Motion Generation": "human-motion",
    "AcT2I: Evaluating and Improving Action Depiction in Text-to-Image Models": "human-motion",
    "Alignment faking in large language models": "related-work",
    "Aligning Superhuman AI with Human Behavior: Chess as a Model System": "related-work",
    "Arch-Router: Aligning LLM Routing with Human Preferences": "related-work",
    "Causal de Finetti: On the Identification of Invariant Causal Structure in Exchangeable Data": "related-work",
    "Simulating User Satisfaction for the Evaluation of Task-oriented Dialogue Systems": "related-work",
}


def test_real_listings_hold_the_catalogues_papers(real_papers):
    catalogue = store.load(LISTINGS.parent / "papers.yaml")
    assert {normalise_title(title) for title, _ in real_papers} == {normalise_title(p.title) for p in catalogue.papers}


def test_every_real_paper_gets_valid_topics(real_papers):
    for title, abstract in real_papers:
        topics = assign_topics(title, abstract, TAXONOMY)
        assert 1 <= len(topics) <= 3, title
        assert len(set(topics)) == len(topics), title
        assert set(topics) <= set(SLUGS), title
        assert "related-work" not in topics[1:], title


def test_real_papers_fill_every_page_and_adjacent_work_stays_under_ten_percent(real_papers):
    primary = Counter(assign_topics(t, a, TAXONOMY)[0] for t, a in real_papers)
    assert set(primary) == set(SLUGS)
    assert all(primary[slug] >= 10 for slug in SLUGS), primary
    assert primary["related-work"] < 0.10 * len(real_papers), primary


def test_clear_cases_of_the_real_listings_are_on_the_right_page(real_papers):
    by_title = dict(real_papers)
    assert set(CLEAR_CASES) <= set(by_title)
    wrong = {
        title: assign_topics(title, by_title[title], TAXONOMY)[0]
        for title, expected in CLEAR_CASES.items()
        if assign_topics(title, by_title[title], TAXONOMY)[0] != expected
    }
    assert not wrong


def test_real_tags_are_sorted_known_and_plausible(real_papers):
    tagged = {title: assign_tags(title, abstract) for title, abstract in real_papers}
    for tags in tagged.values():
        assert tags == sorted(set(tags)) and set(tags) <= set(TAGS)
    counts = Counter(tag for tags in tagged.values() for tag in tags)
    assert 5 <= counts["survey"] <= 12
    assert 30 <= counts["benchmark"] <= 60
    assert 25 <= counts["dataset"] <= 50
    assert "survey" in tagged["A Survey on Vision-Language-Action Models: An Action Tokenization Perspective"]
    assert "benchmark" in tagged["AgentRewardBench: Evaluating Automatic Evaluations of Web Agent Trajectories"]
    assert "dataset" in tagged["EgoVid-5M: A Large-Scale Video-Action Dataset for Egocentric Video Generation"]
    assert tagged["ReAct: Synergizing Reasoning and Acting in Language Models"] == []

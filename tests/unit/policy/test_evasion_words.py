"""Markings and admin keywords typed to slip past a filter (issue 15, item 3).

Letter spacing, invisible characters and joiners inside words, underscores and dots between
words, transliteration, digits and symbols for letters, Latin/Cyrillic look-alike mixes. The
marking is still found, covering what the user typed; the same words discussed as a topic are not.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.policy import scan
from gateway.policy.detectors import KeywordDetector
from gateway.policy.detectors.custom import keywords_pattern
from gateway.policy.detectors.hidden import join_spacing
from gateway.policy.detectors.markings import (
    _CONFUSABLES,
    _LEET_ONLY,
    LABELS,
    MARKINGS,
    _is_cyrillic,
    could_hold_marking,
    spellings,
)
from gateway.policy.redact import redact


def markings(text: str) -> list[str]:
    return [text[f.start : f.end] for f in scan(text) if f.kind == "marking"]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("S t r i c t l y  c o n f i d e n t i a l", "S t r i c t l y  c o n f i d e n t i a l"),
        ("К.О.М.М.Е.Р.Ч.Е.С.К.А.Я Т.А.Й.Н.А", "К.О.М.М.Е.Р.Ч.Е.С.К.А.Я Т.А.Й.Н.А"),
        ("К О М М Е Р Ч Е С К А Я   Т А Й Н А", "К О М М Е Р Ч Е С К А Я   Т А Й Н А"),
        ("к-о-н-ф-и-д-е-н-ц-и-а-л-ь-н-о", "к-о-н-ф-и-д-е-н-ц-и-а-л-ь-н-о"),
        ("Договор. C O N F I D E N T I A L. Не пересылать", "C O N F I D E N T I A L"),
        ("отчёт — с е к р е т н о, не для всех", "с е к р е т н о"),
        ("Strictly c o n f i d e n t i a l draft", "Strictly c o n f i d e n t i a l"),
        ("I n t e r n a l  u s e  o n l y", "I n t e r n a l  u s e  o n l y"),
        ("T_O_P  S_E_C_R_E_T", "T_O_P  S_E_C_R_E_T"),
    ],
)
def test_letter_spacing(text: str, typed: str) -> None:
    assert markings(text) == [typed], scan(text)


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("Коммерческая\u200bтайна", "Коммерческая\u200bтайна"),
        ("Коммерческая\u2060тайна ООО", "Коммерческая\u2060тайна"),
        ("Ком\u200dмер\u2060ческая та\u200dйна", "Ком\u200dмер\u2060ческая та\u200dйна"),
        ("Коммерческая_тайна", "Коммерческая_тайна"),
        ("файл Коммерческая_тайна_2026.docx", "Коммерческая_тайна"),
        ("Коммерческая-тайна", "Коммерческая-тайна"),
        ("Коммерческая.тайна", "Коммерческая.тайна"),
        ("Strictly_confidential", "Strictly_confidential"),
        ("for-internal-use-only", "for-internal-use-only"),
        ("Для\u00a0служебного\u00a0пользования", "Для\u00a0служебного\u00a0пользования"),
    ],
)
def test_joined_words(text: str, typed: str) -> None:
    assert markings(text) == [typed], scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Konfidentsialno",
        "KONFIDENTSIALNO: отчёт",
        "kommercheskaya tayna",
        "Kommercheskaya taina",
        "Документ: kommercheskaja tajna, не пересылать",
        "strogo konfidentsialno",
        "dlya sluzhebnogo polzovaniya",
        "Sekretno:",
        "отчёт konfidencialno, не пересылать",  # a script switch in a Russian sentence
        "Konfidencial'no",
        "sovershenno sekretno",
    ],
)
def test_transliteration(text: str) -> None:
    assert markings(text), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "К0нфиденциальн0",
        "C0nfidential",
        "k0nfidencialno",
        "документ К0нфиденциальн0, не пересылать",  # digits for letters: a disguise, so a stamp
        "this is C0nfidential, do not forward",
        "this is c0nf1dent1al",
        "Коммерч3ская тайна",
        "К0ММЕРЧЕСКАЯ Т@ЙНА",
        "C0NF1D3NT14L",
        "$ecret: the plan",
        "c0mpany c0nfidential",
        "1nternal use 0nly",
        "Стр0г0 к0нфиденциальн0",
    ],
)
def test_leet(text: str) -> None:
    assert markings(text), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Кoммерческая тайна",  # Latin o
        "KОMMЕРЧЕСКАЯ TАЙНА",  # Latin K, M, T among Cyrillic
        "сonfidеntiаl: report",  # Cyrillic с, е, а among Latin
        "Соnfidеntiаl",
        "Строго кoнфидeнциaльнo",
        "ТОР SЕСRЕТ",  # Cyrillic Т, О, Р, Е, С
        "this is соnfidеntiаl, do not forward",  # mixed scripts in one word: a disguise
    ],
)
def test_homoglyph_mixes(text: str) -> None:
    assert markings(text), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "политика конфиденциальности обновлена",
        "Конфиденциальность данных — тема семинара",
        "Мы обсуждаем конфиденциальность и коммерческую деятельность",
        "please keep this confidential between us",
        "I'm confident the deal closes",
        "это не секрет, все знают",
        "секреты успеха: тайна в деталях",
        "коммерческая деятельность; тайна вкладов",
        "коммерческая. Тайна в том, что",
        "konfidentsialnost dannyh vazhna",
        "Internal audit found no issues",
        "секретный ингредиент",
        "Trade secrets law, a topic for Friday",
        "мебель из дсп и мдф",
        "tayna i kommercheskiy otdel",
        "s e e  y o u  s o o n",
        "a b c d e f g",
        "к о т",
        "3 4 5 6 7 8",
        "контактная информация: в приложении",
        "version 1 2 3 4 5 secret sauce",
    ],
)
def test_topics_are_not_markings(text: str) -> None:
    assert markings(text) == [], scan(text)


def test_letter_spaced_marking_is_masked_where_typed() -> None:
    text = "см. К.О.М.М.Е.Р.Ч.Е.С.К.А.Я Т.А.Й.Н.А!"
    redacted, _ = redact(text, (), [(f, "mask") for f in scan(text)])
    assert redacted == "см. " + ".".join("•" * 12) + " " + ".".join("•" * 5) + "!"


def test_zero_width_between_words_is_masked_with_both_words() -> None:
    text = "гриф Коммерческая\u200bтайна!"
    redacted, _ = redact(text, (), [(f, "label") for f in scan(text)])
    assert redacted == "гриф [marking]!"


def test_prefilter_passes_every_disguise() -> None:
    for text in ["C0NF1D3NT14L", "k0nfidencialno", "К0ММЕРЧЕСКАЯ Т@ЙНА", "$ecret", "1nternal"]:
        assert could_hold_marking(text), text
    joined = join_spacing("T_O_P  S_E_C_R_E_T")
    assert joined is not None
    assert joined[0].text == "TOP SECRET"
    assert could_hold_marking(joined[0].text)


@pytest.fixture
def falcon() -> KeywordDetector:
    return KeywordDetector("codename", keywords_pattern(["Проект Альфа", "Project Falcon"]))


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("Проект Альфа стартует", "Проект Альфа"),
        ("Проект_Альфа стартует", "Проект_Альфа"),
        ("Проект\u200bАльфа стартует", "Проект\u200bАльфа"),
        ("Пр0ект Альф@ стартует", "Пр0ект Альф@"),
        ("P r o j e c t  F a l c o n", "P r o j e c t  F a l c o n"),
        ("П.р.о.е.к.т А.л.ь.ф.а", "П.р.о.е.к.т А.л.ь.ф.а"),
        ("Pr0ject-Falc0n", "Pr0ject-Falc0n"),
    ],
)
def test_keywords_get_the_same_treatment(falcon: KeywordDetector, text: str, typed: str) -> None:
    hits = [text[f.start : f.end] for f in scan(text, detectors=[falcon]) if f.kind == "codename"]
    assert hits == [typed]


@pytest.mark.parametrize("text", ["проекты и альфа-версии", "P r o j e c t s", "falcons fly"])
def test_keywords_stay_whole_words(falcon: KeywordDetector, text: str) -> None:
    assert not [f for f in scan(text, detectors=[falcon]) if f.kind == "codename"]


@st.composite
def spelling(draw: st.DrawFn) -> str:
    """Any phrase of the marking lists as someone might type it: each letter as any of its
    look-alikes (digits and symbols included), or a Russian phrase in any transliteration."""
    phrase = draw(st.sampled_from(MARKINGS + LABELS))
    translit = _is_cyrillic(phrase) and draw(st.booleans())
    words = []
    for word in phrase.split():
        letters = []
        for index, char in enumerate(word):
            if translit:
                if index and word[index - 1] == char and draw(st.booleans()):
                    continue  # "komercheskaya": a doubled letter written once
                latin = draw(st.sampled_from(spellings(word, index)))
            else:
                latin = char
            for c in latin:
                group = _CONFUSABLES.get(c, c) + _LEET_ONLY.get(c, "")
                letters.append(draw(st.sampled_from(group)))
        words.append("".join(letters))
    gap = draw(st.sampled_from([" ", "_", "-", ".", "", "  "]))
    return gap.join(words)


@settings(max_examples=500, deadline=None)
@given(spelling())
def test_every_spelling_passes_the_prefilter_and_is_found(text: str) -> None:
    assert could_hold_marking(text), text
    assert markings(f"Гриф: {text}"), text

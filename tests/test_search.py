"""Search: what people type finds the records they mean, on SQLite FTS5 and PostgreSQL alike."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tests.admin_forms import admin_form_data
from tracker import search
from tracker.choices import State
from tracker.models import Organisation, SearchEntry, SearchName
from tracker.search import backends, clean_query, text

pytestmark = pytest.mark.django_db


def groups(response):
    return {group.kind: group for group in response.context["results"]}


def found(client, query, kind):
    """The records of one kind the search page shows for the query, best first."""
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    return [hit.record for hit in groups(response)[kind].hits]


class TestNormalisation:
    def test_accents_case_and_scripts_become_plain_ascii_words(self):
        assert text.ascii_words("Alcántara") == ["alcantara"]
        assert text.ascii_words("ÖRESUND") == ["oresund"]
        assert text.ascii_words("Навальный") == ["navalnyy"]
        assert text.ascii_words("Naval'nyy") == ["navalnyy"]

    def test_romanisations_of_one_russian_name_share_a_key(self):
        spellings = ["Navalny", "Navalnyi", "Navalnyy", "Naval'nyj", "Навальный"]
        assert {text.skeleton("".join(text.ascii_words(s))) for s in spellings} == {"navalni"}
        first_names = ["Alexei", "Aleksey", "Aleksei", "Alexey", "Алексей"]
        assert {text.skeleton(text.ascii_words(s)[0]) for s in first_names} == {"aleksei"}
        assert text.skeleton("yevgeniy") == text.skeleton("evgenii")

    def test_punctuated_numbers_keep_their_joined_form(self):
        assert text.tokens("Article 275.1") == ["article", "275", "1", "2751"]
        assert text.tokens("129-FZ") == ["129", "fz", "129fz"]

    def test_initials_of_multi_word_names(self):
        assert text.initials("Human Rights Watch") == {"hrw"}
        assert text.initials("Foundation for the Defence of Rights") == {"fftdor", "fdr"}
        assert text.initials("Memorial") == set()

    @pytest.mark.parametrize(
        ("one", "other"),
        [
            ("organisation", "organization"),
            ("Undesirable Organisations", "undesirable organizations"),
            ("criminalised", "criminalized"),
            ("labour", "labor"),
            ("honours", "honors"),
            ("defence", "defense"),
            ("offences", "offenses"),
            ("centre", "center"),
            ("foreign agent", "foreign agents"),
            ("NGO", "non-governmental organisation"),
            ("NGOs", "non-governmental organizations"),
        ],
    )
    def test_spellings_plurals_and_synonyms_share_one_form(self, one, other):
        assert text.words(one) == text.words(other)
        assert [t.parts for t in text.parse(one)] == [t.parts for t in text.parse(other)]

    @pytest.mark.parametrize("word", ["four", "your", "tour", "size", "citizen", "news"])
    def test_words_that_only_look_like_variants_are_left_alone(self, word):
        assert text.words(word) == [word]

    def test_a_kind_word_names_the_kind_wanted(self):
        assert text.named_kinds(text.parse("undesirable organisations law")) == ["law"]
        assert text.named_kinds(text.parse("law on undesirable organizations")) == ["law"]
        assert text.named_kinds(text.parse("Memorial")) == []

    def test_query_syntax_is_reduced_to_words(self):
        terms = text.parse('NEAR(amnesty* -"human rights" OR {names}: x)')
        words = ["near", "amnesty", "human", "rights", "or", "names", "x"]
        assert [term.parts for term in terms] == [(word,) for word in words]
        terms = text.parse('"Human Rights" Watch')
        assert [(term.parts, term.phrase) for term in terms] == [
            (("human", "rights"), True),
            (("watch",), False),
        ]

    def test_query_is_cut_to_ten_terms(self):
        query = clean_query(" ".join(f"word{i}" for i in range(30)))
        assert len(query.terms) == 10
        assert query.too_many_words

    def test_highlight_escapes_html_and_marks_matches(self):
        terms = text.parse("alcantara")
        html = text.highlight("<b>Luis</b> Otero Alcántara", terms)
        assert html == "&lt;b&gt;Luis&lt;/b&gt; Otero <mark>Alcántara</mark>"

    def test_snippet_is_a_short_window_around_the_first_match(self):
        body = " ".join(["filler"] * 100 + ["Memorial"] + ["tail"] * 100)
        snippet = text.snippet(body, text.parse("memorial"))
        assert "<mark>Memorial</mark>" in snippet
        assert snippet.startswith("… ") and snippet.endswith(" …")
        assert len(snippet) < 300
        assert text.snippet(body, text.parse("absent")) == ""


class TestFinding:
    def test_acronym_in_any_case_and_with_dots(self, client):
        fbk = factories.OrganisationFactory(name="Anti-Corruption Foundation", short_name="FBK")
        for query in ("FBK", "fbk", "F.B.K.", "Fbk"):
            assert found(client, query, "organisation") == [fbk], query

    def test_initials_find_a_name_without_an_acronym(self, client):
        hrw = factories.OrganisationFactory(name="Human Rights Watch")
        assert found(client, "HRW", "organisation") == [hrw]

    def test_alias(self, client):
        amnesty = factories.OrganisationFactory(name="Amnesty International")
        factories.OrganisationAliasFactory(organisation=amnesty, name="AIL")
        response = client.get("/search/", {"q": "ail"})
        assert [hit.record for hit in groups(response)["organisation"].hits] == [amnesty]
        assert "also: <mark>AIL</mark>" in response.content.decode()

    def test_accent_free_query_finds_accented_name_and_back(self, client):
        person = factories.PersonFactory(name="Luis Manuel Otero Alcántara")
        plain = factories.PersonFactory(name="Jose Alcantara Ruiz")
        assert set(found(client, "alcantara", "person")) == {person, plain}
        assert set(found(client, "ALCÁNTARA", "person")) == {person, plain}

    def test_cyrillic_query_finds_a_name_stored_in_latin(self, client):
        navalny = factories.PersonFactory(name="Alexei Navalny")
        assert found(client, "Алексей Навальный", "person") == [navalny]
        assert found(client, "Навальный", "person") == [navalny]

    def test_latin_query_finds_a_name_stored_in_cyrillic(self, client):
        memorial = factories.OrganisationFactory(name="Мемориал")
        vitishko = factories.PersonFactory(name="Евгений Витишко")
        assert found(client, "Memorial", "organisation") == [memorial]
        assert found(client, "Yevgeny Vitishko", "person") == [vitishko]
        assert found(client, "evgenii vitishko", "person") == [vitishko]

    def test_cyrillic_alias_is_found_in_cyrillic_and_in_latin(self, client):
        person = factories.PersonFactory(name="Maria Bontsler")
        person.aliases.create(name="Мария Бонцлер", kind="original")
        assert found(client, "Бонцлер", "person") == [person]
        assert found(client, "Bontsler", "person") == [person]

    @pytest.mark.parametrize("query", ["275.1", "275 1", "2751", "Article 275.1", "ст. 275.1"])
    def test_article_number(self, client, query):
        law = factories.LawFactory(title="Criminal Code, Article 275.1", number="275.1")
        factories.LawFactory(title="Criminal Code, Article 275", number="275")
        factories.LawFactory(title="Criminal Code, Article 1", number="1")
        if query == "ст. 275.1":
            law.aliases.create(name="ст. 275.1 УК РФ", kind="original")
        assert found(client, query, "law")[0] == law

    def test_federal_law_number_with_letters(self, client):
        law = factories.LawFactory(title="Federal Law on foreign agents", number="129-FZ")
        for query in ("129-FZ", "129fz", "129 ФЗ", "129-фз"):
            assert found(client, query, "law") == [law], query

    def test_words_in_any_order_and_punctuation_ignored(self, client):
        amnesty = factories.OrganisationFactory(name="Amnesty International")
        assert found(client, "International, Amnesty!", "organisation") == [amnesty]

    def test_prefix_of_the_last_word_matches(self, client):
        amnesty = factories.OrganisationFactory(name="Amnesty International")
        assert found(client, "amnes", "organisation") == [amnesty]

    def test_quoted_phrase_needs_the_words_together(self, client):
        together = factories.OrganisationFactory(name="Centre for Human Rights")
        factories.OrganisationFactory(name="Human Dignity and Rights")
        assert found(client, '"human rights"', "organisation") == [together]
        assert len(found(client, "human rights", "organisation")) == 2

    def test_cases_are_found_by_charges_and_people(self, client):
        law = factories.LawFactory(title="Treason", number="275")
        person = factories.PersonFactory(name="Maria Bontsler")
        case = factories.CaseFactory(title="Arrest in Kaliningrad", people=[person])
        factories.ChargeFactory(case=case, law=law, description="confidential cooperation")
        assert found(client, "bontsler", "case") == [case]
        assert found(client, "confidential cooperation", "case") == [case]
        assert found(client, "275", "case") == [case]

    def test_drafts_are_never_shown_or_counted(self, client):
        factories.OrganisationFactory(name="Draft Memorial", state="draft")
        published = factories.OrganisationFactory(name="Memorial")
        response = client.get("/search/", {"q": "memorial"})
        group = groups(response)["organisation"]
        assert [hit.record for hit in group.hits] == [published]
        assert group.count == 1
        assert "Draft Memorial" not in response.content.decode()


class TestRankingAndGrouping:
    def test_exact_name_then_names_then_other_text(self, client):
        in_text = factories.OrganisationFactory(
            name="Moscow Helsinki Group", description="Worked with Amnesty International often."
        )
        longer = factories.OrganisationFactory(name="Friends of Amnesty International")
        exact = factories.OrganisationFactory(name="Amnesty International")
        assert found(client, "amnesty international", "organisation") == [exact, longer, in_text]

    def test_exact_alias_or_number_ranks_first(self, client):
        partial = factories.OrganisationFactory(name="FIDH Friends Association")
        by_alias = factories.OrganisationFactory(name="International Federation for Human Rights")
        factories.OrganisationAliasFactory(organisation=by_alias, name="FIDH")
        assert found(client, "fidh", "organisation") == [by_alias, partial]

    def test_results_are_grouped_by_kind_with_counts(self, client):
        law = factories.LawFactory(title="Undesirable organisations law")
        factories.OrganisationFactory(name="An undesirable organisation")
        factories.OrganisationFactory(name="Another undesirable organisation")
        case = factories.CaseFactory(title="Undesirable organisation case")
        factories.ChargeFactory(case=case, law=law)
        response = client.get("/search/", {"q": "undesirable"})
        counts = {kind: group.count for kind, group in groups(response).items()}
        assert counts == {"organisation": 2, "law": 1, "case": 1, "person": 0}
        content = response.content.decode()
        assert "4 results" in content
        assert "Organisations (2)" in content

    def test_a_large_group_links_to_the_filtered_list(self, client):
        factories.CaseFactory.create_batch(25, summary="Searched under the extremism article.")
        response = client.get("/search/", {"q": "extremism"})
        group = groups(response)["case"]
        assert group.count == 25
        assert len(group.hits) == 20
        assert "/cases/?q=extremism" in response.content.decode()
        listed = client.get("/cases/", {"q": "extremism"})
        assert listed.context["paginator"].count == 25

    def test_past_the_count_cap_exact_names_then_names_then_newest_text(self, monkeypatch):
        monkeypatch.setattr(search, "COUNT_CAP", 3)
        older_text, newer_text = (
            factories.OrganisationFactory(name=f"Group {n}", description="Registered in Perm.")
            for n in (1, 2)
        )
        factories.OrganisationFactory(name="Draft", description="Perm", state=State.DRAFT)
        in_name = factories.OrganisationFactory(name="Perm Regional Human Rights Centre")
        exact = factories.OrganisationFactory(name="Perm")
        [group] = [
            group for group in search.find(clean_query("perm")) if group.kind == "organisation"
        ]
        assert group.capped
        assert [hit.record for hit in group.hits] == [exact, in_name, newer_text, older_text]
        [group] = [
            group
            for group in search.find(clean_query("perm"), per_group=2)
            if group.kind == "organisation"
        ]
        assert [hit.record for hit in group.hits] == [exact, in_name]

    def test_past_the_count_cap_older_name_matches_are_found_too(self, monkeypatch):
        # On PostgreSQL names are first looked for among the newest entries only.
        monkeypatch.setattr(search, "COUNT_CAP", 1)
        monkeypatch.setattr(backends, "RECENT_ENTRIES", 1)
        in_name = factories.OrganisationFactory(name="Perm Regional Human Rights Centre")
        older_text, newer_text = (
            factories.OrganisationFactory(name=f"Group {n}", description="Registered in Perm.")
            for n in (1, 2)
        )
        [group] = [
            group for group in search.find(clean_query("perm")) if group.kind == "organisation"
        ]
        assert group.capped
        assert [hit.record for hit in group.hits] == [in_name, newer_text, older_text]

    def test_groups_past_the_count_cap_cost_no_more_queries(self, monkeypatch):
        # A very common word caps every group; ranking by recency stays in the one query.
        law = factories.LawFactory(title="Perm law", summary="Perm")
        case = factories.CaseFactory(title="Perm case", summary="Perm")
        factories.ChargeFactory(case=case, law=law)
        factories.OrganisationFactory(name="Perm group", description="Perm")
        factories.OrganisationFactory(name="Other group", description="In Perm")
        factories.PersonFactory(name="Perm Person", description="Perm")

        def queries():
            with CaptureQueriesContext(connection) as captured:
                found = search.find(clean_query("perm"))
            return len(captured), [group.capped for group in found if group.count]

        uncapped, capped = queries()
        assert not any(capped)
        monkeypatch.setattr(search, "COUNT_CAP", 1)
        assert queries() == (uncapped, [True] * len(capped))

    def test_exact_name_ranked_below_the_best_candidates_comes_first(self, monkeypatch):
        # Only the best-scored candidates are read; an exact name scored below them still leads.
        monkeypatch.setattr(backends, "RANKED_CANDIDATES", 2)
        others = [
            factories.OrganisationFactory(
                name=f"Memorial Memorial Memorial {n}", description="Memorial, memorial."
            )
            for n in range(3)
        ]
        exact = factories.OrganisationFactory(name="Memorial", description="Another name. " * 30)
        factories.OrganisationFactory(name="Memorial", state=State.DRAFT)
        [group] = [
            group
            for group in search.find(clean_query("memorial"), per_group=2)
            if group.kind == "organisation"
        ]
        assert group.count == 4
        assert [hit.record for hit in group.hits] == [exact, others[0]]

    def test_drafts_among_the_best_candidates_never_leave_a_group_short(self, monkeypatch):
        # Only the best-scored candidates are read; when drafts fill them, every match is.
        monkeypatch.setattr(backends, "RANKED_CANDIDATES", 2)
        for n in range(3):
            factories.OrganisationFactory(name=f"Perm {n}", state=State.DRAFT)
        published = [
            factories.OrganisationFactory(name=f"Perm Regional Centre {n}") for n in range(3)
        ]
        [group] = [
            group for group in search.find(clean_query("perm")) if group.kind == "organisation"
        ]
        assert group.count == 3
        assert sorted(hit.record.pk for hit in group.hits) == [record.pk for record in published]

    def test_matched_words_are_highlighted_in_title_and_snippet(self, client):
        factories.OrganisationFactory(
            name="Memorial Human Rights Centre",
            description="Founded in 1989. " * 20 + "Liquidated by the Supreme Court in 2021.",
        )
        content = client.get("/search/", {"q": "memorial liquidated"}).content.decode()
        assert "<mark>Memorial</mark> Human Rights Centre" in content
        assert "<mark>Liquidated</mark> by the Supreme Court" in content
        assert "… " in content  # the snippet is cut to a window around the match

    def test_list_filter_uses_the_same_search(self, client):
        fbk = factories.OrganisationFactory(name="Anti-Corruption Foundation", short_name="FBK")
        factories.OrganisationFactory(name="Other")
        response = client.get("/organisations/", {"q": "фбк"})
        assert list(response.context["object_list"]) == [fbk]


class TestDidYouMean:
    def test_misspelt_name_is_suggested(self, client):
        factories.OrganisationFactory(name="Amnesty International")
        factories.PersonFactory(name="Luis Manuel Otero Alcántara")
        response = client.get("/search/", {"q": "Amnisty Internatonal"})
        assert response.context["total"] == 0
        assert response.context["suggestions"] == ["Amnesty International"]
        assert 'Did you mean <a href="?q=Amnesty%20International">' in response.content.decode()

    def test_drafts_are_not_suggested(self, client):
        factories.OrganisationFactory(name="Amnesty International", state="draft")
        response = client.get("/search/", {"q": "Amnisty Internatonal"})
        assert response.context["suggestions"] == []
        content = response.content.decode()
        assert "Nothing matches “Amnisty Internatonal”" in content
        assert "Try fewer words" in content


class TestIndexFollowsEdits:
    def test_whole_names_follow_renames_aliases_and_deletes(self):
        organisation = factories.OrganisationFactory(name="Old Name Society")
        rows = SearchName.objects.filter(kind="organisation", object_id=organisation.pk)

        def forms():
            return set(rows.values_list("form", flat=True))

        assert forms() == text.name_forms("Old Name Society")
        organisation.name = "Freedom Society"
        organisation.save()
        factories.OrganisationAliasFactory(organisation=organisation, name="FS")
        assert forms() == text.name_forms("Freedom Society") | text.name_forms("FS")
        organisation.delete()
        assert forms() == set()

    def test_admin_edit_reindexes_the_record(self, client, editor_client):
        organisation = factories.OrganisationFactory(name="Old Name Society", slug="society")
        url = f"/admin/tracker/organisation/{organisation.pk}/change/"
        data = admin_form_data(editor_client.get(url))
        data["name"] = "Freedom Society"
        data["aliases-0-name"] = "Общество свободы"
        data["aliases-0-kind"] = "original"
        response = editor_client.post(url, data)
        assert response.status_code == 302, response.context["errors"]
        assert found(client, "freedom", "organisation") == [organisation]
        assert found(client, "obshchestvo svobody", "organisation") == [organisation]
        assert found(client, "old name", "organisation") == []

    def test_alias_delete_and_record_delete_leave_the_index(self, client):
        organisation = factories.OrganisationFactory(name="Memorial")
        alias = factories.OrganisationAliasFactory(organisation=organisation, name="Zeta")
        assert found(client, "zeta", "organisation") == [organisation]
        alias.delete()
        assert found(client, "zeta", "organisation") == []
        organisation.delete()
        assert not SearchEntry.objects.filter(kind="organisation").exists()

    def test_renaming_a_person_reindexes_their_cases(self, client):
        person = factories.PersonFactory(name="Ivan Petrov")
        case = factories.CaseFactory(title="Trial in Perm", people=[person])
        person.name = "Ivan Sidorov"
        person.save()
        assert found(client, "sidorov", "case") == [case]
        person.cases.clear()
        assert found(client, "sidorov", "case") == []
        case.people.add(person)
        assert found(client, "sidorov", "case") == [case]

    def test_changing_a_law_reindexes_the_cases_charged_under_it(self, client):
        law = factories.LawFactory(title="Some law", number="20.3.3")
        case = factories.CaseFactory(title="Trial")
        factories.ChargeFactory(case=case, law=law)
        law.number = "280.3"
        law.save()
        assert found(client, "280.3", "case") == [case]
        assert found(client, "20.3.3", "case") == []

    def test_rebuild_command_restores_a_lost_index(self, client):
        organisation = factories.OrganisationFactory(name="Memorial")
        SearchEntry.objects.all().delete()
        assert found(client, "memorial", "organisation") == []
        call_command("rebuild_search_index", verbosity=0)
        assert found(client, "memorial", "organisation") == [organisation]
        assert (
            Organisation.objects.count() == SearchEntry.objects.filter(kind="organisation").count()
        )


BAD_QUERIES = [
    '"',
    '""',
    '"amnesty',
    'amnesty"',
    "NEAR(amnesty international)",
    "amnesty NEAR/2 international",
    "*",
    "amn*",
    "-amnesty",
    "amnesty -international",
    "amnesty OR international",
    "amnesty AND",
    "NOT amnesty",
    "(((amnesty",
    "amnesty)))",
    "{names keys}: amnesty",
    "names:amnesty",
    "^amnesty",
    "amnesty:*",
    "amnesty & | ! <-> :*A",
    "100%",
    "_",
    "\\",
    "'; DROP TABLE tracker_organisation; --",
    "amn\x00esty\x1b",
    "\u200b\u202eamnesty",
    "😀 amnesty 🇺🇦",
]


class TestBadInput:
    @pytest.mark.parametrize("query", BAD_QUERIES)
    def test_never_a_server_error(self, client, query):
        factories.OrganisationFactory(name="Amnesty International")
        response = client.get("/search/", {"q": query})
        assert response.status_code == 200
        listed = client.get("/organisations/", {"q": query})
        assert listed.status_code == 200

    @pytest.mark.parametrize(
        "query",
        ['"amnesty', "amnesty(international)", "amnesty*", "-amnesty", "(((amnesty", "😀amnesty"],
    )
    def test_operators_are_taken_as_plain_words(self, client, query):
        amnesty = factories.OrganisationFactory(name="Amnesty International")
        assert amnesty in found(client, query, "organisation")

    @pytest.mark.parametrize("query", ["", "   ", "*", '"" ()', "😀", "—", "\x00"])
    def test_queries_without_words_never_reach_the_search_engine(self, client, query):
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/search/", {"q": query})
        # Only the page cache's read of the data version.
        assert [q["sql"] for q in captured if "tracker_dataversion" not in q["sql"]] == []
        assert response.status_code == 200
        content = response.content.decode()
        assert "Type a name" in content or "has no letters or digits" in content

    def test_invalid_utf8_in_the_address(self, client):
        factories.OrganisationFactory(name="Amnesty International")
        response = client.get("/search/?q=%ED%A0%80%FFamnesty")
        assert response.status_code == 200
        listed = client.get("/organisations/?q=%ED%A0%80%FF")
        assert listed.status_code == 200

    def test_five_thousand_characters_are_cut_with_a_message(self, client):
        factories.OrganisationFactory(name="Amnesty International")
        response = client.get("/search/", {"q": "amnesty " * 625})
        assert response.status_code == 200
        assert len(response.context["query"]) <= 200
        assert "only the first 200 were used" in response.content.decode()

    def test_more_than_ten_words_says_so(self, client):
        response = client.get("/search/", {"q": " ".join(f"w{i}" for i in range(15))})
        assert "Only the first 10 words" in response.content.decode()

    def test_record_names_with_markup_are_escaped(self, client):
        factories.OrganisationFactory(name="<script>alert(1)</script> Watch")
        content = client.get("/search/", {"q": "watch"}).content.decode()
        assert "<script>alert(1)</script>" not in content
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Watch</mark>" in content

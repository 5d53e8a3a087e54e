"""A synthetic record at scale, for benchmarks: deterministic from a seed, never shipped.

Every synthetic record has a slug starting with "syn-", so a database holding
them is recognisable (and the generator refuses to mix them into real data).
Names mix Latin and Cyrillic the way a real Russian-focused tracker does:
people carry Cyrillic aliases, some organisations are stored under their
Russian name, laws carry article numbers like 275.1, 20.3.3 and 129-FZ.
"""

import datetime
import random
import time
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from tracker.choices import CaseStatus, DesignationKind, Reliability, SourceKind, State
from tracker.models import (
    Case,
    CaseEvent,
    Charge,
    Citation,
    DataVersion,
    Designation,
    Law,
    LawAlias,
    Organisation,
    OrganisationAlias,
    Person,
    PersonAlias,
    Source,
)
from tracker.models.sources import url_key
from tracker.search import index

PREFIX = "syn-"

FIRST_NAMES = [
    ("Alexei", "Алексей"),
    ("Maria", "Мария"),
    ("Ivan", "Иван"),
    ("Ekaterina", "Екатерина"),
    ("Dmitry", "Дмитрий"),
    ("Yulia", "Юлия"),
    ("Sergei", "Сергей"),
    ("Anna", "Анна"),
    ("Mikhail", "Михаил"),
    ("Olga", "Ольга"),
    ("Yevgeny", "Евгений"),
    ("Natalia", "Наталья"),
    ("Andrei", "Андрей"),
    ("Svetlana", "Светлана"),
    ("Fyodor", "Фёдор"),
    ("Zhanna", "Жанна"),
]
LAST_NAMES = [
    ("Ivanov", "Иванов"),
    ("Kuznetsova", "Кузнецова"),
    ("Sokolov", "Соколов"),
    ("Popova", "Попова"),
    ("Lebedev", "Лебедев"),
    ("Kozlova", "Козлова"),
    ("Novikov", "Новиков"),
    ("Morozova", "Морозова"),
    ("Volkov", "Волков"),
    ("Solovyova", "Соловьёва"),
    ("Zaitsev", "Зайцев"),
    ("Pavlova", "Павлова"),
    ("Semyonov", "Семёнов"),
    ("Golubeva", "Голубева"),
    ("Vinogradov", "Виноградов"),
    ("Bogdanova", "Богданова"),
    ("Vorobyov", "Воробьёв"),
    ("Fyodorova", "Фёдорова"),
    ("Mikhailov", "Михайлов"),
    ("Belyaeva", "Беляева"),
    ("Tarasov", "Тарасов"),
    ("Shcherbakova", "Щербакова"),
    ("Khodorkovsky", "Ходорковский"),
    ("Tsoi", "Цой"),
]
CITIES = [
    ("Moscow", "Москва"),
    ("Perm", "Пермь"),
    ("Kaliningrad", "Калининград"),
    ("Khabarovsk", "Хабаровск"),
    ("Yekaterinburg", "Екатеринбург"),
    ("Novosibirsk", "Новосибирск"),
    ("Kazan", "Казань"),
    ("Tomsk", "Томск"),
    ("Saratov", "Саратов"),
    ("Pskov", "Псков"),
]
ORG_WORDS = [
    ("Centre", "Центр"),
    ("Foundation", "Фонд"),
    ("Committee", "Комитет"),
    ("Movement", "Движение"),
    ("Union", "Союз"),
    ("Network", "Сеть"),
    ("Society", "Общество"),
    ("Initiative", "Инициатива"),
]
ORG_TOPICS = [
    ("Human Rights", "прав человека"),
    ("Civil Liberties", "гражданских свобод"),
    ("Free Elections", "свободных выборов"),
    ("Press Freedom", "свободы прессы"),
    ("Environmental Defence", "защиты природы"),
    ("Legal Aid", "правовой помощи"),
    ("Historical Memory", "исторической памяти"),
    ("Anti-Corruption", "борьбы с коррупцией"),
    ("Women's Rights", "прав женщин"),
    ("Prisoners' Support", "помощи заключённым"),
]
COUNTRIES = ["RU", "RU", "RU", "BY", "UA", "GE", "KZ", "US", "DE", "GB", "NL", "CH"]
CASE_WORDS = [
    "court",
    "detention",
    "search",
    "lawyer",
    "journalist",
    "activist",
    "protest",
    "sentence",
    "appeal",
    "prosecutor",
    "investigator",
    "testimony",
    "verdict",
    "colony",
    "fine",
    "arrest",
    "police",
    "rally",
    "post",
    "comment",
    "video",
    "article",
    "donation",
    "foreign",
    "funding",
    "treason",
    "extremism",
    "undesirable",
    "agent",
    "register",
    "statement",
    "hearing",
    "closed",
    "trial",
    "charges",
    "evidence",
    "witness",
    "custody",
    "release",
]
CASE_TITLES = [
    "Prosecution of {person}",
    "Arrest of {person} in {city}",
    "Searches of {organisation} offices in {city}",
    "Case against {organisation}",
    "{person}: charges over a social media post",
]


@dataclass(frozen=True)
class Scale:
    cases: int = 100_000
    organisations: int = 10_000
    people: int = 5_000
    laws: int = 300
    sources: int = 50_000


def _date(rng):
    return datetime.date(2012, 1, 1) + datetime.timedelta(days=rng.randrange(13 * 365))


def _laws(rng, count):
    laws, aliases = [], []
    for i in range(count):
        form = i % 3
        if form == 0:
            number = f"{200 + i // 3}.{i % 7 + 1}"
            title = f"Criminal Code of the Russian Federation, Article {number}"
            native = f"Статья {number} УК РФ"
        elif form == 1:
            number = f"20.{i % 30}.{i % 9 + 1}"
            title = f"Code of Administrative Offences, Article {number}"
            native = f"Статья {number} КоАП РФ"
        else:
            number = f"{100 + i}-FZ"
            title = f"Federal Law No. {number} on {rng.choice(ORG_TOPICS)[0].lower()}"
            native = f"Федеральный закон № {100 + i}-ФЗ"
        law = Law(
            title=title,
            slug=f"{PREFIX}law-{i}",
            number=number,
            jurisdiction="RU",
            state=State.PUBLISHED,
            summary=" ".join(rng.choices(CASE_WORDS, k=20)),
        )
        laws.append(law)
        aliases.append((i, native))
    Law.objects.bulk_create(laws, batch_size=1000)
    LawAlias.objects.bulk_create(
        [LawAlias(law=laws[i], name=name, kind="transliteration") for i, name in aliases],
        batch_size=1000,
    )
    return laws


def _organisations(rng, count, laws):
    organisations, aliases, designations = [], [], []
    for i in range(count):
        word, word_ru = rng.choice(ORG_WORDS)
        topic, topic_ru = rng.choice(ORG_TOPICS)
        city, city_ru = rng.choice(CITIES)
        russian = f"{word_ru} {topic_ru} ({city_ru})"
        in_cyrillic = i % 10 == 0
        name = russian if in_cyrillic else f"{city} {word} for {topic} {i}"
        short = "".join(part[0] for part in f"{city} {word} {topic}".split()).upper()
        organisations.append(
            Organisation(
                name=name,
                slug=f"{PREFIX}org-{i}",
                short_name=short if i % 3 == 0 else "",
                kind="ngo",
                country=rng.choice(COUNTRIES),
                state=State.PUBLISHED if i % 20 else State.DRAFT,
                description=" ".join(rng.choices(CASE_WORDS, k=rng.randint(10, 40))),
            )
        )
        if not in_cyrillic and i % 4 == 0:
            aliases.append((i, russian))
    Organisation.objects.bulk_create(organisations, batch_size=1000)
    OrganisationAlias.objects.bulk_create(
        [
            OrganisationAlias(organisation=organisations[i], name=n, kind="transliteration")
            for i, n in aliases
        ],
        batch_size=1000,
    )
    for i, organisation in enumerate(organisations):
        if i % 5 < 3:
            designations.append(
                Designation(
                    organisation=organisation,
                    kind=rng.choice([DesignationKind.UNDESIRABLE, DesignationKind.FOREIGN_AGENT]),
                    law=rng.choice(laws),
                    authority=rng.choice(["Prosecutor General's Office", "Ministry of Justice"]),
                    decision_date=_date(rng),
                    state=State.PUBLISHED,
                )
            )
    Designation.objects.bulk_create(designations, batch_size=1000)
    return organisations


def _people(rng, count):
    people, aliases = [], []
    for i in range(count):
        first, first_ru = rng.choice(FIRST_NAMES)
        last, last_ru = rng.choice(LAST_NAMES)
        people.append(
            Person(
                name=f"{first} {last}",
                slug=f"{PREFIX}person-{i}",
                country="RU",
                state=State.PUBLISHED,
                description=" ".join(rng.choices(CASE_WORDS, k=rng.randint(5, 25))),
            )
        )
        if i % 3 == 0:
            aliases.append((i, f"{first_ru} {last_ru}"))
    Person.objects.bulk_create(people, batch_size=1000)
    PersonAlias.objects.bulk_create(
        [PersonAlias(person=people[i], name=name, kind="transliteration") for i, name in aliases],
        batch_size=1000,
    )
    return people


def _cases(rng, count, laws, organisations, people):
    through = Case.people.through
    batch = 5000
    for start in range(0, count, batch):
        cases, picks = [], []
        for i in range(start, min(start + batch, count)):
            person = rng.choice(people)
            organisation = rng.choice(organisations)
            city = rng.choice(CITIES)[0]
            title = rng.choice(CASE_TITLES).format(
                person=person.name, organisation=organisation.name, city=city
            )
            summary = " ".join(rng.choices(CASE_WORDS, k=rng.randint(15, 45)))
            cases.append(
                Case(
                    title=title,
                    slug=f"{PREFIX}case-{i}",
                    summary=f"{person.name} ({city}): {summary}.",
                    country="RU",
                    status=rng.choice(CaseStatus.values),
                    court=f"{city} District Court",
                    state=State.PUBLISHED if i % 25 else State.DRAFT,
                )
            )
            picks.append((person, rng.sample(laws, rng.randint(1, 2))))
        Case.objects.bulk_create(cases, batch_size=1000)
        links, charges, events = [], [], []
        for case, (person, charged) in zip(cases, picks, strict=True):
            links.append(through(case_id=case.pk, person_id=person.pk))
            charges += [Charge(case=case, law=law, description=law.title) for law in charged]
            events.append(
                CaseEvent(case=case, kind="arrest", date=_date(rng), description="Arrested.")
            )
        through.objects.bulk_create(links, batch_size=2000)
        Charge.objects.bulk_create(charges, batch_size=2000)
        CaseEvent.objects.bulk_create(events, batch_size=2000)
        # bulk_create sends no signals: the cases' list date is set here.
        Case.refresh_latest_event([case.pk for case in cases])


PUBLISHERS = [
    "Mediazona",
    "OVD-Info",
    "Meduza",
    "Novaya Gazeta Europe",
    "Memorial",
    "Ministry of Justice register",
    "Prosecutor General's Office",
    "Kommersant",
]


def _sources(rng, count):
    """`count` sources, each cited by one or two records of any kind."""
    kinds = [SourceKind.NEWS, SourceKind.NGO, SourceKind.OFFICIAL, SourceKind.COURT]
    sources = [
        Source(
            title=f"{rng.choice(CASE_WORDS).capitalize()} {rng.choice(CASE_WORDS)} report {i}",
            url=f"https://example.org/{PREFIX}source/{i}",
            url_key=url_key(f"https://example.org/{PREFIX}source/{i}"),
            publisher=rng.choice(PUBLISHERS),
            published_date=_date(rng),
            kind=rng.choice(kinds),
            reliability=rng.choice(Reliability.values),
            summary=" ".join(rng.choices(CASE_WORDS, k=rng.randint(5, 20))),
        )
        for i in range(count)
    ]
    Source.objects.bulk_create(sources, batch_size=2000)
    cited = [
        (ContentType.objects.get_for_model(model), list(ids))
        for model, ids in (
            (Organisation, Organisation.objects.values_list("pk", flat=True)),
            (Designation, Designation.objects.values_list("pk", flat=True)),
            (Case, Case.objects.values_list("pk", flat=True)),
            (CaseEvent, CaseEvent.objects.values_list("pk", flat=True)),
            (Person, Person.objects.values_list("pk", flat=True)),
            (Law, Law.objects.values_list("pk", flat=True)),
        )
    ]
    citations = []
    for source in sources:
        for _ in range(rng.randint(1, 2)):
            content_type, ids = rng.choice(cited)
            citations.append(
                Citation(source=source, content_type=content_type, object_id=rng.choice(ids))
            )
    Citation.objects.bulk_create(citations, batch_size=2000)


class RealRecordsError(Exception):
    """The database holds real records: a synthetic set must never be mixed into them."""


def ensure(scale=Scale(), seed=1, log=print):
    """Build the synthetic set unless the database already holds one; refuse real records."""
    if has_real_records():
        raise RealRecordsError(
            "This database holds real records. Point DATABASE_URL at an empty database "
            "(e.g. sqlite:///bench.sqlite3) for the benchmark."
        )
    if is_synthetic():
        log(f"Reusing the synthetic data set ({Case.objects.count():,} cases).")
        return
    log(f"Building the synthetic data set {scale} ...")
    started = time.perf_counter()
    generate(scale, seed=seed, log=log)
    log(f"Built in {time.perf_counter() - started:.0f} s.")


def is_synthetic():
    return Organisation.objects.filter(slug__startswith=PREFIX).exists()


def has_real_records():
    return Organisation.objects.exclude(slug__startswith=PREFIX).exists() or (
        Case.objects.exclude(slug__startswith=PREFIX).exists()
    )


def generate(scale=Scale(), seed=1, log=print):
    """Write the synthetic record (bulk inserts, then one index rebuild) and return timings."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    timings = {}
    started = time.perf_counter()
    with transaction.atomic():
        laws = _laws(rng, scale.laws)
        organisations = _organisations(rng, scale.organisations, laws)
        people = _people(rng, scale.people)
        timings["laws, organisations, people"] = time.perf_counter() - started
        log(f"  laws, organisations and people: {timings['laws, organisations, people']:.1f} s")
        _cases(rng, scale.cases, laws, organisations, people)
        timings["cases"] = time.perf_counter() - started - sum(timings.values())
        log(f"  cases, charges and events: {timings['cases']:.1f} s")
        _sources(rng, scale.sources)
        timings["sources"] = time.perf_counter() - started - sum(timings.values())
        log(f"  sources and citations: {timings['sources']:.1f} s")
        index.rebuild()
        DataVersion.bump()
        timings["search index"] = time.perf_counter() - started - sum(timings.values())
        log(f"  search index: {timings['search index']:.1f} s")
    # Planner statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) would give.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return timings

"""A synthetic record at scale, for benchmarks: deterministic from a seed, never shipped.

Every synthetic record has a slug starting with "syn-", so a database holding
them is recognisable (and the generator refuses to mix them into real data).
Names mix Latin and Cyrillic the way a real Russian-focused tracker does:
people carry Cyrillic aliases, some organisations are stored under their
Russian name, laws carry article numbers like 275.1, 20.3.3 and 129-FZ.

The spread is what filters meet in real data: records in 14 countries (Russia the
largest share, not all), events from 2012 to 2026 with more in later years, every
case status, organisation kind and person role, and about 6 % of the records of
every kind with a publication state (UNPUBLISHED_SHARE) other than published.
"""

import datetime
import itertools
import random
import time
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django_countries import countries

from tracker.choices import (
    CaseStatus,
    DesignationKind,
    EventKind,
    LawKind,
    OrganisationKind,
    PersonRole,
    Reliability,
    SourceKind,
    State,
)
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
# Russian cities first: the search benchmark looks for some of them by name.
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
# (ISO code, share in %): where records are; Russia the largest, not all.
COUNTRIES = [
    ("RU", 40),
    ("BY", 12),
    ("UA", 8),
    ("KZ", 6),
    ("GE", 5),
    ("AZ", 5),
    ("DE", 4),
    ("AM", 3),
    ("KG", 3),
    ("UZ", 3),
    ("TJ", 3),
    ("GB", 3),
    ("US", 3),
    ("TM", 2),
]
# Cities of the other countries (Russian records take CITIES).
FOREIGN_CITIES = {
    "BY": [("Minsk", "Минск"), ("Hrodna", "Гродно"), ("Brest", "Брест")],
    "UA": [("Kyiv", "Киев"), ("Kharkiv", "Харьков"), ("Simferopol", "Симферополь")],
    "KZ": [("Almaty", "Алматы"), ("Astana", "Астана")],
    "GE": [("Tbilisi", "Тбилиси"), ("Batumi", "Батуми")],
    "AZ": [("Baku", "Баку")],
    "DE": [("Berlin", "Берлин"), ("Munich", "Мюнхен")],
    "AM": [("Yerevan", "Ереван")],
    "KG": [("Bishkek", "Бишкек"), ("Osh", "Ош")],
    "UZ": [("Tashkent", "Ташкент"), ("Samarkand", "Самарканд")],
    "TJ": [("Dushanbe", "Душанбе"), ("Khorog", "Хорог")],
    "GB": [("London", "Лондон")],
    "US": [("New York", "Нью-Йорк"), ("Washington", "Вашингтон")],
    "TM": [("Ashgabat", "Ашхабад")],
}
FIRST_YEAR, LAST_DAY = 2012, datetime.date(2026, 11, 30)
# Relative weights of values of some choices; a value not named weighs 1, so every
# value of every choice appears.
CASE_STATUS_WEIGHTS = {
    CaseStatus.CONVICTED: 30,
    CaseStatus.UNDER_INVESTIGATION: 15,
    CaseStatus.PRETRIAL_DETENTION: 15,
    CaseStatus.ON_TRIAL: 12,
    CaseStatus.RELEASED: 10,
    CaseStatus.IN_EXILE: 6,
    CaseStatus.CLOSED: 6,
    CaseStatus.UNKNOWN: 5,
}
ORGANISATION_KIND_WEIGHTS = {OrganisationKind.NGO: 10, OrganisationKind.MEDIA: 4}
PERSON_ROLE_WEIGHTS = {PersonRole.ACTIVIST: 6, PersonRole.JOURNALIST: 4, PersonRole.DEFENDER: 4}
DESIGNATION_KIND_WEIGHTS = {DesignationKind.FOREIGN_AGENT: 8, DesignationKind.UNDESIRABLE: 5}
# What a case's later event is, by the case's status.
LATER_EVENT = {
    CaseStatus.CONVICTED: EventKind.SENTENCE,
    CaseStatus.ON_TRIAL: EventKind.HEARING,
    CaseStatus.RELEASED: EventKind.RELEASE,
    CaseStatus.IN_EXILE: EventKind.EXILE,
    CaseStatus.DECEASED: EventKind.DEATH,
    CaseStatus.CLOSED: EventKind.VERDICT,
}
# The share of records of every kind in another publication state than published.
UNPUBLISHED_SHARE = 0.06
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


class Picker:
    """Weighted choices from a seeded random generator (cumulative weights computed once)."""

    def __init__(self, rng):
        self.rng = rng
        self.unpublished = [state for state in State.values if state != State.PUBLISHED]
        self.countries = self.weighted(COUNTRIES)
        years = range(FIRST_YEAR, LAST_DAY.year + 1)
        # Later years hold more events, as a growing record does.
        self.years = self.weighted([(year, 2 + year - FIRST_YEAR) for year in years])

    def weighted(self, pairs):
        values = [value for value, _ in pairs]
        cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        return values, cumulative

    def choice(self, weighted):
        values, cumulative = weighted
        return self.rng.choices(values, cum_weights=cumulative)[0]

    def of(self, choices, weights):
        """A weighted picker over every value of a TextChoices (unnamed values weigh 1)."""
        return self.weighted([(value, weights.get(value, 1)) for value in choices.values])

    def state(self):
        """Published, or (UNPUBLISHED_SHARE of the time) any other publication state."""
        if self.rng.random() < UNPUBLISHED_SHARE:
            return self.rng.choice(self.unpublished)
        return State.PUBLISHED

    def country(self):
        return self.choice(self.countries)

    def city(self, country):
        return self.rng.choice(FOREIGN_CITIES.get(country, CITIES))

    def date(self, after=None):
        """A day from 2012 to LAST_DAY, weighted to later years; or 1 month to 3 years after
        `after` (None when that is past LAST_DAY: the case has not got that far yet)."""
        if after is not None:
            day = after + datetime.timedelta(days=self.rng.randrange(30, 1100))
            return day if day <= LAST_DAY else None
        first = datetime.date(self.choice(self.years), 1, 1)
        last = min(LAST_DAY, datetime.date(first.year, 12, 31))
        return first + datetime.timedelta(days=self.rng.randrange((last - first).days + 1))


def _laws(pick, count):
    rng = pick.rng
    laws, aliases = [], []
    for i in range(count):
        form = i % 3
        jurisdiction = "RU" if i % 2 == 0 else pick.country()
        name = countries.name(jurisdiction)
        if jurisdiction != "RU" and form != 1:
            number = f"{300 + i // 3}.{i % 5 + 1}" if form == 0 else f"{100 + i}-Z"
            title = (
                f"Criminal Code of {name}, Article {number}"
                if form == 0
                else f"Law No. {number} of {name} on {rng.choice(ORG_TOPICS)[0].lower()}"
            )
            native = ""
        elif form == 0:
            number = f"{200 + i // 3}.{i % 7 + 1}"
            title = f"Criminal Code of the Russian Federation, Article {number}"
            native = f"Статья {number} УК РФ"
        elif form == 1:
            number = f"20.{i % 30}.{i % 9 + 1}"
            title = f"Code of Administrative Offences of {name}, Article {number}"
            native = f"Статья {number} КоАП РФ" if jurisdiction == "RU" else ""
        else:
            number = f"{100 + i}-FZ"
            title = f"Federal Law No. {number} on {rng.choice(ORG_TOPICS)[0].lower()}"
            native = f"Федеральный закон № {100 + i}-ФЗ"
        law = Law(
            title=title,
            slug=f"{PREFIX}law-{i}",
            kind=LawKind.LAW if form == 2 else LawKind.ARTICLE,
            number=number,
            jurisdiction=jurisdiction,
            state=pick.state(),
            summary=" ".join(rng.choices(CASE_WORDS, k=20)),
        )
        laws.append(law)
        if native:
            aliases.append((i, native))
    Law.objects.bulk_create(laws, batch_size=1000)
    LawAlias.objects.bulk_create(
        [LawAlias(law=laws[i], name=name, kind="transliteration") for i, name in aliases],
        batch_size=1000,
    )
    return laws


def _organisations(pick, count, laws):
    rng = pick.rng
    kinds = pick.of(OrganisationKind, ORGANISATION_KIND_WEIGHTS)
    designation_kinds = pick.of(DesignationKind, DESIGNATION_KIND_WEIGHTS)
    organisations, aliases, designations = [], [], []
    for i in range(count):
        word, word_ru = rng.choice(ORG_WORDS)
        topic, topic_ru = rng.choice(ORG_TOPICS)
        country = pick.country()
        city, city_ru = pick.city(country)
        russian = f"{word_ru} {topic_ru} ({city_ru})"
        in_cyrillic = i % 10 == 0
        name = russian if in_cyrillic else f"{city} {word} for {topic} {i}"
        short = "".join(part[0] for part in f"{city} {word} {topic}".split()).upper()
        organisations.append(
            Organisation(
                name=name,
                slug=f"{PREFIX}org-{i}",
                short_name=short if i % 3 == 0 else "",
                kind=pick.choice(kinds),
                country=country,
                state=pick.state(),
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
                    kind=pick.choice(designation_kinds),
                    law=rng.choice(laws),
                    authority=rng.choice(["Prosecutor General's Office", "Ministry of Justice"]),
                    decision_date=pick.date(),
                    state=pick.state(),
                )
            )
    Designation.objects.bulk_create(designations, batch_size=1000)
    return organisations


def _people(pick, count):
    rng = pick.rng
    roles = pick.of(PersonRole, PERSON_ROLE_WEIGHTS)
    people, aliases = [], []
    for i in range(count):
        first, first_ru = rng.choice(FIRST_NAMES)
        last, last_ru = rng.choice(LAST_NAMES)
        people.append(
            Person(
                name=f"{first} {last}",
                slug=f"{PREFIX}person-{i}",
                role=pick.choice(roles),
                country=pick.country(),
                state=pick.state(),
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


def _cases(pick, count, laws, organisations, people):
    rng = pick.rng
    statuses = pick.of(CaseStatus, CASE_STATUS_WEIGHTS)
    first_events = [EventKind.ARREST, EventKind.SEARCH, EventKind.CHARGE]
    # Charges name a law of the case's country when there is one.
    laws_in = {}
    for law in laws:
        laws_in.setdefault(law.jurisdiction, []).append(law)
    through = Case.people.through
    batch = 5000
    for start in range(0, count, batch):
        cases, picks = [], []
        for i in range(start, min(start + batch, count)):
            person = rng.choice(people)
            organisation = rng.choice(organisations)
            # Most cases are in the country of the person they are about.
            country = person.country if rng.random() < 0.8 else pick.country()
            city = pick.city(country)[0]
            title = rng.choice(CASE_TITLES).format(
                person=person.name, organisation=organisation.name, city=city
            )
            summary = " ".join(rng.choices(CASE_WORDS, k=rng.randint(15, 45)))
            status = pick.choice(statuses)
            cases.append(
                Case(
                    title=title,
                    slug=f"{PREFIX}case-{i}",
                    summary=f"{person.name} ({city}): {summary}.",
                    country=country,
                    status=status,
                    court=f"{city} District Court",
                    state=pick.state(),
                )
            )
            local = laws_in.get(country) or laws
            picks.append((person, rng.sample(local, min(len(local), rng.randint(1, 2))), status))
        Case.objects.bulk_create(cases, batch_size=1000)
        links, charges, events = [], [], []
        for case, (person, charged, status) in zip(cases, picks, strict=True):
            links.append(through(case_id=case.pk, person_id=person.pk))
            charges += [Charge(case=case, law=law, description=law.title) for law in charged]
            first = rng.choice(first_events)
            day = pick.date()
            events.append(CaseEvent(case=case, kind=first, date=day, description=f"{first.label}."))
            later = LATER_EVENT.get(status)
            later_day = pick.date(after=day) if later is not None else None
            if later_day is not None:
                events.append(
                    CaseEvent(case=case, kind=later, date=later_day, description=f"{later.label}.")
                )
        through.objects.bulk_create(links, batch_size=2000)
        Charge.objects.bulk_create(charges, batch_size=2000)
        CaseEvent.objects.bulk_create(events, batch_size=2000)
        # bulk_create sends no signals: the cases' list date is set here, after the planner
        # has statistics of the new events (PostgreSQL otherwise scans them once per case).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(CaseEvent._meta.db_table)}")
        Case.refresh_event_dates([case.pk for case in cases])


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


def _sources(pick, count):
    """`count` sources, each cited by one or two records of any kind."""
    rng = pick.rng
    kinds = [SourceKind.NEWS, SourceKind.NGO, SourceKind.OFFICIAL, SourceKind.COURT]
    sources = [
        Source(
            title=f"{rng.choice(CASE_WORDS).capitalize()} {rng.choice(CASE_WORDS)} report {i}",
            url=f"https://example.org/{PREFIX}source/{i}",
            url_key=url_key(f"https://example.org/{PREFIX}source/{i}"),
            publisher=rng.choice(PUBLISHERS),
            published_date=pick.date(),
            state=pick.state(),
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
    pick = Picker(random.Random(seed))  # noqa: S311 (test data, not secrets)
    timings = {}
    started = time.perf_counter()
    with transaction.atomic():
        laws = _laws(pick, scale.laws)
        organisations = _organisations(pick, scale.organisations, laws)
        people = _people(pick, scale.people)
        timings["laws, organisations, people"] = time.perf_counter() - started
        log(f"  laws, organisations and people: {timings['laws, organisations, people']:.1f} s")
        _cases(pick, scale.cases, laws, organisations, people)
        timings["cases"] = time.perf_counter() - started - sum(timings.values())
        log(f"  cases, charges and events: {timings['cases']:.1f} s")
        _sources(pick, scale.sources)
        timings["sources"] = time.perf_counter() - started - sum(timings.values())
        log(f"  sources and citations: {timings['sources']:.1f} s")
        index.rebuild()
        DataVersion.bump()
        timings["search index"] = time.perf_counter() - started - sum(timings.values())
        log(f"  search index: {timings['search index']:.1f} s")
    # What autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) gives a live database:
    # planner statistics and, on PostgreSQL, the visibility map, without which a count reads
    # every row from the table rather than the index alone (the published cases: 32 -> 4 ms).
    # VACUUM runs outside a transaction only (not in a test's).
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return timings

"""factory_boy factories for test data. Records are published unless a test says otherwise."""

import datetime

import factory
from django.contrib.contenttypes.models import ContentType

from tracker import models
from tracker.choices import DesignationKind, State


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source

    title = factory.Sequence(lambda n: f"Report {n}")
    url = factory.Sequence(lambda n: f"https://example.org/report-{n}")
    publisher = "Example NGO"
    published_date = datetime.date(2025, 5, 19)
    reliability = "established"


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    quote = "A passage."

    @classmethod
    def for_object(cls, obj, **kwargs):
        return cls(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, **kwargs)


class PublishedFactory(factory.django.DjangoModelFactory):
    state = State.PUBLISHED

    class Meta:
        abstract = True


class OrganisationFactory(PublishedFactory):
    class Meta:
        model = models.Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = "ngo"


class OrganisationAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrganisationAlias

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")


class LawFactory(PublishedFactory):
    class Meta:
        model = models.Law

    title = factory.Sequence(lambda n: f"Law {n}")
    slug = factory.Sequence(lambda n: f"law-{n}")
    jurisdiction = "RU"


class DesignationFactory(PublishedFactory):
    class Meta:
        model = models.Designation

    organisation = factory.SubFactory(OrganisationFactory)
    law = factory.SubFactory(LawFactory)
    kind = DesignationKind.UNDESIRABLE
    authority = "Prosecutor General's Office"
    decision_date = datetime.date(2025, 5, 19)


class PersonFactory(PublishedFactory):
    class Meta:
        model = models.Person

    name = factory.Sequence(lambda n: f"Person {n}")
    slug = factory.Sequence(lambda n: f"person-{n}")
    country = "RU"


class CaseFactory(PublishedFactory):
    class Meta:
        model = models.Case
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Case {n}")
    slug = factory.Sequence(lambda n: f"case-{n}")
    country = "RU"
    status = "convicted"

    @factory.post_generation
    def people(self, create, extracted, **kwargs):
        if create and extracted:
            self.people.set(extracted)


class ChargeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Charge

    case = factory.SubFactory(CaseFactory)
    law = factory.SubFactory(LawFactory)


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CaseEvent

    case = factory.SubFactory(CaseFactory)
    kind = "arrest"
    date = datetime.date(2025, 5, 28)
    description = "Arrested."

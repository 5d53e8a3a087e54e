"""Helpers for tests that submit admin forms."""


def admin_form_data(response):
    """POST data that re-submits an admin change form (and its inlines) as it was shown."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):  # none on revert pages
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def change_url(record):
    return f"/admin/tracker/{record._meta.model_name}/{record.pk}/change/"


def change_form(client, record, **changes):
    """The admin change form of `record` as shown, with `changes` applied, posted back."""
    data = admin_form_data(client.get(change_url(record)))
    data.update(changes)
    return client.post(change_url(record), data)

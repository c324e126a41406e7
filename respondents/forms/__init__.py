"""The respondent's page form, built from a compiled snapshot (``surveys.snapshot``).

How a view uses it::

    form = PageForm(snapshot=..., section=..., language=..., answers=response.answers, seed=str(response.pk),
                    data=request.POST or None)
    if form.is_valid() and not form.newly_shown():
        response_save_page(..., page_answers=form.page_answers())
    # else render page.html with form and page_html=render_page_html(form)

``post_keys`` lists every POST key the page reads (a ranking posts ``<name>:<code>`` per choice), for a
view that refuses keys not on the page. Required is not enforced on a question the browser did not show
(``newly_shown()``): the view must show the page again whenever ``newly_shown()`` is not empty.

``page.html`` writes the hidden inputs (``volna_section``, ``volna_shown`` = ``form.shown_value``), the
same-page logic block (``form.logic``) and the error summary (``form.error_summary``);
``render_page_html`` returns only the questions, so that a blank page can come from the cache.
"""

from respondents.forms.fields import MAX_TEXT_LENGTH
from respondents.forms.page import PageForm
from respondents.forms.render import blank_page_cache_key, render_page_html

__all__ = ["MAX_TEXT_LENGTH", "PageForm", "blank_page_cache_key", "render_page_html"]

"""Browse: search and filter the whole bank, read any question with its answer.

A page of titles, whatever the bank's size: an answer is drawn only when its question is opened
(lazy expanders), so the page costs the same for 160 questions or 3,000. Search is ranked
(`studyapp.bank.search`), with a snippet of where each question matched. With the optional extra,
an English query also ranks by meaning (`studyapp.semantic`): keyword and meaning rankings are
fused by reciprocal rank, so a paraphrase that shares no word with its question still finds it.
The first such query starts loading the model and the bank's embeddings in the background (a
minute when the bank changed, a few seconds from the cache); a query that would wait longer than
a second gets the keyword ranking meanwhile. Chinese queries keep the keyword ranking (the
model reads English). Torch loads only on such a query, never on a page without one.
"""

import re
from datetime import UTC, datetime

import streamlit as st

from studyapp import semantic
from studyapp.app import widgets
from studyapp.app.demo_switch import demo_switch
from studyapp.app.i18n import tr
from studyapp.bank import search
from studyapp.bank.load import filter_questions
from studyapp.progress.scheduling import Rating

PAGE_SIZE = 25
RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
STATUSES = ["new", "seen", "due", *RATINGS]
CHINESE = re.compile(f"[{search.HAN}]")

lang = widgets.language()
report = widgets.bank(lang)
questions = report.questions
st.title(tr("browse", lang))

# A query from the URL is cut like a typed one (the text box refuses longer ones).
asked = st.query_params.get("q_search", "")
if len(asked) > search.MAX_QUERY_CHARS:
    st.query_params["q_search"] = asked = search.clean_query(asked)
    st.caption(tr("query_cut", lang, n=search.MAX_QUERY_CHARS))
query = st.text_input(
    tr("search", lang), key="q_search", bind="query-params", max_chars=search.MAX_QUERY_CHARS
)
# One wrapping row of compact filters, named by their placeholders: two a line on a phone.
filters = st.container(horizontal=True, gap="small")


def pick(name: str, options, key: str, format_func=str) -> list:
    return filters.multiselect(
        tr(name, lang),
        options,
        format_func=format_func,
        placeholder=tr("filter_any", lang, name=tr(name, lang)),
        label_visibility="collapsed",
        key=key,
        width=160,
    )


topics = pick(
    "topic",
    sorted({q.topic for q in questions.values()}),
    "browse_topics",
    lambda t: widgets.topic_label(t, lang),
)
types = pick(
    "type",
    sorted({q.type for q in questions.values()}),
    "browse_types",
    lambda t: widgets.type_label(t, lang),
)
levels = pick("difficulty", [1, 2, 3], "browse_levels", lambda d: widgets.difficulty_label(d, lang))
tags = pick("tag", sorted({t for q in questions.values() for t in q.tags}), "browse_tags")
status = pick("filter_status", STATUSES, "browse_status", lambda s: tr(f"status_{s}", lang))

found = filter_questions(questions, "", set(topics), set(types), set(levels), set(tags))


def ranked_ids(query: str) -> tuple[list[str], str | None]:
    """The ids the query finds, best first, and a note on how they were ranked (or None)."""
    keyword_ids = [qid for qid, _ in search.index_for(report).search(query)]
    if CHINESE.search(query):  # the model reads English
        return keyword_ids, None
    if not semantic.available():
        # Said once a session, for the first English search: what the extra would add.
        first = st.session_state.setdefault("browse_first_english_query", query)
        return keyword_ids, tr("meaning_search_missing", lang) if first == query else None
    texts = semantic.question_texts(questions, with_answer=False)
    with st.spinner(tr("meaning_search_loading", lang)):
        embeddings = semantic.embeddings_for(texts, wait=semantic.MEANING_WAIT_SECONDS)
    if embeddings is None:  # still building in the background: keywords meanwhile
        return keyword_ids, tr("meaning_search_building", lang, n=len(texts))
    by_meaning = embeddings.rank(search.clean_query(query))
    return semantic.hybrid_ranking(keyword_ids, by_meaning), None


ranking_note = None
if query.strip():
    kept = {q.id for q in found}
    ids, ranking_note = ranked_ids(query)
    found = [questions[qid] for qid in ids if qid in kept]

me, db = widgets.profile(), widgets.store()
cards = db.cards(me.id)
now = datetime.now(UTC)
if status:
    last_rating: dict[str, Rating] = {}
    if set(status) & set(RATINGS):
        for review in db.reviews(me.id):  # in time order: the last one wins
            last_rating[review.question_id] = review.rating
    wanted = {RATINGS[s] for s in status if s in RATINGS}

    def has_status(qid: str) -> bool:
        card = cards.get(qid)
        return (
            ("new" in status and card is None)
            or ("seen" in status and card is not None)
            or ("due" in status and card is not None and card.due <= now)
            or last_rating.get(qid) in wanted
        )

    found = [q for q in found if has_status(q.id)]

# A deep link (`?q=<id>`) opens its question first, on the first page.
opened = st.query_params.get("q")
if opened in questions:
    found = [questions[opened]] + [q for q in found if q.id != opened]

pages = max(1, -(-len(found) // PAGE_SIZE))
st.caption(tr("shown_of", lang, shown=len(found), total=len(questions)))
if ranking_note:
    st.caption(ranking_note)
if not found and questions:
    st.info(tr("no_match", lang))
listing = st.container()  # filled below, once the page number (drawn under it) is known
page = 1
if pages > 1:
    if st.session_state.get("browse_page", 1) > pages:  # fewer results than before
        st.session_state["browse_page"] = 1
    page = st.number_input(tr("page", lang, n=pages), 1, pages, 1, key="browse_page", width=200)
first = (page - 1) * PAGE_SIZE
shown = found[first : first + PAGE_SIZE]
if pages > 1:
    listing.caption(tr("page_range", lang, a=first + 1, b=first + len(shown)))

tz = widgets.timezone()


def card_status(qid: str) -> str:
    card = cards.get(qid)
    if card is None:
        return tr("status_new", lang)
    if card.due <= now:
        return tr("due_now_card", lang)
    return tr("due_on", lang, date=card.due.astimezone(tz).date().isoformat())


def highlighted(found_in: search.Snippet) -> str:
    return "".join(
        f"**{widgets.plain(text)}**" if hit else widgets.plain(text)
        for text, hit in found_in.pieces
    )


for q in shown:
    title = search.title_of(getattr(q.question, lang))  # bank Markdown: its math renders
    badge = " · ".join(
        [
            widgets.plain(widgets.topic_label(q.topic, lang)),
            widgets.type_label(q.type, lang),
            widgets.difficulty_label(q.difficulty, lang),
            card_status(q.id),
        ]
    )
    label = f"{title}  \n:gray[{badge}]"
    match = search.snippet(q, lang, query) if query.strip() else None
    if match is not None:
        label += f"  \n:gray[{highlighted(match)}]"
    box = listing.expander(label, expanded=q.id == opened, key=f"q-{q.id}", on_change="rerun")
    if box.open:  # the answer is drawn only when its question is opened
        with box:
            st.markdown(widgets.bank_text(q.question, lang))
            widgets.render_answer(q, lang, report, show_demo=demo_switch)

if questions and not query.strip():
    search.build_in_background(report)  # after drawing: ready when the learner types

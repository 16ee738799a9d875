"""Settings: profile, language, desired retention, new questions per day, export and import,
and the bank as an Anki deck.

The profile picked here is this browser session's (and its URL's); another session keeps its own.
Which profile a new session opens in is a separate, explicit choice.
"""

import streamlit as st

from studyapp.app import widgets
from studyapp.app.i18n import LANGUAGES, tr
from studyapp.bank.anki import LANGUAGE_CHOICES, bank_apkg
from studyapp.progress.store import ProgressError

lang = widgets.language()
st.title(tr("settings", lang))
db, me = widgets.store(), widgets.profile()

profiles = db.list_profiles()
ids = [p.id for p in profiles]
names = {p.id: p.name for p in profiles}
picked = st.selectbox(
    tr("profile", lang),
    ids,
    index=ids.index(me.id),
    format_func=names.get,
    help=tr("profile_help", lang),
    key=f"profile_pick_{me.id}",  # a new key when the profile changes elsewhere (create, delete)
)
if picked != me.id:
    widgets.use_profile(picked)
    st.rerun()
default = db.default_profile()
if default.id == me.id:
    st.caption(tr("is_default_profile", lang))
elif st.button(tr("make_default_profile", lang), icon=":material/home:", key="make_default"):
    db.set_default_profile(me.id)
    st.rerun()

with st.form("settings"):
    language = st.radio(
        tr("default_language", lang),
        list(LANGUAGES),
        index=list(LANGUAGES).index(me.language),
        format_func=LANGUAGES.get,
        horizontal=True,
    )
    retention = st.slider(
        tr("desired_retention", lang),
        0.70,
        0.99,
        me.desired_retention,
        0.01,
        help=tr("desired_retention_help", lang),
    )
    new_per_day = st.number_input(tr("new_per_day", lang), 0, 1000, me.new_per_day)
    if st.form_submit_button(tr("save", lang), type="primary"):
        db.update_settings(
            me.id, language=language, desired_retention=retention, new_per_day=int(new_per_day)
        )
        st.success(tr("saved_settings", lang))

with st.expander(tr("manage_profiles", lang)):
    new_name = st.text_input(tr("new_profile_name", lang), key="new_profile_name")
    cols = st.columns(2)
    try:
        if cols[0].button(tr("create_profile", lang), key="create_profile") and new_name.strip():
            created = db.create_profile(new_name.strip(), language=lang)
            widgets.use_profile(created.id)
            st.rerun()
        if cols[1].button(tr("rename_profile", lang), key="rename_profile") and new_name.strip():
            db.rename_profile(me.id, new_name.strip())
            st.rerun()
    except ValueError as err:
        st.error(widgets.literal(err))
    if len(profiles) > 1:
        st.divider()
        # Typing the name, as GitHub asks before deleting a repository: every review goes with it.
        typed = st.text_input(
            tr("delete_profile_confirm", lang, name=widgets.literal(me.name)),
            key=f"delete_confirm_{me.id}",
        )
        if st.button(
            tr("delete_profile", lang),
            icon=":material/delete:",
            disabled=typed != me.name,
            key="delete_profile",
        ):
            db.delete_profile(me.id)
            st.session_state.pop("profile_id", None)
            st.query_params.pop("profile", None)
            st.rerun()

st.subheader(tr("export_import", lang))
st.download_button(
    tr("export", lang),
    data=db.export_json(me.id),
    file_name=f"studyapp-progress-{me.name}.json",
    mime="application/json",
    icon=":material/download:",
)
upload = st.file_uploader(tr("import", lang), type=["json"], key="import_file")
if upload is not None and st.button(tr("import_button", lang), type="primary"):
    bar = st.progress(0.0, text=tr("importing", lang))
    try:
        result = db.import_progress(
            me.id,
            upload.getvalue(),
            progress=lambda done: bar.progress(min(done, 1.0), text=tr("importing", lang)),
        )
    except ProgressError as err:
        bar.empty()
        st.error(tr("import_failed", lang, error=widgets.literal(err)))
    else:
        bar.empty()
        st.success(tr("imported", lang, added=result.added, duplicates=result.duplicates))

st.subheader(tr("anki_deck", lang))
st.caption(tr("anki_deck_help", lang))
deck_language = st.radio(
    tr("anki_language", lang),
    LANGUAGE_CHOICES,
    format_func={"both": tr("anki_both", lang), **LANGUAGES}.get,
    horizontal=True,
    key="anki_language",
)
st.download_button(
    tr("anki_download", lang),
    data=lambda: bank_apkg(deck_language, widgets.unit_label),  # built on click, not per visit
    file_name=f"studyapp-{deck_language}.apkg",
    mime="application/octet-stream",
    icon=":material/style:",
    on_click="ignore",
    key="anki_download",
)

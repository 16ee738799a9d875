"""What `studyapp` runs: the entry script `main.py` as a Streamlit `st.App` behind `HostGuard`,
which refuses requests for host names the server was not started for (DNS rebinding) and framing
by other origins. `streamlit run` finds `app` here and serves it with uvicorn.
"""

import streamlit as st
from starlette.middleware import Middleware

from studyapp.app.hostguard import HostGuard

app = st.App("main.py", middleware=[Middleware(HostGuard)])

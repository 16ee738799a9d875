"""What `studyapp` runs: the entry script `main.py` as a Streamlit `st.App` behind `HostGuard`,
which refuses requests for host names the server was not started for (DNS rebinding) and framing
by other origins. `streamlit run` finds `app` here and serves it with uvicorn.

Started another way (`streamlit run studyapp/app/serve.py --server.address 0.0.0.0`), it still
refuses to serve beyond loopback unless the user acknowledged that the app has no login.
"""

import os

import streamlit as st
from starlette.middleware import Middleware

from studyapp.app.hostguard import SHARE_ENV, HostGuard, exposure_refusal

if why := exposure_refusal(st.get_option("server.address") or "", bool(os.environ.get(SHARE_ENV))):
    raise SystemExit(f"studyapp: {why}")
app = st.App("main.py", middleware=[Middleware(HostGuard)])

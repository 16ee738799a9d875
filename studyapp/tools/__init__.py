"""Benchmarks and the helpers they share: `bench` times page reruns in Chromium and every demo;
`liveserver` starts a real `studyapp` server and Chromium for them and for the browser tests.

May import anything in studyapp; nothing in studyapp imports it.
"""

"""Code exercises: the learner writes a function, hidden tests grade it in a sandbox.

`runner` (imported by the app and the CLI; never imports torch) chooses the sandbox mode and talks
to `worker` (a script run inside the sandbox: imports torch, forks a judge and the learner's own
process per job, compares in float64). An exercise is a bank question of `type: code` whose `code:`
block the runner sends as plain data.

May import: `minimodels` (to locate it for the sandbox), nothing else of studyapp.
"""

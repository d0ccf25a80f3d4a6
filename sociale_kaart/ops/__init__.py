"""Operations (issue #16): the daily and hourly jobs with their scheduler, and `/healthz`.

`timetable.py` holds the pure rules (when is a job due), `jobs.py` runs jobs and records each
run in `job_runs`, `health.py` answers the load balancer, `cli.py` is `flask jobs`.
"""

"""The authorization matrix over HTTP (issue 13): many grants against every endpoint.

An app built with AUTH_MODE=smart and a JWKS of a key the test generates serves a small world
(two patients and their records, a Practitioner and an Organization outside every compartment).
Each test sends one request with one token and judges the answer with an oracle written from the
world's own knowledge and a hand-written model of each grant (`grants.py`), never with
gateway.auth: a leak is any returned resource the grant does not permit; a wrong status is any
status the documented rule (gateway/services/access.py) does not predict.
"""

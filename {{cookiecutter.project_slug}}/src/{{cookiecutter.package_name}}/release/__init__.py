"""Promotion through Git tags: staging on `vX.Y.Z-rc.N`, production on `vX.Y.Z`, rollback.

The desired state of each environment is a file in `deploy/`; every promotion or rollback
rewrites it and appends to `deploy/history.jsonl`, in a commit the workflow pushes.
"""

"""The Fargate fleet: runs FARGATE tasks inside the control plane, one sandbox each.

See fleet.py (the fleet), sandbox.py (sizing each container to its task), plane.py
(reports and credentials in-process) and orphans.py (processes a killed server left).
"""

"""Campaigns: many targets tested on a schedule, embedded (asyncio) or by Celery workers over Redis."""

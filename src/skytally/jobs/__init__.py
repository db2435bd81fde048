"""Background jobs: the queue (Huey), job runs with progress, and schedules."""

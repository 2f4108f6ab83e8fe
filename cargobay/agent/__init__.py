"""The agent: runs ECS tasks on this host (see ``runtime`` for how containers run)."""

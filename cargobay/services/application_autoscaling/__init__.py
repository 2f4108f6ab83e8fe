"""Application Auto Scaling (botocore ``application-autoscaling``, JSON 1.1) for ECS services."""

"""EC2 Auto Scaling: groups whose instances are real ``cargobay agent`` processes."""
